/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  customer_rfm(purchased_at, amount, observation_end, unit): one
 *	  customer's frequency, recency, age and mean spend, as the CLV models
 *	  read them (lifetimes' summary_data_from_transaction_data).
 *
 *	  Time is cut into periods of length unit counted back from
 *	  observation_end (the last period ends at it); purchases in one period
 *	  are one purchase of their total.  frequency = the periods with a
 *	  purchase - 1 (the repeat purchases), recency = from the first such
 *	  period to the last, age = from the first to observation_end, in units;
 *	  mean_spend = the mean total of the repeat periods (0 without one).
 *	  Purchases after observation_end are not counted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "sales_kpi.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

typedef struct Purchase
{
	int64		period;			/* <= 0: 0 is the period ending at observation_end */
	Numeric		amount;			/* in the state's context */
} Purchase;

typedef struct RfmState
{
	MemoryContext context;
	bool		has_end;
	TimestampTz end;
	int64		unit;			/* microseconds */
	int			n;
	int			capacity;
	Purchase   *p;
} RfmState;

static RfmState *
rfm_state_new(MemoryContext context)
{
	RfmState   *s = MemoryContextAllocZero(context, sizeof(RfmState));

	s->context = context;
	return s;
}

static void
rfm_add(RfmState *s, int64 period, Numeric amount)
{
	if (s->n == s->capacity)
	{
		s->capacity = Max(8, s->capacity * 2);
		s->p = s->p == NULL ? MemoryContextAlloc(s->context, sizeof(Purchase) * s->capacity)
			: repalloc(s->p, sizeof(Purchase) * s->capacity);
	}
	s->p[s->n].period = period;
	{
		MemoryContext old = MemoryContextSwitchTo(s->context);

		s->p[s->n].amount = DatumGetNumeric(datumCopy(NumericGetDatum(amount), false, -1));
		MemoryContextSwitchTo(old);
	}
	s->n++;
}

/* The first row sets observation_end and unit; every other must repeat them. */
static void
rfm_settings(RfmState *s, TimestampTz end, int64 unit)
{
	if (s->has_end && s->end == end && s->unit == unit)
		return;
	if (!s->has_end)
	{
		s->end = end;
		s->unit = unit;
		s->has_end = true;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("observation_end and unit must be the same on every row"),
			 errdetail("A row passed %s and %lld microseconds after rows passed %s and %lld.",
					   timestamptz_text(end), (long long) unit, timestamptz_text(s->end), (long long) s->unit),
			 errhint("Pass constants: the end of the observation and the model's time unit.")));
}

static int64
unit_usecs(Interval *unit)
{
	int64		usecs;

	if (unit->month != 0 ||
		pg_mul_s64_overflow((int64) unit->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, unit->time, &usecs) || usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit must be a positive interval of days and time"),
				 errdetail("unit is %s.", datum_text(IntervalPGetDatum(unit), INTERVALOID)),
				 errhint("Use for example '1 day' or '7 days'; months have no fixed length.")));
	return usecs;
}

PG_FUNCTION_INFO_V1(rfm_trans);
Datum
rfm_trans(PG_FUNCTION_ARGS)
{
	RfmState   *s = PG_ARGISNULL(0) ? rfm_state_new(agg_context_or_error(fcinfo))
		: (RfmState *) PG_GETARG_POINTER(0);
	TimestampTz at;
	TimestampTz end;
	int64		unit;
	int64		diff;
	Numeric		amount;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		PG_RETURN_POINTER(s);
	at = PG_GETARG_TIMESTAMPTZ(1);
	amount = PG_GETARG_NUMERIC(2);
	end = PG_GETARG_TIMESTAMPTZ(3);
	unit = unit_usecs(PG_GETARG_INTERVAL_P(4));
	check_finite_timestamp(at, "purchased_at");
	check_finite_timestamp(end, "observation_end");
	check_nonnegative_numeric(NumericGetDatum(amount), "amount",
							  "Leave refunds out: the spend model needs what was spent.");
	rfm_settings(s, end, unit);
	if (at > end)
		PG_RETURN_POINTER(s);	/* after the observation: not counted */
	if (pg_sub_s64_overflow(at, end, &diff))
		report_duration_out_of_range(at, end, "purchased_at", "observation_end");
	/* ceil(diff / unit) for diff <= 0 */
	rfm_add(s, -((-diff) / unit), amount);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(rfm_combine);
Datum
rfm_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo);
	RfmState   *into = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	RfmState   *from = PG_ARGISNULL(1) ? NULL : (RfmState *) PG_GETARG_POINTER(1);

	if (from == NULL)
		return combine_passthrough(fcinfo);
	if (into == NULL)
		into = rfm_state_new(aggcontext);
	if (from->has_end)
		rfm_settings(into, from->end, from->unit);
	for (int i = 0; i < from->n; i++)
		rfm_add(into, from->p[i].period, from->p[i].amount);
	PG_RETURN_POINTER(into);
}

