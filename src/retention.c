/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  retention_rate(active daterange, period daterange) and
 *	  churn_rate(active, period).
 *
 *	  Of the rows active on the period's first day, retention is the
 *	  fraction still active on its last day; churn is the fraction that is
 *	  not (computed exactly as (at_start - retained) / at_start, which is
 *	  1 - retention).  `active` is [acquired_on, churned_on); an unbounded
 *	  upper end is still active.  Every row of a group must carry the same
 *	  period.  The state is two counts and the period, so it combines in any
 *	  order and rows can be un-added for sliding frames.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/rangetypes.h"

typedef struct RetentionState
{
	bool		has_period;
	DateADT		first_day;		/* the period's first and last day */
	DateADT		last_day;
	int64		at_start;		/* rows active on first_day */
	int64		retained;		/* of those, rows active on last_day */
} RetentionState;

/* Set the state's period, or check that it is the one already set. */
static void
retention_set_period(RetentionState *state, DateADT first_day, DateADT last_day)
{
	if (!state->has_period)
	{
		state->has_period = true;
		state->first_day = first_day;
		state->last_day = last_day;
		return;
	}
	if (state->first_day != first_day || state->last_day != last_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be the same for every row of a group"),
				 errdetail("One row has period [%s, %s] and another [%s, %s].",
						   date_text(state->first_day), date_text(state->last_day),
						   date_text(first_day), date_text(last_day)),
				 errhint("Pass one period per group: a constant, or a column of the GROUP BY.")));
}

/* The first and last day of a bounded, non-empty period. */
static void
period_days(FunctionCallInfo fcinfo, Datum period, DateADT *first_day,
			DateADT *last_day)
{
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;

	daterange_bounds(fcinfo, period, &lower, &upper, &empty);
	if (empty || lower.infinite || upper.infinite ||
		DATE_NOT_FINITE(DatumGetDateADT(lower.val)) ||
		DATE_NOT_FINITE(DatumGetDateADT(upper.val)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be a bounded, non-empty date range"),
				 errdetail("period is %s.", datum_text(period, DATERANGEOID)),
				 errhint("Pass the period as daterange(first_day, day_after_last_day).")));

	/* daterange is canonical [lower, upper), but be exact about any bounds */
	*first_day = DatumGetDateADT(lower.val) + (lower.inclusive ? 0 : 1);
	*last_day = DatumGetDateADT(upper.val) - (upper.inclusive ? 0 : 1);
}

/* Whether a range with these bounds contains day d (date_cmp's order). */
static inline bool
bounds_contain(const RangeBound *lower, const RangeBound *upper, DateADT d)
{
	DateADT		lo = DatumGetDateADT(lower->val);
	DateADT		hi = DatumGetDateADT(upper->val);

	return (lower->infinite || lo < d || (lo == d && lower->inclusive)) &&
		(upper->infinite || d < hi || (d == hi && upper->inclusive));
}

static Datum
retention_step(FunctionCallInfo fcinfo, int sign)
{
	RetentionState *state;
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;
	DateADT		first_day;
	DateADT		last_day;

	state = agg_state_get(fcinfo, sizeof(RetentionState));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);

	period_days(fcinfo, PG_GETARG_DATUM(2), &first_day, &last_day);
	retention_set_period(state, first_day, last_day);

	daterange_bounds(fcinfo, PG_GETARG_DATUM(1), &lower, &upper, &empty);
	if (!empty && bounds_contain(&lower, &upper, first_day))
	{
		state->at_start += sign;
		if (bounds_contain(&lower, &upper, last_day))
			state->retained += sign;
	}
	PG_RETURN_POINTER(state);
}

/* Transition (internal, active, period). */
PG_FUNCTION_INFO_V1(retention_trans);
Datum
retention_trans(PG_FUNCTION_ARGS)
{
	return retention_step(fcinfo, 1);
}

/* Inverse transition (internal, active, period). */
PG_FUNCTION_INFO_V1(retention_inv);
Datum
retention_inv(PG_FUNCTION_ARGS)
{
	return retention_step(fcinfo, -1);
}

PG_FUNCTION_INFO_V1(retention_combine);
Datum
retention_combine(PG_FUNCTION_ARGS)
{
	RetentionState *into;
	RetentionState *from;

	if (!combine_open(fcinfo, sizeof(RetentionState), NULL,
					  (void **) &into, (void **) &from))
		return combine_passthrough(fcinfo);
	if (from->has_period)
		retention_set_period(into, from->first_day, from->last_day);
	into->at_start += from->at_start;
	into->retained += from->retained;
	PG_RETURN_POINTER(into);
}

/*
 * The state in the codec's format: whether a period is set, its first and
 * last day, the rows active on the first day, and of those on the last.
 */
static void
retention_state_write(StringInfo buf, const RetentionState *state)
{
	state_write_begin(buf, STATE_RETENTION);
	state_put_byte(buf, state->has_period ? 1 : 0);
	state_put_int32(buf, state->first_day);
	state_put_int32(buf, state->last_day);
	state_put_int64(buf, state->at_start);
	state_put_int64(buf, state->retained);
}

static void
retention_state_read(bytea *bytes, RetentionState *state)
{
	StateReader r;
	uint8		has_period;

	state_read_begin(&r, bytes, STATE_RETENTION);
	has_period = state_get_byte(&r);
	state->has_period = (has_period == 1);
	state->first_day = (DateADT) state_get_int32(&r);
	state->last_day = (DateADT) state_get_int32(&r);
	state->at_start = state_get_int64(&r);
	state->retained = state_get_int64(&r);
	state_read_end(&r);
	if (has_period > 1 ||
		(state->has_period && (DATE_NOT_FINITE(state->first_day) ||
							   DATE_NOT_FINITE(state->last_day) ||
							   state->last_day < state->first_day)))
		report_invalid_state(STATE_RETENTION, "The period is not a bounded range of days.");
	if (state->at_start < 0 || state->retained < 0 || state->retained > state->at_start ||
		(!state->has_period && state->at_start > 0))
		report_invalid_state(STATE_RETENTION, "The counts are out of range.");
}

PG_FUNCTION_INFO_V1(retention_serialize);
Datum
retention_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	retention_state_write(&buf, (RetentionState *) PG_GETARG_POINTER(0));
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

PG_FUNCTION_INFO_V1(retention_deserialize);
Datum
retention_deserialize(PG_FUNCTION_ARGS)
{
	RetentionState *state;

	deserialize_call_check(fcinfo);
	state = palloc(sizeof(RetentionState));
	retention_state_read(PG_GETARG_BYTEA_PP(0), state);
	PG_RETURN_POINTER(state);
}

/* retained / at_start; NULL when no row was active on the first day. */
PG_FUNCTION_INFO_V1(retention_final);
Datum
retention_final(PG_FUNCTION_ARGS)
{
	RetentionState *state = PG_ARGISNULL(0) ? NULL : (RetentionState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->at_start <= 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->retained / (double) state->at_start);
}

/* (at_start - retained) / at_start; NULL where retention is NULL. */
PG_FUNCTION_INFO_V1(churn_final);
Datum
churn_final(PG_FUNCTION_ARGS)
{
	RetentionState *state = PG_ARGISNULL(0) ? NULL : (RetentionState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->at_start <= 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) (state->at_start - state->retained) / (double) state->at_start);
}
