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
#include "utils/timestamp.h"

/* ------------------------------------------------------------------------
 * State handling, shared by every duration aggregate.
 * ------------------------------------------------------------------------
 */

static inline Datum
duration_apply(FunctionCallInfo fcinfo, bool counted, int64 usecs, int sign)
{
	DurationSumState *state = agg_state_get(fcinfo, sizeof(DurationSumState));

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
	*usecs = open_duration_usecs(entered, GetCurrentTransactionStartTimestamp(),
								 "entered_at", "an open row");
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
		*usecs = open_duration_usecs(entered, GetCurrentTransactionStartTimestamp(),
									 "entered_at", "an open row");
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
	const char *end_name = "as_of";

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
		{
			end = exited;
			end_name = "exited_at";
		}
	}
	if (entered > as_of)
		return false;
	*usecs = duration_usecs(entered, end, "entered_at", end_name);
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
	DurationSumState *into;
	DurationSumState *from;

	if (!combine_open(fcinfo, sizeof(DurationSumState), NULL,
					  (void **) &into, (void **) &from))
		return combine_passthrough(fcinfo);
	into->count += from->count;
	into->sum_usecs += from->sum_usecs;
	PG_RETURN_POINTER(into);
}

/* The state in the codec's format: the count, then the 128-bit sum. */
static void
duration_state_write(StringInfo buf, const DurationSumState *state)
{
	state_write_begin(buf, STATE_DURATION);
	state_put_int64(buf, state->count);
	state_put_int128(buf, state->sum_usecs);
}

static void
duration_state_read(bytea *bytes, DurationSumState *state)
{
	StateReader r;

	state_read_begin(&r, bytes, STATE_DURATION);
	state->count = state_get_int64(&r);
	state->sum_usecs = state_get_int128(&r);
	state_read_end(&r);
	if (state->count < 0 || state->sum_usecs < 0 ||
		state->sum_usecs > (int128) state->count * PG_INT64_MAX)
		report_invalid_state(STATE_DURATION, "The count or the sum is out of range.");
}

PG_FUNCTION_INFO_V1(duration_serialize);
Datum
duration_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	duration_state_write(&buf, (DurationSumState *) PG_GETARG_POINTER(0));
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

PG_FUNCTION_INFO_V1(duration_deserialize);
Datum
duration_deserialize(PG_FUNCTION_ARGS)
{
	DurationSumState *state;

	deserialize_call_check(fcinfo);
	state = (DurationSumState *) palloc(sizeof(DurationSumState));
	duration_state_read(PG_GETARG_BYTEA_PP(0), state);
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
