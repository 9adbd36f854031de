/*-------------------------------------------------------------------------
 *
 * velocity.c
 *	  pipeline_velocity(stage, amount, created_at, closed_at): expected
 *	  revenue per day flowing out of the pipeline,
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
 *	  microsecond sum and numeric.c's exact sum), so it has an inverse.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

typedef struct VelocityState
{
	OutcomeCountState outcomes;
	int64		won_amounts;	/* won rows with an amount */
	int64		won_cycles;		/* won rows with both dates */
	int128		won_cycle_usecs;
	Datum		won_amount_sum; /* numeric_avg_accum's state, or 0 */
} VelocityState;

static VelocityState *
velocity_state_new(MemoryContext aggcontext)
{
	return (VelocityState *) MemoryContextAllocZero(aggcontext, sizeof(VelocityState));
}

/* Add (sign 1) or remove (sign -1) one row. */
static Datum
velocity_step(FunctionCallInfo fcinfo, int sign)
{
	VelocityState *state;
	StageOutcome outcome;
	bool		has_cycle = false;
	int64		cycle = 0;

	state = PG_ARGISNULL(0) ? velocity_state_new(agg_context_or_error(fcinfo, "pipeline_velocity"))
		: (VelocityState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);

	/* Validate the whole row, whatever its outcome. */
	if (!PG_ARGISNULL(2))
		check_finite_numeric(PG_GETARG_DATUM(2), "amount");
	if (!PG_ARGISNULL(3))
		check_finite_timestamp(PG_GETARG_TIMESTAMPTZ(3), "created_at");
	if (!PG_ARGISNULL(4))
		check_finite_timestamp(PG_GETARG_TIMESTAMPTZ(4), "closed_at");
	if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4))
	{
		cycle = duration_usecs(PG_GETARG_TIMESTAMPTZ(3), PG_GETARG_TIMESTAMPTZ(4),
							   "created_at", "closed_at");
		has_cycle = true;
	}

	outcome = stage_classify(fcinfo->flinfo, PG_GETARG_DATUM(1));
	switch (outcome)
	{
		case OUTCOME_WON:
			N_WON(&state->outcomes) += sign;
			if (has_cycle)
			{
				state->won_cycles += sign;
				state->won_cycle_usecs += (int128) cycle * sign;
			}
			if (!PG_ARGISNULL(2))
			{
				bool		isnull;

				state->won_amounts += sign;
				state->won_amount_sum =
					call_numeric_agg(sign > 0 ? numeric_avg_accum : numeric_accum_inv,
									 fcinfo, state->won_amount_sum,
									 state->won_amount_sum == 0,
									 PG_GETARG_DATUM(2), false, &isnull);
				if (isnull)
					PG_RETURN_NULL();	/* cannot un-add: restart the frame */
			}
			break;
		case OUTCOME_LOST:
			N_LOST(&state->outcomes) += sign;
			break;
		default:
			N_OPEN(&state->outcomes) += sign;
			break;
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(velocity_trans);
Datum
velocity_trans(PG_FUNCTION_ARGS)
{
	return velocity_step(fcinfo, 1);
}

PG_FUNCTION_INFO_V1(velocity_inv);
Datum
velocity_inv(PG_FUNCTION_ARGS)
{
	return velocity_step(fcinfo, -1);
}

PG_FUNCTION_INFO_V1(velocity_combine);
Datum
velocity_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo, "velocity_combine");
	VelocityState *s1 = PG_ARGISNULL(0) ? NULL : (VelocityState *) PG_GETARG_POINTER(0);
	VelocityState *s2 = PG_ARGISNULL(1) ? NULL : (VelocityState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = velocity_state_new(aggcontext);

	N_WON(&s1->outcomes) += N_WON(&s2->outcomes);
	N_LOST(&s1->outcomes) += N_LOST(&s2->outcomes);
	N_OPEN(&s1->outcomes) += N_OPEN(&s2->outcomes);
	s1->won_amounts += s2->won_amounts;
	s1->won_cycles += s2->won_cycles;
	s1->won_cycle_usecs += s2->won_cycle_usecs;
	if (s2->won_amount_sum != 0)
	{
		bool		isnull;

		s1->won_amount_sum = call_numeric_agg(numeric_avg_combine, fcinfo,
											  s1->won_amount_sum, s1->won_amount_sum == 0,
											  s2->won_amount_sum, false, &isnull);
	}
	PG_RETURN_POINTER(s1);
}

