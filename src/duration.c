/*-------------------------------------------------------------------------
 *
 * duration.c
 *	  Duration aggregates: avg_time_in_pipeline() in its three forms,
 *	  sales_cycle_length() and avg_ramp_time().
 *
 *	  Each row contributes an exact duration in microseconds; the state is the
 *	  row count and a 128-bit sum, so means are exact, states combine in any
 *	  order, and a row can be un-added for sliding window frames.  The mean
 *	  is rounded half away from zero to the microsecond and returned as an
 *	  interval of days and time (justify_hours form, never months).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "access/xact.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

/* Convert a non-negative count of microseconds to days + time. */
Interval *
usecs_to_interval(int64 usecs)
{
	Interval   *result = (Interval *) palloc(sizeof(Interval));

	result->month = 0;
	result->day = (int32) (usecs / USECS_PER_DAY);
	result->time = usecs % USECS_PER_DAY;
	return result;
}

/* The text form of a timestamptz, for error details. */
char *
timestamptz_text(TimestampTz ts)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(ts)));
}

/* The error of duration_usecs(): an end before its start, naming both. */
void
report_end_before_start(TimestampTz start, TimestampTz end,
						const char *start_name, const char *end_name)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must not be earlier than %s", end_name, start_name),
			 errdetail("%s is %s and %s is %s.",
					   end_name, timestamptz_text(end),
					   start_name, timestamptz_text(start)),
			 errhint("Correct the row, or leave it out with WHERE %s >= %s.",
					 end_name, start_name)));
}

/* Duration from start to the beginning of the transaction (an open row). */
static int64
open_duration_usecs(TimestampTz start, const char *start_name)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (now < start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s of an open row must not be in the future", start_name),
				 errdetail("%s is %s and the transaction started at %s.",
						   start_name, timestamptz_text(start),
						   timestamptz_text(now)),
				 errhint("Pass an explicit as_of, or leave such rows out with WHERE %s <= now().",
						 start_name)));
	return now - start;
}

/* ------------------------------------------------------------------------
 * State handling, shared by every duration aggregate.
 * ------------------------------------------------------------------------
 */

/* The state, created in the aggregate context on the first row. */
static inline DurationSumState *
duration_state_get(FunctionCallInfo fcinfo)
{
	if (likely(!PG_ARGISNULL(0)))
		return (DurationSumState *) PG_GETARG_POINTER(0);
	return (DurationSumState *) MemoryContextAllocZero(agg_context_or_error(fcinfo, "duration aggregate"),
													   sizeof(DurationSumState));
}

static inline Datum
duration_apply(FunctionCallInfo fcinfo, bool counted, int64 usecs, int sign)
{
	DurationSumState *state = duration_state_get(fcinfo);

	if (counted)
	{
		state->count += sign;
		state->sum_usecs += (int128) usecs * sign;
	}
	PG_RETURN_POINTER(state);
}

/*
 * avg_time_in_pipeline(entered_at): each row runs from entered_at to the start
 * of the transaction.
 */
static bool
pipeline1_row(FunctionCallInfo fcinfo, int64 *usecs)
{
	TimestampTz entered;

	if (PG_ARGISNULL(1))
		return false;
	entered = PG_GETARG_TIMESTAMPTZ(1);
	check_finite_timestamp(entered, "entered_at");
	*usecs = open_duration_usecs(entered, "entered_at");
	return true;
}

/*
 * avg_time_in_pipeline(entered_at, exited_at): exited_at - entered_at, or up
 * to the start of the transaction while exited_at is NULL.
 */
static bool
pipeline2_row(FunctionCallInfo fcinfo, int64 *usecs)
{
	TimestampTz entered;

	if (PG_ARGISNULL(1))
		return false;
	entered = PG_GETARG_TIMESTAMPTZ(1);
	check_finite_timestamp(entered, "entered_at");
	if (PG_ARGISNULL(2))
		*usecs = open_duration_usecs(entered, "entered_at");
	else
	{
		TimestampTz exited = PG_GETARG_TIMESTAMPTZ(2);

		check_finite_timestamp(exited, "exited_at");
		*usecs = duration_usecs(entered, exited, "entered_at", "exited_at");
	}
	return true;
}

/*
 * avg_time_in_pipeline(entered_at, exited_at, as_of): rows entered after
 * as_of are skipped; each row runs to least(coalesce(exited_at, as_of), as_of).
 */
static bool
pipeline3_row(FunctionCallInfo fcinfo, int64 *usecs)
{
	TimestampTz entered;
	TimestampTz as_of;
	TimestampTz end;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(3))
		return false;
	entered = PG_GETARG_TIMESTAMPTZ(1);
	as_of = PG_GETARG_TIMESTAMPTZ(3);
	check_finite_timestamp(entered, "entered_at");
	check_finite_timestamp(as_of, "as_of");

	end = as_of;
	if (!PG_ARGISNULL(2))
	{
		TimestampTz exited = PG_GETARG_TIMESTAMPTZ(2);

		check_finite_timestamp(exited, "exited_at");
		/* a row that ends before it starts is bad data, as of any date */
		(void) duration_usecs(entered, exited, "entered_at", "exited_at");
		if (exited < as_of)
			end = exited;
	}
	if (entered > as_of)
		return false;
	*usecs = end - entered;
	return true;
}

/*
 * A (start, end) pair where both must be set: sales_cycle_length and
 * avg_ramp_time.  Rows missing either end are not counted.
 */
