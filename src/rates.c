/*-------------------------------------------------------------------------
 *
 * rates.c
 *	  The rates built on stage outcomes: win_rate() and conversion_rate(),
 *	  text and boolean forms.  One state serves both: how many counted rows
 *	  were open, won and lost (OutcomeCountState).
 *
 *		win_rate        = won / (won + lost)     NULL without a closed row
 *		conversion_rate = won / all counted rows NULL without a row
 *
 *	  The text forms classify each stage as stage_outcome() does, with the
 *	  classifier of stage_catalog.h inlined into the transition function
 *	  (the (pipeline, stage) forms as stage_outcome(pipeline, stage)); the
 *	  boolean forms take the outcome directly (true won, false lost).  NULL
 *	  rows do not count.  Counts un-add exactly, so both have inverse
 *	  transition functions for sliding window frames.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "stage_catalog.h"

static inline void
outcome_state_add(OutcomeCountState *state, StageOutcome outcome, int64 n)
{
	state->n[outcome] += n;
}

/* Transition (internal, stage text): count the row's outcome; NULL is skipped. */
PG_FUNCTION_INFO_V1(outcome_count_trans);
Datum
outcome_count_trans(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = agg_state_get(fcinfo, sizeof(OutcomeCountState));

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, stage_classify_inline(fcinfo->flinfo, PG_GETARG_DATUM(1)), 1);
	PG_RETURN_POINTER(state);
}

/* Inverse transition (internal, stage text): un-count the row. */
PG_FUNCTION_INFO_V1(outcome_count_inv);
Datum
outcome_count_inv(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = agg_state_get(fcinfo, sizeof(OutcomeCountState));

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, stage_classify_inline(fcinfo->flinfo, PG_GETARG_DATUM(1)), -1);
	PG_RETURN_POINTER(state);
}

/*
 * Transition (internal, pipeline text, stage text): count the outcome of the
 * stage in its pipeline (a NULL pipeline: in any pipeline); a NULL stage is
 * skipped.
 */
PG_FUNCTION_INFO_V1(outcome_count_pair_trans);
Datum
outcome_count_pair_trans(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = agg_state_get(fcinfo, sizeof(OutcomeCountState));

	if (!PG_ARGISNULL(2))
		outcome_state_add(state, stage_classify_pair_inline(fcinfo->flinfo, PG_ARGISNULL(1),
															 PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)), 1);
	PG_RETURN_POINTER(state);
}

/* Inverse transition (internal, pipeline text, stage text). */
PG_FUNCTION_INFO_V1(outcome_count_pair_inv);
Datum
outcome_count_pair_inv(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = agg_state_get(fcinfo, sizeof(OutcomeCountState));

	if (!PG_ARGISNULL(2))
		outcome_state_add(state, stage_classify_pair_inline(fcinfo->flinfo, PG_ARGISNULL(1),
															 PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)), -1);
	PG_RETURN_POINTER(state);
}

/* Transition (internal, won boolean): true is won, false lost, NULL skipped. */
PG_FUNCTION_INFO_V1(outcome_count_bool_trans);
Datum
outcome_count_bool_trans(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = agg_state_get(fcinfo, sizeof(OutcomeCountState));

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, PG_GETARG_BOOL(1) ? OUTCOME_WON : OUTCOME_LOST, 1);
	PG_RETURN_POINTER(state);
}

/* Inverse transition (internal, won boolean). */
PG_FUNCTION_INFO_V1(outcome_count_bool_inv);
Datum
outcome_count_bool_inv(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = agg_state_get(fcinfo, sizeof(OutcomeCountState));

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, PG_GETARG_BOOL(1) ? OUTCOME_WON : OUTCOME_LOST, -1);
	PG_RETURN_POINTER(state);
}

/* Combine: add the second state's counts into the first. */
PG_FUNCTION_INFO_V1(outcome_count_combine);
Datum
outcome_count_combine(PG_FUNCTION_ARGS)
{
	OutcomeCountState *into;
	OutcomeCountState *from;

	if (!combine_open(fcinfo, sizeof(OutcomeCountState), NULL,
					  (void **) &into, (void **) &from))
		return combine_passthrough(fcinfo);
	N_WON(into) += N_WON(from);
	N_LOST(into) += N_LOST(from);
	N_OPEN(into) += N_OPEN(from);
	PG_RETURN_POINTER(into);
}

/* The state's fields in the codec's format: won, lost and open as int64. */
static void
outcome_state_write(StringInfo buf, const OutcomeCountState *state)
{
	state_write_begin(buf, STATE_OUTCOMES);
	state_put_int64(buf, N_WON(state));
	state_put_int64(buf, N_LOST(state));
	state_put_int64(buf, N_OPEN(state));
}

static void
outcome_state_read(bytea *bytes, OutcomeCountState *state)
{
	StateReader r;

	state_read_begin(&r, bytes, STATE_OUTCOMES);
	N_WON(state) = state_get_int64(&r);
	N_LOST(state) = state_get_int64(&r);
	N_OPEN(state) = state_get_int64(&r);
	state_read_end(&r);
	if (N_WON(state) < 0 || N_LOST(state) < 0 || N_OPEN(state) < 0)
		report_invalid_state(STATE_OUTCOMES, "A count is negative.");
}

PG_FUNCTION_INFO_V1(outcome_count_serialize);
Datum
outcome_count_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	outcome_state_write(&buf, (OutcomeCountState *) PG_GETARG_POINTER(0));
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

/* Deserialize into a new state in the current memory context. */
PG_FUNCTION_INFO_V1(outcome_count_deserialize);
Datum
outcome_count_deserialize(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state;

	deserialize_call_check(fcinfo);
	state = (OutcomeCountState *) palloc(sizeof(OutcomeCountState));
	outcome_state_read(PG_GETARG_BYTEA_PP(0), state);
	PG_RETURN_POINTER(state);
}

/* won / (won + lost); NULL without a closed row. */
static double
win_rate_of(const OutcomeCountState *state, bool *isnull)
{
	*isnull = (state == NULL || N_WON(state) + N_LOST(state) == 0);
	return *isnull ? 0 : (double) N_WON(state) / (double) (N_WON(state) + N_LOST(state));
}

/* won / all counted rows; NULL without a row. */
static double
conversion_rate_of(const OutcomeCountState *state, bool *isnull)
{
	int64		total = state ? N_WON(state) + N_LOST(state) + N_OPEN(state) : 0;

	*isnull = (total == 0);
	return *isnull ? 0 : (double) N_WON(state) / (double) total;
}

PG_FUNCTION_INFO_V1(win_rate_final);
Datum
win_rate_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		v = win_rate_of(PG_ARGISNULL(0) ? NULL : (OutcomeCountState *) PG_GETARG_POINTER(0),
								&isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}

PG_FUNCTION_INFO_V1(conversion_rate_final);
Datum
conversion_rate_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		v = conversion_rate_of(PG_ARGISNULL(0) ? NULL : (OutcomeCountState *) PG_GETARG_POINTER(0),
									   &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(v);
}
