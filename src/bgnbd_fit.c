/*-------------------------------------------------------------------------
 *
 * bgnbd_fit.c
 *	  bgnbd_fit(frequency, recency, age): the BG/NBD model's maximum
 *	  likelihood parameters over the customers an aggregate sees.
 *
 *	  The state is the customers' distinct (x, t_x, T) with their counts,
 *	  kept sorted and merged whenever the appended ones double it: states
 *	  combine by concatenation, and the likelihood is always summed over the
 *	  same sorted triples, so a serial and a parallel plan give identical
 *	  parameters.
 *
 *	  The fit minimises the negative mean log-likelihood over log r, log
 *	  alpha, log a, log b by Nelder-Mead (as lifetimes does), from (1, 1, 1,
 *	  1), to a relative tolerance of 1e-12, checking for interrupts at every
 *	  step; after 20,000 steps it stops with an error giving the last
 *	  log-likelihood.  The terms that depend on x alone (the log-gammas) are
 *	  computed once per distinct x per step.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "sales_kpi.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

typedef struct Triple
{
	double		tx;
	double		T;
	int32		x;
	int64		count;
} Triple;

typedef struct FitState
{
	MemoryContext context;
	int64		n;				/* triples held */
	int64		nsorted;		/* [0, nsorted) sorted and merged */
	int64		capacity;
	int64		customers;		/* sum of counts */
	Triple	   *t;
} FitState;

static int
triple_cmp(const void *pa, const void *pb)
{
	const Triple *a = pa;
	const Triple *b = pb;

	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->tx != b->tx)
		return a->tx < b->tx ? -1 : 1;
	if (a->T != b->T)
		return a->T < b->T ? -1 : 1;
	return 0;
}

/* Sort everything and merge equal triples. */
static void
fit_compact(FitState *s)
{
	int64		w = 0;

	if (s->n == 0 || s->nsorted == s->n)
		return;
	qsort(s->t, s->n, sizeof(Triple), triple_cmp);
	for (int64 i = 0; i < s->n; i++)
	{
		if (w > 0 && triple_cmp(&s->t[w - 1], &s->t[i]) == 0)
			s->t[w - 1].count += s->t[i].count;
		else
			s->t[w++] = s->t[i];
	}
	s->n = w;
	s->nsorted = w;
}

static void
fit_add(FitState *s, int32 x, double tx, double T, int64 count)
{
	if (s->n == s->capacity)
	{
		/* merge first; grow only if that did not free room */
		if (s->n - s->nsorted > s->nsorted)
			fit_compact(s);
		if (s->n >= s->capacity * 3 / 4 || s->capacity == 0)
		{
			int64		cap = Max(1024, s->capacity * 2);

			s->t = s->t == NULL ? MemoryContextAllocHuge(s->context, cap * sizeof(Triple))
				: repalloc_huge(s->t, cap * sizeof(Triple));
			s->capacity = cap;
		}
	}
	s->t[s->n].x = x;
	s->t[s->n].tx = tx;
	s->t[s->n].T = T;
	s->t[s->n].count = count;
	s->n++;
	s->customers += count;
}

static FitState *
fit_state_new(MemoryContext context)
{
	FitState   *s = MemoryContextAllocZero(context, sizeof(FitState));

	s->context = context;
	return s;
}

PG_FUNCTION_INFO_V1(bgnbd_fit_trans);
Datum
bgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	FitState   *s = PG_ARGISNULL(0) ? fit_state_new(agg_context_or_error(fcinfo))
		: (FitState *) PG_GETARG_POINTER(0);
	int32		x;
	double		tx;
	double		T;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(s);
	x = PG_GETARG_INT32(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	bgnbd_check_customer(x, tx, T);
	fit_add(s, x, tx, T, 1);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(bgnbd_fit_combine);
Datum
bgnbd_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo);
	FitState   *into = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	FitState   *from = PG_ARGISNULL(1) ? NULL : (FitState *) PG_GETARG_POINTER(1);

	if (from == NULL)
		return combine_passthrough(fcinfo);
	if (into == NULL)
		into = fit_state_new(aggcontext);
	for (int64 i = 0; i < from->n; i++)
		fit_add(into, from->t[i].x, from->t[i].tx, from->t[i].T, from->t[i].count);
	PG_RETURN_POINTER(into);
}

typedef union
{
	double		f;
	int64		i;
} Bits;

