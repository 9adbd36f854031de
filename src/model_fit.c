/*-------------------------------------------------------------------------
 *
 * model_fit.c
 *	  The fits of the CLV models: bgnbd_fit(frequency, recency, age) and
 *	  gamma_gamma_fit(frequency, mean_spend), maximum likelihood over the
 *	  customers an aggregate sees.
 *
 *	  The state is the customers' distinct (x, t_x, T) -- for Gamma-Gamma
 *	  (x, mean spend, 0) -- with their counts,
 *	  kept sorted and merged whenever the appended ones double it: states
 *	  combine by concatenation, and the likelihood is always summed over the
 *	  same sorted triples, so a serial and a parallel plan give identical
 *	  parameters.
 *
 *	  A fit minimises the negative mean log-likelihood over the logs of the
 *	  parameters (within exp(+-20)) by Nelder-Mead (as lifetimes does), from
 *	  all ones, to a relative 1e-11 in the likelihood and 1e-7 in the
 *	  parameters, checking for interrupts at every step;
 *	  after 20,000 steps it stops with an error giving the last
 *	  log-likelihood.  The terms that depend on x alone (the log-gammas)
 *	  are computed once per distinct x per step, BG/NBD's log(alpha + v)
 *	  once per distinct T or t_x, and Gamma-Gamma's log of a mean spend
 *	  once per fit: the same numbers, so the same parameters to the bit.
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
	StateKind	kind;			/* STATE_BGNBD_FIT or STATE_GAMMA_GAMMA_FIT */
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
fit_state_new(MemoryContext context, StateKind kind)
{
	FitState   *s = MemoryContextAllocZero(context, sizeof(FitState));

	s->context = context;
	s->kind = kind;
	return s;
}

PG_FUNCTION_INFO_V1(bgnbd_fit_trans);
Datum
bgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	FitState   *s = PG_ARGISNULL(0) ? fit_state_new(agg_context_or_error(fcinfo), STATE_BGNBD_FIT)
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

PG_FUNCTION_INFO_V1(model_fit_combine);
Datum
model_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo);
	FitState   *into = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);
	FitState   *from = PG_ARGISNULL(1) ? NULL : (FitState *) PG_GETARG_POINTER(1);

	if (from == NULL)
		return combine_passthrough(fcinfo);
	if (into == NULL)
		into = fit_state_new(aggcontext, from->kind);
	for (int64 i = 0; i < from->n; i++)
		fit_add(into, from->t[i].x, from->t[i].tx, from->t[i].T, from->t[i].count);
	PG_RETURN_POINTER(into);
}

typedef union
{
	double		f;
	int64		i;
} Bits;

