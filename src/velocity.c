/*-------------------------------------------------------------------------
 *
 * velocity.c
 *	  pipeline_velocity([pipeline,] stage, amount, created_at, closed_at):
 *	  expected revenue per day flowing out of the pipeline,
 *
 *		open deals x mean won amount x win rate / mean won sales cycle (days)
 *
 *	  Rows with a NULL stage do not count.  Open rows count as open deals
 *	  whatever their amount; won rows count in the win rate, their amount
 *	  (when set) in the mean won amount and their cycle (when both dates are
 *	  set) in the mean won cycle; lost rows count in the win rate.  NULL
 *	  without a won deal with an amount and a cycle, or when the mean won
 *	  cycle is zero.
 *
 *	  Every part of the state can be un-added exactly (counts, a 128-bit
 *	  microsecond sum and an exact numeric sum), so it has an inverse.  The
 *	  result is one exact fraction, rounded once to 8 decimal places.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "stage_catalog.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

typedef struct VelocityState
{
	OutcomeCountState outcomes;
	int64		won_amounts;	/* won rows with an amount */
	int64		won_cycles;		/* won rows with both dates */
	int128		won_cycle_usecs;
	ExactSum	won_amount_sum;
} VelocityState;

/*
 * Add (sign 1) or remove (sign -1) one row.  The stage is argument `at`, the
 * amount and dates follow it; with_pipeline: the pipeline is argument at - 1.
 */