PG_FUNCTION_INFO_V1(rfm_serialize);
Datum
rfm_serialize(PG_FUNCTION_ARGS)
{
	RfmState   *s = (RfmState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	state_write_begin(&buf, STATE_RFM);
	state_put_byte(&buf, s->has_end ? 1 : 0);
	state_put_int64(&buf, s->end);
	state_put_int64(&buf, s->unit);
	state_put_int32(&buf, s->n);
	for (int i = 0; i < s->n; i++)
	{
		state_put_int64(&buf, s->p[i].period);
		state_put_numeric(&buf, NumericGetDatum(s->p[i].amount));
	}
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

PG_FUNCTION_INFO_V1(rfm_deserialize);
Datum
rfm_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	RfmState   *s;
	int32		n;
	uint8		has_end;

	deserialize_call_check(fcinfo);
	s = rfm_state_new(CurrentMemoryContext);
	state_read_begin(&r, PG_GETARG_BYTEA_PP(0), STATE_RFM);
	has_end = state_get_byte(&r);
	s->end = state_get_int64(&r);
	s->unit = state_get_int64(&r);
	n = state_get_int32(&r);
	if (has_end > 1 || (has_end && s->unit <= 0) || n < 0 || n > (r.end - r.p) / 20)
		report_invalid_state(STATE_RFM, "The header is out of range.");
	s->has_end = has_end;
	for (int i = 0; i < n; i++)
	{
		int64		period = state_get_int64(&r);
		Datum		amount = state_get_numeric(&r);

		if (period > 0 || numeric_sign_internal(amount) < 0)
			report_invalid_state(STATE_RFM, "A purchase is out of range.");
		rfm_add(s, period, DatumGetNumeric(amount));
	}
	state_read_end(&r);
	PG_RETURN_POINTER(s);
}

static int
purchase_cmp(const void *a, const void *b)
{
	int64		x = ((const Purchase *) a)->period;
	int64		y = ((const Purchase *) b)->period;

	return (x > y) - (x < y);
}

/* (frequency, recency, age, mean_spend); NULL without a counted purchase. */
PG_FUNCTION_INFO_V1(rfm_final);
Datum
rfm_final(PG_FUNCTION_ARGS)
{
	RfmState   *s = PG_ARGISNULL(0) ? NULL : (RfmState *) PG_GETARG_POINTER(0);
	Purchase   *p;
	int			periods = 0;
	Datum		repeat_total = int64_to_numeric_datum(0);
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (s == NULL || s->n == 0)
		PG_RETURN_NULL();
	/* sort a copy: the state stays as it was */
	p = palloc(sizeof(Purchase) * s->n);
	memcpy(p, s->p, sizeof(Purchase) * s->n);
	qsort(p, s->n, sizeof(Purchase), purchase_cmp);
	for (int i = 0; i < s->n; i++)
	{
		if (i == 0 || p[i].period != p[i - 1].period)
			periods++;
		if (p[i].period != p[0].period)
			repeat_total = DirectFunctionCall2(numeric_add, repeat_total, NumericGetDatum(p[i].amount));
	}
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "customer_rfm: the result type is not composite");
	desc = BlessTupleDesc(desc);
	values[0] = Int32GetDatum(periods - 1);
	values[1] = Float8GetDatum((double) (p[s->n - 1].period - p[0].period));
	values[2] = Float8GetDatum((double) (-p[0].period));
	values[3] = periods > 1
		? DirectFunctionCall2(numeric_div, repeat_total, int64_to_numeric_datum(periods - 1))
		: int64_to_numeric_datum(0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