PG_FUNCTION_INFO_V1(model_fit_serialize);
Datum
model_fit_serialize(PG_FUNCTION_ARGS)
{
	FitState   *s = (FitState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	fit_compact(s);
	state_write_begin(&buf, s->kind);
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

static FitState *
fit_read(bytea *bytes, StateKind kind)
{
	StateReader r;
	FitState   *s = fit_state_new(CurrentMemoryContext, kind);
	int64		n;

	state_read_begin(&r, bytes, kind);
	n = state_get_int64(&r);
	if (n < 0 || n > (int64) (r.end - r.p) / 28)
		report_invalid_state(kind, "The count of customers is out of range.");
	for (int64 i = 0; i < n; i++)
	{
		int32		x = state_get_int32(&r);
		Bits		tx;
		Bits		T;
		int64		count;
		bool		ok;

		tx.i = state_get_int64(&r);
		T.i = state_get_int64(&r);
		count = state_get_int64(&r);
		if (kind == STATE_BGNBD_FIT)
			ok = x >= 0 && tx.f >= 0 && tx.f <= T.f && T.f > 0 && !isinf(T.f);
		else
			ok = x > 0 && tx.f > 0 && !isinf(tx.f) && T.f == 0;
		if (!ok || count <= 0)
			report_invalid_state(kind, "A customer is out of range.");
		fit_add(s, x, tx.f, T.f, count);
	}
	state_read_end(&r);
	return s;
}

PG_FUNCTION_INFO_V1(bgnbd_fit_deserialize);
Datum
bgnbd_fit_deserialize(PG_FUNCTION_ARGS)
{
	deserialize_call_check(fcinfo);
	PG_RETURN_POINTER(fit_read(PG_GETARG_BYTEA_PP(0), STATE_BGNBD_FIT));
}

PG_FUNCTION_INFO_V1(gamma_gamma_fit_deserialize);
Datum
gamma_gamma_fit_deserialize(PG_FUNCTION_ARGS)
{
	deserialize_call_check(fcinfo);
	PG_RETURN_POINTER(fit_read(PG_GETARG_BYTEA_PP(0), STATE_GAMMA_GAMMA_FIT));
}

/*
 * gamma_gamma_fit(frequency, mean_spend): the repeat buyers' (x, m), with
 * x > 0; a customer without repeat purchases says nothing of spend.
 */
PG_FUNCTION_INFO_V1(gamma_gamma_fit_trans);
Datum
gamma_gamma_fit_trans(PG_FUNCTION_ARGS)
{
	FitState   *s = PG_ARGISNULL(0) ? fit_state_new(agg_context_or_error(fcinfo), STATE_GAMMA_GAMMA_FIT)
		: (FitState *) PG_GETARG_POINTER(0);
	int32		x;
	double		m;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);
	x = PG_GETARG_INT32(1);
	check_finite_numeric(PG_GETARG_DATUM(2), "mean_spend");
	m = DatumGetFloat8(DirectFunctionCall1(numeric_float8, PG_GETARG_DATUM(2)));
	if (x < 0 || m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency and mean spend must not be negative"),
				 errdetail("frequency is %d, mean spend %g.", x, m),
				 errhint("Compute them with customer_rfm().")));
	if (x == 0)
		PG_RETURN_POINTER(s);
	if (m == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a repeat buyer's mean spend must be positive"),
				 errdetail("frequency is %d and mean spend 0.", x),
				 errhint("Leave out repeat purchases of no value, as the Gamma-Gamma model has none.")));
	fit_add(s, x, m, 0, 1);
	PG_RETURN_POINTER(s);
}

/* ------------------------------------------------------------------------
 * The likelihood and its minimisation.
 * ------------------------------------------------------------------------
 */

typedef struct Lik Lik;

struct Lik
{
	FitState   *s;
	int			ndim;			/* parameters */
	double		(*loglik) (Lik *L, const double *params);	/* mean log-likelihood */
	int			nx;				/* distinct x */
	int32	   *xs;				/* the distinct x, ascending */
	double	   *ax;				/* per distinct x: the log-gamma terms */
	double	   *bx;				/* per distinct x: log a - log(b + x - 1) */
	double	   *cx;				/* per distinct x: Gamma-Gamma's log x */
	/* BG/NBD: the distinct T and t_x (of x > 0), ascending */
	int64		nv;
	double	   *vals;
	double	   *logs;			/* per distinct value v: log(alpha + v) */
	int32	   *iT;				/* per triple: the index of its T in vals */
	int32	   *itx;			/* per triple with x > 0: that of its t_x */
	double	   *logm;			/* Gamma-Gamma, per triple: log of the spend */
};

/* BG/NBD: mean log-likelihood at (r, alpha, a, b). */
static double
bgnbd_loglik(Lik *L, const double *params)
{
	FitState   *s = L->s;
	double		r = params[0];
	double		alpha = params[1];
	double		a = params[2];
	double		b = params[3];
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
		L->bx[i] = x > 0 ? log_a - log(b + x - 1) : 0;
	}
	for (int64 j = 0; j < L->nv; j++)
		L->logs[j] = log(alpha + L->vals[j]);
	for (int64 i = 0; i < s->n; i++)
	{
		const Triple *c = &s->t[i];
		double		a3;
		double		ll;

		if (k < 0 || L->xs[k] != c->x)
			k++;
		a3 = -(r + c->x) * L->logs[L->iT[i]];
		if (c->x > 0)
		{
			double		a4 = L->bx[k] - (r + c->x) * L->logs[L->itx[i]];

			/* log(exp(a3) + exp(a4)) */
			ll = L->ax[k] + Max(a3, a4) + log1p(exp(-fabs(a3 - a4)));
		}
		else
			ll = L->ax[k] + a3;
		total += c->count * ll;
	}
	return total / s->customers;
}

