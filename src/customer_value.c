/*-------------------------------------------------------------------------
 *
 * customer_value.c
 *	  Customer value: the clv(customer_id, amount, purchased_at) aggregate,
 *	  the scalar clv(avg_purchase_value, purchases_per_year, lifespan_years),
 *	  and the acv(contract_value, term) aggregate (at the end of the file).
 *
 *	  From purchase rows, with each customer's first and last purchase:
 *		V = sum(amount) / purchases
 *		tenure_c = max(last_c - first_c, 1 year), in years of 365.25 days
 *		F = mean over customers of purchases_c / tenure_c
 *		L = mean over customers of tenure_c
 *		CLV = V * F * L, rounded to 8 decimal places, trailing zeros dropped
 *
 *	  The state is an open-addressing hash of customers (32 bytes each) plus
 *	  PostgreSQL's own exact numeric sum accumulator, driven through its
 *	  aggregate support functions so the amount total is exact and costs no
 *	  allocation per row.  Customers merge by id, so states combine in any
 *	  order (parallel workers, shards).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

typedef struct ClvCustomer
{
	int64		customer_id;
	TimestampTz first_at;
	TimestampTz last_at;
	int32		purchases;
	char		status;			/* used by simplehash */
} ClvCustomer;

/* 64-bit finaliser mix (splitmix64's), spreading sequential ids. */
static inline uint32
clv_hash_id(int64 id)
{
	uint64		h = (uint64) id;

	h ^= h >> 30;
	h *= UINT64CONST(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64CONST(0x94d049bb133111eb);
	h ^= h >> 31;
	return (uint32) h;
}

#define SH_PREFIX		clvhash
#define SH_ELEMENT_TYPE ClvCustomer
#define SH_KEY_TYPE		int64
#define SH_KEY			customer_id
#define SH_HASH_KEY(tb, key) clv_hash_id(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct ClvState
{
	clvhash_hash *customers;
	Datum		amounts;		/* numeric_avg_accum's state, or 0 */
	int64		purchases;
} ClvState;

#define USECS_PER_YEAR	((double) USECS_PER_DAY * 365.25)

static ClvState *
clv_state_new(MemoryContext aggcontext, uint32 size)
{
	ClvState   *state = MemoryContextAllocZero(aggcontext, sizeof(ClvState));

	state->customers = clvhash_create(aggcontext, Max(size, 16), NULL);
	return state;
}

/* Merge one customer's purchases into the state. */
static inline void
clv_add_customer(ClvState *state, int64 id, TimestampTz first_at,
				 TimestampTz last_at, int32 purchases)
{
	bool		found;
	ClvCustomer *c = clvhash_insert(state->customers, id, &found);

	if (!found)
	{
		c->first_at = first_at;
		c->last_at = last_at;
		c->purchases = purchases;
		return;
	}
	if (first_at < c->first_at)
		c->first_at = first_at;
	if (last_at > c->last_at)
		c->last_at = last_at;
	if (pg_add_s32_overflow(c->purchases, purchases, &c->purchases))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("too many purchases for one customer"),
				 errdetail("Customer " INT64_FORMAT " has more than %d purchases.",
						   id, PG_INT32_MAX),
				 errhint("Aggregate such customers in smaller groups.")));
}

/*
 * Transition (internal, customer_id, amount, purchased_at): rows with any
 * NULL are skipped.
 */
PG_FUNCTION_INFO_V1(clv_trans);
Datum
clv_trans(PG_FUNCTION_ARGS)
{
	ClvState   *state = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	int64		id;
	Datum		amount;
	TimestampTz at;
	bool		isnull;

	if (state == NULL)
		state = clv_state_new(agg_context_or_error(fcinfo, "clv_trans"), 64);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(state);

	id = PG_GETARG_INT64(1);
	amount = PG_GETARG_DATUM(2);
	at = PG_GETARG_TIMESTAMPTZ(3);
	check_finite_numeric(amount, "amount");
	check_finite_timestamp(at, "purchased_at");

	clv_add_customer(state, id, at, at, 1);
	state->amounts = call_numeric_agg(numeric_avg_accum, fcinfo,
									  state->amounts, state->amounts == 0,
									  amount, false, &isnull);
	state->purchases++;
	PG_RETURN_POINTER(state);
}

/* Combine: merge customers by id and add the amount sums. */
PG_FUNCTION_INFO_V1(clv_combine);
Datum
clv_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo, "clv_combine");
	ClvState   *s1 = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	ClvState   *s2 = PG_ARGISNULL(1) ? NULL : (ClvState *) PG_GETARG_POINTER(1);
	clvhash_iterator it;
	ClvCustomer *c;
	bool		isnull;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = clv_state_new(aggcontext, s2->customers->members);

	clvhash_start_iterate(s2->customers, &it);
	while ((c = clvhash_iterate(s2->customers, &it)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		clv_add_customer(s1, c->customer_id, c->first_at, c->last_at,
						 c->purchases);
	}

	if (s2->amounts != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		s1->amounts = call_numeric_agg(numeric_avg_combine, fcinfo,
									   s1->amounts, s1->amounts == 0,
									   s2->amounts, false, &isnull);
		MemoryContextSwitchTo(old);
	}
	s1->purchases += s2->purchases;
	PG_RETURN_POINTER(s1);
}