PG_FUNCTION_INFO_V1(bgnbd_fit_serialize);
Datum
bgnbd_fit_serialize(PG_FUNCTION_ARGS)
{
	FitState   *s = (FitState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	fit_compact(s);
	state_write_begin(&buf, STATE_BGNBD_FIT);
	state_put_int64(&buf, s->n);
	for (int64 i = 0; i < s->n; i++)
	{
		Bits		tx = {.f = s->t[i].tx};
		Bits		T = {.f = s->t[i].T};

		state_put_int32(&buf, s->t[i].x);
		state_put_int64(&buf, tx.i);
		state_put_int64(&buf, T.i);
		state_put_int64(&buf, s->t[i].count);
	}
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

PG_FUNCTION_INFO_V1(bgnbd_fit_deserialize);
Datum
bgnbd_fit_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	FitState   *s;
	int64		n;

	deserialize_call_check(fcinfo);
	s = fit_state_new(CurrentMemoryContext);
	state_read_begin(&r, PG_GETARG_BYTEA_PP(0), STATE_BGNBD_FIT);
	n = state_get_int64(&r);
	if (n < 0 || n > (int64) (r.end - r.p) / 28)
		report_invalid_state(STATE_BGNBD_FIT, "The count of customers is out of range.");
	for (int64 i = 0; i < n; i++)
	{
		int32		x = state_get_int32(&r);
		Bits		tx;
		Bits		T;
		int64		count;

		tx.i = state_get_int64(&r);
		T.i = state_get_int64(&r);
		count = state_get_int64(&r);
		if (x < 0 || count <= 0 || !(tx.f >= 0 && tx.f <= T.f && T.f > 0 && !isinf(T.f)))
			report_invalid_state(STATE_BGNBD_FIT, "A customer is out of range.");
		fit_add(s, x, tx.f, T.f, count);
	}
	state_read_end(&r);
	PG_RETURN_POINTER(s);
}

/* ------------------------------------------------------------------------
 * The likelihood and its minimisation.
 * ------------------------------------------------------------------------
 */

typedef struct Lik
{
	FitState   *s;
	int			nx;				/* distinct x */
	int32	   *xs;				/* the distinct x, ascending */
	double	   *ax;				/* per distinct x: the log-gamma terms */
} Lik;

/* Mean log-likelihood at (r, alpha, a, b). */
static double
bgnbd_loglik(Lik *L, double r, double alpha, double a, double b)
{
	FitState   *s = L->s;
	double		total = 0;
	int			k = -1;
	double		lr = lgamma(r);
	double		lb = lgamma(b);
	double		lab = lgamma(a + b);
	double		log_alpha = log(alpha);
	double		log_a = log(a);

	for (int i = 0; i < L->nx; i++)
	{
		int32		x = L->xs[i];

		L->ax[i] = lgamma(r + x) - lr + r * log_alpha + lab + lgamma(b + x) - lb - lgamma(a + b + x);
	}
	for (int64 i = 0; i < s->n; i++)
	{
		const Triple *c = &s->t[i];
		double		a3;
		double		ll;

		if (k < 0 || L->xs[k] != c->x)
			k++;
		a3 = -(r + c->x) * log(alpha + c->T);
		if (c->x > 0)
		{
			double		a4 = log_a - log(b + c->x - 1) - (r + c->x) * log(alpha + c->tx);
			double		m = Max(a3, a4);

			ll = L->ax[k] + m + log(exp(a3 - m) + exp(a4 - m));
		}
		else
			ll = L->ax[k] + a3;
		total += c->count * ll;
	}
	return total / s->customers;
}

static double
objective(Lik *L, const double *p)
{
	double		v = -bgnbd_loglik(L, exp(p[0]), exp(p[1]), exp(p[2]), exp(p[3]));

	return isnan(v) ? INFINITY : v;
}

#define NDIM 4

/*
 * Nelder-Mead (standard coefficients) from p, in place; returns the
 * objective at the end, or reports non-convergence.
 */
static double
nelder_mead(Lik *L, double *p)
{
	double		x[NDIM + 1][NDIM];
	double		f[NDIM + 1];
	int			iter;

	for (int i = 0; i <= NDIM; i++)
	{
		for (int j = 0; j < NDIM; j++)
			x[i][j] = p[j] + (i == j + 1 ? 0.5 : 0);
		f[i] = objective(L, x[i]);
	}
	for (iter = 0; iter < 20000; iter++)
	{
		int			lo = 0,
					hi = 0,
					nh = 0;
		double		c[NDIM];
		double		xr[NDIM],
					xe[NDIM],
					xc[NDIM];
		double		fr,
					spread = 0;

		CHECK_FOR_INTERRUPTS();
		for (int i = 1; i <= NDIM; i++)
		{
			if (f[i] < f[lo])
				lo = i;
			if (f[i] > f[hi])
				hi = i;
		}
		nh = (hi == 0) ? 1 : 0;
		for (int i = 0; i <= NDIM; i++)
			if (i != hi && f[i] > f[nh])
				nh = i;
		for (int i = 0; i <= NDIM; i++)
			for (int j = 0; j < NDIM; j++)
				spread = Max(spread, fabs(x[i][j] - x[lo][j]));
		if (fabs(f[hi] - f[lo]) <= 1e-12 * (fabs(f[lo]) + 1e-12) && spread < 1e-9)
		{
			memcpy(p, x[lo], sizeof(double) * NDIM);
			return f[lo];
		}
		for (int j = 0; j < NDIM; j++)
		{
			c[j] = 0;
			for (int i = 0; i <= NDIM; i++)
				if (i != hi)
					c[j] += x[i][j] / NDIM;
		}
		for (int j = 0; j < NDIM; j++)
			xr[j] = c[j] + (c[j] - x[hi][j]);
		fr = objective(L, xr);
		if (fr < f[lo])
		{
			double		fe;

			for (int j = 0; j < NDIM; j++)
				xe[j] = c[j] + 2 * (c[j] - x[hi][j]);
			fe = objective(L, xe);
			if (fe < fr)
			{
				memcpy(x[hi], xe, sizeof(xe));
				f[hi] = fe;
			}
			else
			{
				memcpy(x[hi], xr, sizeof(xr));
				f[hi] = fr;
			}
			continue;
		}
		if (fr < f[nh])
		{
			memcpy(x[hi], xr, sizeof(xr));
			f[hi] = fr;
			continue;
		}
		/* contraction, outside or inside */
		for (int j = 0; j < NDIM; j++)
			xc[j] = (fr < f[hi]) ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (x[hi][j] - c[j]);
		{
			double		fc = objective(L, xc);

			if (fc < Min(fr, f[hi]))
			{
				memcpy(x[hi], xc, sizeof(xc));
				f[hi] = fc;
				continue;
			}
		}
		/* shrink towards the best */
		for (int i = 0; i <= NDIM; i++)
		{
			if (i == lo)
				continue;
			for (int j = 0; j < NDIM; j++)
				x[i][j] = x[lo][j] + 0.5 * (x[i][j] - x[lo][j]);
			f[i] = objective(L, x[i]);
		}
	}
	{
		int			lo = 0;

		for (int i = 1; i <= NDIM; i++)
			if (f[i] < f[lo])
				lo = i;
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bgnbd_fit did not converge"),
				 errdetail("After 20,000 steps the log-likelihood was %g at r %g, alpha %g, a %g, b %g.",
						   -f[lo] * L->s->customers, exp(x[lo][0]), exp(x[lo][1]), exp(x[lo][2]), exp(x[lo][3])),
				 errhint("The data may not fit the model: check that frequency, recency and age share one time unit.")));
	}
	return 0;					/* not reached */
}

PG_FUNCTION_INFO_V1(bgnbd_fit_final);
Datum
bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	FitState   *s = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	Lik			L;
	double		p[NDIM] = {0, 0, 0, 0};
	double		f;
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	/* fewer customers than parameters: undefined */
	if (s == NULL || s->customers < NDIM)
		PG_RETURN_NULL();
	fit_compact(s);
	L.s = s;
	L.nx = 0;
	L.xs = palloc(sizeof(int32) * s->n);
	L.ax = palloc(sizeof(double) * s->n);
	for (int64 i = 0; i < s->n; i++)
		if (L.nx == 0 || L.xs[L.nx - 1] != s->t[i].x)
			L.xs[L.nx++] = s->t[i].x;
	f = nelder_mead(&L, p);

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "bgnbd_fit: the result type is not composite");
	desc = BlessTupleDesc(desc);
	for (int j = 0; j < NDIM; j++)
		values[j] = Float8GetDatum(exp(p[j]));
	values[4] = Float8GetDatum(-f * s->customers);
	values[5] = Int64GetDatum(s->customers);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