/*
 * Gamma-Gamma: mean log-likelihood at (p, q, v) of the repeat buyers'
 * mean spend m over x purchases:
 * lgamma(px + q) - lgamma(px) - lgamma(q) + q ln v + (px - 1) ln m
 *   + px ln x - (px + q) ln(x m + v).
 */
static double
gamma_gamma_loglik(Lik *L, const double *params)
{
	FitState   *s = L->s;
	double		p = params[0];
	double		q = params[1];
	double		v = params[2];
	double		total = 0;
	double		lq = lgamma(q);
	double		log_v = log(v);
	int			k = -1;

	/* the log-gammas depend on x alone */
	for (int i = 0; i < L->nx; i++)
	{
		double		px = p * L->xs[i];

		L->ax[i] = lgamma(px + q);
		L->bx[i] = lgamma(px);
	}
	for (int64 i = 0; i < s->n; i++)
	{
		const Triple *c = &s->t[i];
		double		px = p * c->x;
		double		ll;

		if (k < 0 || L->xs[k] != c->x)
			k++;
		ll = L->ax[k] - L->bx[k] - lq + q * log_v + (px - 1) * L->logm[i]
			+ px * L->cx[k] - (px + q) * log(c->x * c->tx + v);
		total += c->count * ll;
	}
	return total / s->customers;
}

#define MAXDIM 4

/*
 * The parameters are searched within exp(+-20) (about 2e-9 to 5e8), beyond
 * which the objective is its value at the edge: a likelihood whose supremum
 * lies at the edge (data without drop-outs drives a to 0 and r, alpha up
 * together) then converges there, to the degenerate model the data
 * supports, instead of wandering off.
 */
#define LOG_BOUND 20.0

static double
objective(Lik *L, const double *logp)
{
	double		params[MAXDIM];
	double		v;

	for (int j = 0; j < L->ndim; j++)
		params[j] = exp(Max(-LOG_BOUND, Min(LOG_BOUND, logp[j])));
	v = -L->loglik(L, params);
	return isnan(v) ? INFINITY : v;
}

/*
 * Nelder-Mead (standard coefficients) from p, in place; returns the
 * objective at the end, or reports non-convergence.
 */