/*
 * Serialize: purchase count, customer count, each customer (id, first, last,
 * purchases), then numeric.c's own serialization of the amount sum.
 */
PG_FUNCTION_INFO_V1(clv_serialize);
Datum
clv_serialize(PG_FUNCTION_ARGS)
{
	ClvState   *state;
	StringInfoData buf;
	clvhash_iterator it;
	ClvCustomer *c;

	agg_context_or_error(fcinfo, "clv_serialize");
	state = (ClvState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->purchases);
	pq_sendint32(&buf, state->customers->members);
	clvhash_start_iterate(state->customers, &it);
	while ((c = clvhash_iterate(state->customers, &it)) != NULL)
	{
		pq_sendint64(&buf, c->customer_id);
		pq_sendint64(&buf, c->first_at);
		pq_sendint64(&buf, c->last_at);
		pq_sendint32(&buf, c->purchases);
	}
	send_numeric_state(&buf, fcinfo, state->amounts);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(clv_deserialize);
Datum
clv_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	ClvState   *state;
	uint32		ncustomers;

	state_buffer_open(fcinfo, &buf, "clv_deserialize");

	state = palloc0(sizeof(ClvState));
	state->purchases = pq_getmsgint64(&buf);
	ncustomers = (uint32) pq_getmsgint(&buf, 4);
	state->customers = clvhash_create(CurrentMemoryContext, Max(ncustomers, 16), NULL);
	for (uint32 i = 0; i < ncustomers; i++)
	{
		int64		id = pq_getmsgint64(&buf);
		TimestampTz first_at = pq_getmsgint64(&buf);
		TimestampTz last_at = pq_getmsgint64(&buf);
		int32		purchases = pq_getmsgint(&buf, 4);

		clv_add_customer(state, id, first_at, last_at, purchases);
	}
	state->amounts = recv_numeric_state(&buf, fcinfo);
	pq_getmsgend(&buf);
	pfree(buf.data);

	PG_RETURN_POINTER(state);
}

/* Final: V * F * L (see the file header); NULL without a counted purchase. */
PG_FUNCTION_INFO_V1(clv_final);
Datum
clv_final(PG_FUNCTION_ARGS)
{
	ClvState   *state = PG_ARGISNULL(0) ? NULL : (ClvState *) PG_GETARG_POINTER(0);
	clvhash_iterator it;
	ClvCustomer *c;
	double		sum_freq = 0.0;
	double		sum_tenure = 0.0;
	double		ncust;
	double		fl;
	Datum		total;
	Datum		v;
	Datum		result;
	bool		isnull;

	if (state == NULL || state->purchases == 0)
		PG_RETURN_NULL();

	clvhash_start_iterate(state->customers, &it);
	while ((c = clvhash_iterate(state->customers, &it)) != NULL)
	{
		double		tenure = (double) (c->last_at - c->first_at) / USECS_PER_YEAR;

		if (tenure < 1.0)
			tenure = 1.0;
		sum_freq += c->purchases / tenure;
		sum_tenure += tenure;
	}
	CHECK_FOR_INTERRUPTS();
	ncust = (double) state->customers->members;
	fl = (sum_freq / ncust) * (sum_tenure / ncust);

	total = call_numeric_agg(numeric_sum, fcinfo, state->amounts, false,
							 (Datum) 0, true, &isnull);
	v = DirectFunctionCall2(numeric_div, total,
							DirectFunctionCall1(int8_numeric, Int64GetDatum(state->purchases)));
	result = DirectFunctionCall2(numeric_mul, v,
								 DirectFunctionCall1(float8_numeric, Float8GetDatum(fl)));
	PG_RETURN_DATUM(money_result(result));
}

/*
 * clv(avg_purchase_value, purchases_per_year, lifespan_years) -> numeric:
 * the plain product V * F * L.
 */
PG_FUNCTION_INFO_V1(clv_scalar);
Datum
clv_scalar(PG_FUNCTION_ARGS)
{
	Datum		v = PG_GETARG_DATUM(0);
	Datum		f = PG_GETARG_DATUM(1);
	Datum		l = PG_GETARG_DATUM(2);
	Datum		zero = DirectFunctionCall1(int8_numeric, Int64GetDatum(0));

	check_finite_numeric(v, "avg_purchase_value");
	check_finite_numeric(f, "purchases_per_year");
	check_finite_numeric(l, "lifespan_years");
	if (DatumGetBool(DirectFunctionCall2(numeric_lt, f, zero)) ||
		DatumGetBool(DirectFunctionCall2(numeric_lt, l, zero)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchases_per_year and lifespan_years must not be negative"),
				 errdetail("purchases_per_year is %s and lifespan_years is %s.",
						   DatumGetCString(DirectFunctionCall1(numeric_out, f)),
						   DatumGetCString(DirectFunctionCall1(numeric_out, l))),
				 errhint("Pass the mean number of purchases per customer per year and the mean customer lifespan in years.")));

	PG_RETURN_DATUM(DirectFunctionCall2(numeric_mul,
										DirectFunctionCall2(numeric_mul, v, f), l));
}