static Datum
velocity_step(FunctionCallInfo fcinfo, int sign, bool with_pipeline)
{
	VelocityState *state = agg_state_get(fcinfo, sizeof(VelocityState));
	int			at = with_pipeline ? 2 : 1;
	StageOutcome outcome;
	bool		has_cycle = false;
	int64		cycle = 0;

	if (PG_ARGISNULL(at))
		PG_RETURN_POINTER(state);

	/* Validate the whole row, whatever its outcome. */
	if (!PG_ARGISNULL(at + 1))
		check_finite_numeric(PG_GETARG_DATUM(at + 1), "amount");
	if (!PG_ARGISNULL(at + 2))
		check_finite_timestamp(PG_GETARG_TIMESTAMPTZ(at + 2), "created_at");
	if (!PG_ARGISNULL(at + 3))
		check_finite_timestamp(PG_GETARG_TIMESTAMPTZ(at + 3), "closed_at");
	if (!PG_ARGISNULL(at + 2) && !PG_ARGISNULL(at + 3))
	{
		cycle = duration_usecs(PG_GETARG_TIMESTAMPTZ(at + 2), PG_GETARG_TIMESTAMPTZ(at + 3),
							   "created_at", "closed_at");
		has_cycle = true;
	}

	outcome = with_pipeline
		? stage_classify_pair_inline(fcinfo->flinfo, PG_ARGISNULL(1), PG_GETARG_DATUM(1),
									 PG_GETARG_DATUM(2))
		: stage_classify_inline(fcinfo->flinfo, PG_GETARG_DATUM(1));
	state->outcomes.n[outcome] += sign;
	if (outcome == OUTCOME_WON)
	{
		if (has_cycle)
		{
			state->won_cycles += sign;
			state->won_cycle_usecs += (int128) cycle * sign;
		}
		if (!PG_ARGISNULL(at + 1))
		{
			state->won_amounts += sign;
			if (sign > 0)
				exact_sum_add(fcinfo, &state->won_amount_sum, PG_GETARG_DATUM(at + 1));
			else if (!exact_sum_discard(fcinfo, &state->won_amount_sum, PG_GETARG_DATUM(at + 1)))
				PG_RETURN_NULL();	/* cannot un-add: the frame is recomputed */
		}
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(velocity_trans);
Datum
velocity_trans(PG_FUNCTION_ARGS)
{
	return velocity_step(fcinfo, 1, false);
}

PG_FUNCTION_INFO_V1(velocity_inv);
Datum
velocity_inv(PG_FUNCTION_ARGS)
{
	return velocity_step(fcinfo, -1, false);
}

/* The (pipeline, stage, amount, created_at, closed_at) form. */
PG_FUNCTION_INFO_V1(velocity_pair_trans);
Datum
velocity_pair_trans(PG_FUNCTION_ARGS)
{
	return velocity_step(fcinfo, 1, true);
}

PG_FUNCTION_INFO_V1(velocity_pair_inv);
Datum
velocity_pair_inv(PG_FUNCTION_ARGS)
{
	return velocity_step(fcinfo, -1, true);
}

PG_FUNCTION_INFO_V1(velocity_combine);
Datum
velocity_combine(PG_FUNCTION_ARGS)
{
	VelocityState *into;
	VelocityState *from;

	if (!combine_open(fcinfo, sizeof(VelocityState), NULL,
					  (void **) &into, (void **) &from))
		return combine_passthrough(fcinfo);
	for (int i = 0; i < 3; i++)
		into->outcomes.n[i] += from->outcomes.n[i];
	into->won_amounts += from->won_amounts;
	into->won_cycles += from->won_cycles;
	into->won_cycle_usecs += from->won_cycle_usecs;
	exact_sum_combine(fcinfo, &into->won_amount_sum, &from->won_amount_sum);
	PG_RETURN_POINTER(into);
}

/*
 * The state in the codec's format: won, lost and open counts, won rows with
 * an amount and with a cycle, the cycle sum, the won amount sum.
 */
static void
velocity_state_write(StringInfo buf, const VelocityState *state)
{
	state_write_begin(buf, STATE_VELOCITY);
	state_put_int64(buf, N_WON(&state->outcomes));
	state_put_int64(buf, N_LOST(&state->outcomes));
	state_put_int64(buf, N_OPEN(&state->outcomes));
	state_put_int64(buf, state->won_amounts);
	state_put_int64(buf, state->won_cycles);
	state_put_int128(buf, state->won_cycle_usecs);
	exact_sum_write(buf, &state->won_amount_sum);
}

static void
velocity_state_read(bytea *bytes, VelocityState *state)
{
	StateReader r;

	state_read_begin(&r, bytes, STATE_VELOCITY);
	N_WON(&state->outcomes) = state_get_int64(&r);
	N_LOST(&state->outcomes) = state_get_int64(&r);
	N_OPEN(&state->outcomes) = state_get_int64(&r);
	state->won_amounts = state_get_int64(&r);
	state->won_cycles = state_get_int64(&r);
	state->won_cycle_usecs = state_get_int128(&r);
	exact_sum_read(&r, &state->won_amount_sum);
	state_read_end(&r);
	if (N_WON(&state->outcomes) < 0 || N_LOST(&state->outcomes) < 0 ||
		N_OPEN(&state->outcomes) < 0 || state->won_amounts < 0 ||
		state->won_amounts > N_WON(&state->outcomes) || state->won_cycles < 0 ||
		state->won_cycles > N_WON(&state->outcomes) || state->won_cycle_usecs < 0 ||
		(state->won_amounts > 0) != (state->won_amount_sum.value != 0))
		report_invalid_state(STATE_VELOCITY, "The counts and sums do not agree.");
}

PG_FUNCTION_INFO_V1(velocity_serialize);
Datum
velocity_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	velocity_state_write(&buf, (VelocityState *) PG_GETARG_POINTER(0));
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

PG_FUNCTION_INFO_V1(velocity_deserialize);
Datum
velocity_deserialize(PG_FUNCTION_ARGS)
{
	VelocityState *state;

	deserialize_call_check(fcinfo);
	state = palloc0(sizeof(VelocityState));
	velocity_state_read(PG_GETARG_BYTEA_PP(0), state);
	PG_RETURN_POINTER(state);
}

static Datum
mul_int64(Datum num, int64 v)
{
	return DirectFunctionCall2(numeric_mul, num, int64_to_numeric_datum(v));
}

/*
 * Final:   open * (sum_amount / won_amounts) * (won / (won + lost))
 *        / (cycle_usecs / won_cycles / usecs_per_day)
 * computed as one exact fraction, rounded once to 8 decimal places.
 */
PG_FUNCTION_INFO_V1(velocity_final);
Datum
velocity_final(PG_FUNCTION_ARGS)
{
	VelocityState *state = PG_ARGISNULL(0) ? NULL : (VelocityState *) PG_GETARG_POINTER(0);
	Datum		sum_amount;
	Datum		num;
	Datum		den;

	if (state == NULL || N_WON(&state->outcomes) <= 0 || state->won_amounts <= 0 ||
		state->won_cycles <= 0 || state->won_cycle_usecs <= 0)
		PG_RETURN_NULL();
	sum_amount = exact_sum_total(&state->won_amount_sum);
	if (sum_amount == 0)
		PG_RETURN_NULL();

	num = mul_int64(sum_amount, N_OPEN(&state->outcomes));
	num = mul_int64(num, N_WON(&state->outcomes));
	num = mul_int64(num, state->won_cycles);
	num = mul_int64(num, USECS_PER_DAY);

	den = int64_to_numeric_datum(state->won_amounts);
	den = mul_int64(den, N_WON(&state->outcomes) + N_LOST(&state->outcomes));
	den = DirectFunctionCall2(numeric_mul, den, int128_to_numeric_datum(state->won_cycle_usecs));

	PG_RETURN_DATUM(numeric_div_round(num, den, 8));
}