static double
nelder_mead(Lik *L, double *p, const char *fit)
{
	int			n = L->ndim;
	double		x[MAXDIM + 1][MAXDIM] = {{0}};
	double		f[MAXDIM + 1];
	double		best_then = INFINITY;	/* the best value 100 steps ago */

	for (int i = 0; i <= n; i++)
	{
		for (int j = 0; j < n; j++)
			x[i][j] = p[j] + (i == j + 1 ? 0.5 : 0);
		f[i] = objective(L, x[i]);
	}

	for (int iter = 0; iter < 20000; iter++)
	{
		int			lo = 0,
					hi = 0,
					nh;
		double		c[MAXDIM];
		double		xr[MAXDIM],
					xe[MAXDIM],
					xc[MAXDIM];
		double		fr,
					fc,
					spread = 0;

		bool		stalled = false;

		CHECK_FOR_INTERRUPTS();
		for (int i = 1; i <= n; i++)
		{
			if (f[i] < f[lo])
				lo = i;
			if (f[i] > f[hi])
				hi = i;
		}

		/*
		 * Or stalled: 100 steps improved the best value by less than 1e-13
		 * (a ridge climbing towards a supremum at infinity, as when every
		 * customer buys at the same rate: r and alpha grow together).
		 */
		if (iter % 100 == 0)
		{
			stalled = iter > 0 && best_then - f[lo] <= 1e-13 * (fabs(f[lo]) + 1e-12);
			best_then = f[lo];
		}
		nh = (hi == 0) ? 1 : 0;
		for (int i = 0; i <= n; i++)
			if (i != hi && f[i] > f[nh])
				nh = i;
		for (int i = 0; i <= n; i++)
			for (int j = 0; j < n; j++)
				spread = Max(spread, fabs(x[i][j] - x[lo][j]));
		/*
		 * Converged: the vertices agree to 1e-11 and lie within 1e-7 of each
		 * other (the parameters to a relative 1e-7), or (a ridge where the
		 * likelihood is flat, as at the edge) they agree to 1e-14 however far
		 * apart.
		 */
		if ((fabs(f[hi] - f[lo]) <= 1e-11 * (fabs(f[lo]) + 1e-12) &&
			 (spread < 1e-7 || fabs(f[hi] - f[lo]) <= 1e-14 * (fabs(f[lo]) + 1e-12))) ||
			stalled)
		{
			memcpy(p, x[lo], sizeof(double) * n);
			return f[lo];
		}
		for (int j = 0; j < n; j++)
		{
			c[j] = 0;
			for (int i = 0; i <= n; i++)
				if (i != hi)
					c[j] += x[i][j] / n;
		}
		for (int j = 0; j < n; j++)
			xr[j] = c[j] + (c[j] - x[hi][j]);
		fr = objective(L, xr);
		if (fr < f[lo])
		{
			double		fe;

			for (int j = 0; j < n; j++)
				xe[j] = c[j] + 2 * (c[j] - x[hi][j]);
			fe = objective(L, xe);
			memcpy(x[hi], fe < fr ? xe : xr, sizeof(double) * n);
			f[hi] = Min(fe, fr);
			continue;
		}
		if (fr < f[nh])
		{
			memcpy(x[hi], xr, sizeof(double) * n);
			f[hi] = fr;
			continue;
		}
		/* contraction, outside or inside */
		for (int j = 0; j < n; j++)
			xc[j] = (fr < f[hi]) ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (x[hi][j] - c[j]);
		fc = objective(L, xc);
		if (fc < Min(fr, f[hi]))
		{
			memcpy(x[hi], xc, sizeof(double) * n);
			f[hi] = fc;
			continue;
		}
		/* shrink towards the best */
		for (int i = 0; i <= n; i++)
		{
			if (i == lo)
				continue;
			for (int j = 0; j < n; j++)
				x[i][j] = x[lo][j] + 0.5 * (x[i][j] - x[lo][j]);
			f[i] = objective(L, x[i]);
		}
	}
	{
		int			lo = 0;
		StringInfoData at;

		for (int i = 1; i <= n; i++)
			if (f[i] < f[lo])
				lo = i;
		initStringInfo(&at);
		for (int j = 0; j < n; j++)
			appendStringInfo(&at, "%s%g", j > 0 ? ", " : "", exp(x[lo][j]));
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s did not converge", fit),
				 errdetail("After 20,000 steps the log-likelihood was %g at parameters (%s).",
						   -f[lo] * L->s->customers, at.data),
				 errhint("The data may not fit the model: check that frequency, recency and age share one time unit.")));
	}
	return 0;					/* not reached */
}

/*
 * BG/NBD: the distinct values among the triples' T and (for x > 0) t_x, and
 * each triple's index into them, so that a step takes log(alpha + v) once
 * per distinct value rather than once or twice per triple.  The logs are
 * the same numbers either way: the likelihood does not change by a bit.
 */
static int
double_cmp(const void *pa, const void *pb)
{
	double		a = *(const double *) pa;
	double		b = *(const double *) pb;

	return (a > b) - (a < b);
}