/* ------------------------------------------------------------------------
 * acv(contract_value numeric, term daterange): mean annual contract value.
 *
 * Term years are calendar years as age(upper, lower) counts them: whole
 * months / 12 plus leftover days / 365.25.  In units of 1/17532 year (the
 * common denominator of 12 and 365.25 with 4), a term is
 * months * 1461 + days * 48, so a row's annual value is
 * contract_value * 17532 / that.  The state is numeric.c's own avg state
 * over the annual values, so combine, serialize, deserialize and the inverse
 * are numeric.c's functions.
 * ------------------------------------------------------------------------
 */

#define TERM_UNITS_PER_YEAR		17532	/* 12 * 1461 */

/* The term of a contract in 1/17532 years; errors for empty or unbounded. */
static int64
term_units(FunctionCallInfo fcinfo, RangeType *term)
{
	TypeCacheEntry *typcache = range_typcache(fcinfo, RangeTypeGetOid(term));
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;
	Interval   *age;

	range_deserialize(typcache, term, &lower, &upper, &empty);

	if (empty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("term must not be empty"),
				 errdetail("term is empty."),
				 errhint("Pass the contract's [start, end) dates, or leave such rows out with WHERE NOT isempty(term).")));
	if (lower.infinite || upper.infinite ||
		DATE_NOT_FINITE(DatumGetDateADT(lower.val)) ||
		DATE_NOT_FINITE(DatumGetDateADT(upper.val)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("term must be bounded"),
				 errdetail("term is %s.",
						   datum_text(RangeTypePGetDatum(term), RangeTypeGetOid(term))),
				 errhint("An annual value needs a finite term; leave open-ended contracts out with WHERE NOT upper_inf(term) AND isfinite(upper(term)).")));

	age = DatumGetIntervalP(DirectFunctionCall2(timestamp_age,
												DirectFunctionCall1(date_timestamp, upper.val),
												DirectFunctionCall1(date_timestamp, lower.val)));
	return (int64) age->month * 1461 + (int64) age->day * 48;
}

/* The annual value of one contract: contract_value * 17532 / term units. */
static Datum
acv_row_value(FunctionCallInfo fcinfo, bool *counted)
{
	Datum		value;
	int64		units;

	*counted = false;
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return (Datum) 0;
	value = PG_GETARG_DATUM(1);
	check_finite_numeric(value, "contract_value");
	units = term_units(fcinfo, PG_GETARG_RANGE_P(2));
	*counted = true;
	if (units == TERM_UNITS_PER_YEAR)
		return value;
	return DirectFunctionCall2(numeric_div,
							   DirectFunctionCall2(numeric_mul, value,
												   DirectFunctionCall1(int8_numeric, Int64GetDatum(TERM_UNITS_PER_YEAR))),
							   DirectFunctionCall1(int8_numeric, Int64GetDatum(units)));
}

/* Transition (internal, contract_value, term): add the row's annual value. */
PG_FUNCTION_INFO_V1(acv_trans);
Datum
acv_trans(PG_FUNCTION_ARGS)
{
	bool		counted;
	bool		isnull;
	Datum		annual;
	Datum		state;

	agg_context_or_error(fcinfo, "acv_trans");
	annual = acv_row_value(fcinfo, &counted);
	state = call_numeric_agg(numeric_avg_accum, fcinfo,
							 PG_GETARG_DATUM(0), PG_ARGISNULL(0),
							 annual, !counted, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(state);
}

/* Inverse transition: remove the row's annual value. */
PG_FUNCTION_INFO_V1(acv_inv);
Datum
acv_inv(PG_FUNCTION_ARGS)
{
	bool		counted;
	bool		isnull;
	Datum		annual;
	Datum		state;

	agg_context_or_error(fcinfo, "acv_inv");
	annual = acv_row_value(fcinfo, &counted);
	if (!counted)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	state = call_numeric_agg(numeric_accum_inv, fcinfo,
							 PG_GETARG_DATUM(0), PG_ARGISNULL(0),
							 annual, false, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(state);
}

/* Final: the mean annual value, money-rounded; NULL without a contract. */
PG_FUNCTION_INFO_V1(acv_final);
Datum
acv_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		mean;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	mean = call_numeric_agg(numeric_avg, fcinfo, PG_GETARG_DATUM(0), false,
							(Datum) 0, true, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(money_result(mean));
}