/* Serialize: counts, the cycle sum's two halves, numeric.c's sum state. */
PG_FUNCTION_INFO_V1(velocity_serialize);
Datum
velocity_serialize(PG_FUNCTION_ARGS)
{
	VelocityState *state;
	StringInfoData buf;
	uint128		cyc;

	agg_context_or_error(fcinfo, "velocity_serialize");
	state = (VelocityState *) PG_GETARG_POINTER(0);
	cyc = (uint128) state->won_cycle_usecs;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, N_WON(&state->outcomes));
	pq_sendint64(&buf, N_LOST(&state->outcomes));
	pq_sendint64(&buf, N_OPEN(&state->outcomes));
	pq_sendint64(&buf, state->won_amounts);
	pq_sendint64(&buf, state->won_cycles);
	pq_sendint64(&buf, (uint64) (cyc >> 64));
	pq_sendint64(&buf, (uint64) cyc);
	send_numeric_state(&buf, fcinfo, state->won_amount_sum);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(velocity_deserialize);
Datum
velocity_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	VelocityState *state;
	uint64		hi;
	uint64		lo;

	state_buffer_open(fcinfo, &buf, "velocity_deserialize");

	state = palloc0(sizeof(VelocityState));
	N_WON(&state->outcomes) = pq_getmsgint64(&buf);
	N_LOST(&state->outcomes) = pq_getmsgint64(&buf);
	N_OPEN(&state->outcomes) = pq_getmsgint64(&buf);
	state->won_amounts = pq_getmsgint64(&buf);
	state->won_cycles = pq_getmsgint64(&buf);
	hi = (uint64) pq_getmsgint64(&buf);
	lo = (uint64) pq_getmsgint64(&buf);
	state->won_cycle_usecs = (int128) (((uint128) hi << 64) | lo);
	state->won_amount_sum = recv_numeric_state(&buf, fcinfo);
	pq_getmsgend(&buf);
	pfree(buf.data);
	PG_RETURN_POINTER(state);
}

/* A 128-bit integer as numeric. */
static Datum
int128_numeric(int128 v)
{
	const int128 billion_billion = (int128) 1000000000000000000LL;
	int128		hi = v / billion_billion;
	int64		lo = (int64) (v % billion_billion);
	Datum		result = DirectFunctionCall1(int8_numeric, Int64GetDatum(lo));

	if (hi != 0)
		result = DirectFunctionCall2(numeric_add, result,
									 DirectFunctionCall2(numeric_mul,
														 DirectFunctionCall1(int8_numeric, Int64GetDatum((int64) hi)),
														 DirectFunctionCall1(int8_numeric, Int64GetDatum(1000000000000000000LL))));
	return result;
}

static Datum
mul_int64(Datum num, int64 v)
{
	return DirectFunctionCall2(numeric_mul, num,
							   DirectFunctionCall1(int8_numeric, Int64GetDatum(v)));
}

/*
 * Final:   open * (sum_amount / won_amounts) * (won / (won + lost))
 *        / (cycle_usecs / won_cycles / usecs_per_day)
 * computed as one exact fraction and a single division, money-rounded.
 */
PG_FUNCTION_INFO_V1(velocity_final);
Datum
velocity_final(PG_FUNCTION_ARGS)
{
	VelocityState *state = PG_ARGISNULL(0) ? NULL : (VelocityState *) PG_GETARG_POINTER(0);
	Datum		sum_amount;
	Datum		num;
	Datum		den;
	bool		isnull;

	if (state == NULL || N_WON(&state->outcomes) <= 0 || state->won_amounts <= 0 ||
		state->won_cycles <= 0 || state->won_cycle_usecs <= 0 ||
		state->won_amount_sum == 0)
		PG_RETURN_NULL();

	sum_amount = call_numeric_agg(numeric_sum, fcinfo, state->won_amount_sum, false,
								  (Datum) 0, true, &isnull);
	if (isnull)
		PG_RETURN_NULL();

	num = mul_int64(sum_amount, N_OPEN(&state->outcomes));
	num = mul_int64(num, N_WON(&state->outcomes));
	num = mul_int64(num, state->won_cycles);
	num = mul_int64(num, USECS_PER_DAY);

	den = DirectFunctionCall1(int8_numeric, Int64GetDatum(state->won_amounts));
	den = mul_int64(den, N_WON(&state->outcomes) + N_LOST(&state->outcomes));
	den = DirectFunctionCall2(numeric_mul, den, int128_numeric(state->won_cycle_usecs));

	PG_RETURN_DATUM(money_result(DirectFunctionCall2(numeric_div, num, den)));
}