static int32
value_index(const Lik *L, double v)
{
	int64		lo = 0,
				hi = L->nv - 1;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (L->vals[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(L->vals[lo] == v);
	return (int32) lo;
}

static void
bgnbd_prepare(Lik *L)
{
	FitState   *s = L->s;
	int64		n = 0;

	L->vals = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * s->n * 2);
	for (int64 i = 0; i < s->n; i++)
	{
		L->vals[n++] = s->t[i].T;
		if (s->t[i].x > 0)
			L->vals[n++] = s->t[i].tx;
	}
	qsort(L->vals, n, sizeof(double), double_cmp);
	L->nv = 0;
	for (int64 i = 0; i < n; i++)
		if (L->nv == 0 || L->vals[L->nv - 1] != L->vals[i])
			L->vals[L->nv++] = L->vals[i];
	L->logs = palloc(sizeof(double) * L->nv);
	L->iT = palloc(sizeof(int32) * s->n);
	L->itx = palloc(sizeof(int32) * s->n);
	for (int64 i = 0; i < s->n; i++)
	{
		L->iT[i] = value_index(L, s->t[i].T);
		L->itx[i] = s->t[i].x > 0 ? value_index(L, s->t[i].tx) : 0;
	}
}

/*
 * Gamma-Gamma: the logs that do not move with the parameters, of each
 * distinct x and of each triple's mean spend (tx here), once per fit.
 */
static void
gamma_gamma_prepare(Lik *L)
{
	FitState   *s = L->s;

	L->cx = palloc(sizeof(double) * L->nx);
	for (int i = 0; i < L->nx; i++)
		L->cx[i] = log((double) L->xs[i]);
	L->logm = palloc(sizeof(double) * s->n);
	for (int64 i = 0; i < s->n; i++)
		L->logm[i] = log(s->t[i].tx);
}

/* Fit: the parameters and the log-likelihood, as a row of the result type. */
static Datum
fit_result(FunctionCallInfo fcinfo, FitState *s, int ndim,
		   double (*loglik) (Lik *L, const double *params), void (*prepare) (Lik *L),
		   const char *fit)
{
	Lik			L;
	double		p[MAXDIM] = {0, 0, 0, 0};
	double		f;
	TupleDesc	desc;
	Datum		values[MAXDIM + 2];
	bool		nulls[MAXDIM + 2] = {false};

	fit_compact(s);
	L.s = s;
	L.ndim = ndim;
	L.loglik = loglik;
	L.nx = 0;
	L.xs = palloc(sizeof(int32) * s->n);
	L.ax = palloc(sizeof(double) * s->n);
	L.bx = palloc(sizeof(double) * s->n);
	for (int64 i = 0; i < s->n; i++)
		if (L.nx == 0 || L.xs[L.nx - 1] != s->t[i].x)
			L.xs[L.nx++] = s->t[i].x;
	prepare(&L);
	f = nelder_mead(&L, p, fit);

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: the result type is not composite", fit);
	desc = BlessTupleDesc(desc);
	for (int j = 0; j < ndim; j++)
		values[j] = Float8GetDatum(exp(Max(-LOG_BOUND, Min(LOG_BOUND, p[j]))));
	values[ndim] = Float8GetDatum(-f * s->customers);
	values[ndim + 1] = Int64GetDatum(s->customers);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

PG_FUNCTION_INFO_V1(bgnbd_fit_final);
Datum
bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	FitState   *s = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);

	/* fewer customers than parameters: undefined */
	if (s == NULL || s->customers < 4)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(fit_result(fcinfo, s, 4, bgnbd_loglik, bgnbd_prepare, "bgnbd_fit"));
}

PG_FUNCTION_INFO_V1(gamma_gamma_fit_final);
Datum
gamma_gamma_fit_final(PG_FUNCTION_ARGS)
{
	FitState   *s = PG_ARGISNULL(0) ? NULL : (FitState *) PG_GETARG_POINTER(0);

	/* fewer repeat buyers than parameters (none at all included): undefined */
	if (s == NULL || s->customers < 3)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(fit_result(fcinfo, s, 3, gamma_gamma_loglik, gamma_gamma_prepare, "gamma_gamma_fit"));
}