static bool
pair_row(FunctionCallInfo fcinfo, int64 *usecs,
		 const char *start_name, const char *end_name)
{
	TimestampTz start;
	TimestampTz end;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return false;
	start = PG_GETARG_TIMESTAMPTZ(1);
	end = PG_GETARG_TIMESTAMPTZ(2);
	check_finite_timestamp(start, start_name);
	check_finite_timestamp(end, end_name);
	*usecs = duration_usecs(start, end, start_name, end_name);
	return true;
}

/* ------------------------------------------------------------------------
 * Transition and inverse transition functions.
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(pipeline1_trans);
Datum
pipeline1_trans(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pipeline1_row(fcinfo, &usecs);

	return duration_apply(fcinfo, counted, usecs, 1);
}

PG_FUNCTION_INFO_V1(pipeline1_inv);
Datum
pipeline1_inv(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pipeline1_row(fcinfo, &usecs);

	return duration_apply(fcinfo, counted, usecs, -1);
}

PG_FUNCTION_INFO_V1(pipeline2_trans);
Datum
pipeline2_trans(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pipeline2_row(fcinfo, &usecs);

	return duration_apply(fcinfo, counted, usecs, 1);
}

PG_FUNCTION_INFO_V1(pipeline2_inv);
Datum
pipeline2_inv(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pipeline2_row(fcinfo, &usecs);

	return duration_apply(fcinfo, counted, usecs, -1);
}

PG_FUNCTION_INFO_V1(pipeline3_trans);
Datum
pipeline3_trans(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pipeline3_row(fcinfo, &usecs);

	return duration_apply(fcinfo, counted, usecs, 1);
}

PG_FUNCTION_INFO_V1(pipeline3_inv);
Datum
pipeline3_inv(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pipeline3_row(fcinfo, &usecs);

	return duration_apply(fcinfo, counted, usecs, -1);
}

PG_FUNCTION_INFO_V1(cycle_trans);
Datum
cycle_trans(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pair_row(fcinfo, &usecs, "created_at", "closed_at");

	return duration_apply(fcinfo, counted, usecs, 1);
}

PG_FUNCTION_INFO_V1(cycle_inv);
Datum
cycle_inv(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pair_row(fcinfo, &usecs, "created_at", "closed_at");

	return duration_apply(fcinfo, counted, usecs, -1);
}

PG_FUNCTION_INFO_V1(ramp_trans);
Datum
ramp_trans(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pair_row(fcinfo, &usecs, "started_at", "first_contact_at");

	return duration_apply(fcinfo, counted, usecs, 1);
}

PG_FUNCTION_INFO_V1(ramp_inv);
Datum
ramp_inv(PG_FUNCTION_ARGS)
{
	int64		usecs = 0;
	bool		counted = pair_row(fcinfo, &usecs, "started_at", "first_contact_at");

	return duration_apply(fcinfo, counted, usecs, -1);
}

/* ------------------------------------------------------------------------
 * Combine, serialize, deserialize, final.
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(duration_combine);
Datum
duration_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo, "duration_combine");
	DurationSumState *s1 = PG_ARGISNULL(0) ? NULL : (DurationSumState *) PG_GETARG_POINTER(0);
	DurationSumState *s2 = PG_ARGISNULL(1) ? NULL : (DurationSumState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = (DurationSumState *) MemoryContextAllocZero(aggcontext,
														 sizeof(DurationSumState));
	s1->count += s2->count;
	s1->sum_usecs += s2->sum_usecs;
	PG_RETURN_POINTER(s1);
}

/* Serialize: count, then the 128-bit sum as high and low 64-bit halves. */
PG_FUNCTION_INFO_V1(duration_serialize);
Datum
duration_serialize(PG_FUNCTION_ARGS)
{
	DurationSumState *state;
	StringInfoData buf;
	uint128		sum;

	agg_context_or_error(fcinfo, "duration_serialize");
	state = (DurationSumState *) PG_GETARG_POINTER(0);
	sum = (uint128) state->sum_usecs;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->count);
	pq_sendint64(&buf, (uint64) (sum >> 64));
	pq_sendint64(&buf, (uint64) sum);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(duration_deserialize);
Datum
duration_deserialize(PG_FUNCTION_ARGS)
{
	DurationSumState *state;
	StringInfoData buf;
	uint64		hi;
	uint64		lo;

	state_buffer_open(fcinfo, &buf, "duration_deserialize");

	state = (DurationSumState *) palloc(sizeof(DurationSumState));
	state->count = pq_getmsgint64(&buf);
	hi = (uint64) pq_getmsgint64(&buf);
	lo = (uint64) pq_getmsgint64(&buf);
	state->sum_usecs = (int128) (((uint128) hi << 64) | lo);
	pq_getmsgend(&buf);
	pfree(buf.data);

	PG_RETURN_POINTER(state);
}

/*
 * Final: sum / count, rounded half away from zero to the microsecond; NULL
 * without a counted row.  Reads the state only, so it serves window frames.
 */
PG_FUNCTION_INFO_V1(duration_avg_final);
Datum
duration_avg_final(PG_FUNCTION_ARGS)
{
	DurationSumState *state = PG_ARGISNULL(0) ? NULL : (DurationSumState *) PG_GETARG_POINTER(0);
	int128		q;
	int128		r;

	if (state == NULL || state->count <= 0)
		PG_RETURN_NULL();

	q = state->sum_usecs / state->count;
	r = state->sum_usecs % state->count;
	if (r * 2 >= state->count)
		q++;
	else if (r * 2 <= -state->count)
		q--;

	PG_RETURN_INTERVAL_P(usecs_to_interval((int64) q));
}
