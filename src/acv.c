/*-------------------------------------------------------------------------
 *
 * acv.c
 *	  acv(contract_value numeric, term daterange): annual contract value,
 *	  the mean of contract_value / term years.
 *
 *	  Term years are calendar years as age(upper, lower) counts them: whole
 *	  months / 12 plus leftover days / 365.25.  In units of 1/17532 year (the
 *	  common denominator of 12 and 365.25 with 4), a term is
 *	  months * 1461 + days * 48, so a row's annual value is
 *	  contract_value * 17532 / that, computed in numeric (numeric_div's
 *	  precision, at least 16 significant digits).  The state is the number of
 *	  contracts and the exact sum of their annual values, so states combine
 *	  in any order and a row can be un-added for sliding frames; the mean is
 *	  rounded once to 8 decimal places.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"

typedef struct AcvState
{
	int64		contracts;
	ExactSum	annual;
} AcvState;

#define TERM_UNITS_PER_YEAR		17532	/* 12 * 1461 */

/*
 * The term of a contract in 1/17532 years; errors for empty or unbounded.
 * Whole months and leftover days are counted as age(upper, lower) counts
 * them for dates: the calendar difference of the two dates, a negative day
 * difference borrowing the length of the lower date's month.
 */
static int64
term_units(FunctionCallInfo fcinfo, Datum term)
{
	RangeBound	lower;
	RangeBound	upper;
	bool		empty;
	int			y1,
				m1,
				d1,
				y2,
				m2,
				d2;
	int64		months;
	int64		days;

	daterange_bounds(fcinfo, term, &lower, &upper, &empty);

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
				 errdetail("term is %s.", datum_text(term, DATERANGEOID)),
				 errhint("An annual value needs a finite term; leave open-ended contracts out with WHERE NOT upper_inf(term) AND isfinite(upper(term)).")));

	j2date(DatumGetDateADT(upper.val) + POSTGRES_EPOCH_JDATE, &y1, &m1, &d1);
	j2date(DatumGetDateADT(lower.val) + POSTGRES_EPOCH_JDATE, &y2, &m2, &d2);
	months = (int64) (y1 - y2) * MONTHS_PER_YEAR + (m1 - m2);
	days = d1 - d2;
	if (days < 0)
	{
		days += day_tab[isleap(y2)][m2 - 1];
		months--;
	}
	return months * 1461 + days * 48;
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
	units = term_units(fcinfo, PG_GETARG_DATUM(2));
	*counted = true;
	if (units == TERM_UNITS_PER_YEAR)
		return value;
	return DirectFunctionCall2(numeric_div,
							   DirectFunctionCall2(numeric_mul, value,
												   int64_to_numeric_datum(TERM_UNITS_PER_YEAR)),
							   int64_to_numeric_datum(units));
}

/* Transition (internal, contract_value, term): add the row's annual value. */
PG_FUNCTION_INFO_V1(acv_trans);
Datum
acv_trans(PG_FUNCTION_ARGS)
{
	AcvState   *state = agg_state_get(fcinfo, sizeof(AcvState));
	bool		counted;
	Datum		annual = acv_row_value(fcinfo, &counted);

	if (counted)
	{
		exact_sum_add(fcinfo, &state->annual, annual);
		state->contracts++;
	}
	PG_RETURN_POINTER(state);
}

/* Inverse transition: remove the row's annual value. */
PG_FUNCTION_INFO_V1(acv_inv);
Datum
acv_inv(PG_FUNCTION_ARGS)
{
	AcvState   *state = agg_state_get(fcinfo, sizeof(AcvState));
	bool		counted;
	Datum		annual = acv_row_value(fcinfo, &counted);

	if (counted)
	{
		if (!exact_sum_discard(fcinfo, &state->annual, annual))
			PG_RETURN_NULL();	/* cannot un-add: the frame is recomputed */
		state->contracts--;
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(acv_combine);
Datum
acv_combine(PG_FUNCTION_ARGS)
{
	AcvState   *into;
	AcvState   *from;

	if (!combine_open(fcinfo, sizeof(AcvState), NULL, (void **) &into, (void **) &from))
		return combine_passthrough(fcinfo);
	into->contracts += from->contracts;
	exact_sum_combine(fcinfo, &into->annual, &from->annual);
	PG_RETURN_POINTER(into);
}

/* The state in the codec's format: the contract count, then the sum. */
static void
acv_state_write(StringInfo buf, const AcvState *state)
{
	state_write_begin(buf, STATE_ACV);
	state_put_int64(buf, state->contracts);
	exact_sum_write(buf, &state->annual);
}

static void
acv_state_read(bytea *bytes, AcvState *state)
{
	StateReader r;

	state_read_begin(&r, bytes, STATE_ACV);
	state->contracts = state_get_int64(&r);
	exact_sum_read(&r, &state->annual);
	state_read_end(&r);
	if (state->contracts < 0 || (state->contracts > 0) != (state->annual.value != 0))
		report_invalid_state(STATE_ACV, "The contract count does not match the sum.");
}

PG_FUNCTION_INFO_V1(acv_serialize);
Datum
acv_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	agg_context_or_error(fcinfo);
	acv_state_write(&buf, (AcvState *) PG_GETARG_POINTER(0));
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

PG_FUNCTION_INFO_V1(acv_deserialize);
Datum
acv_deserialize(PG_FUNCTION_ARGS)
{
	AcvState   *state;

	deserialize_call_check(fcinfo);
	state = palloc0(sizeof(AcvState));
	acv_state_read(PG_GETARG_BYTEA_PP(0), state);
	PG_RETURN_POINTER(state);
}

/* Final: the mean annual value, rounded once; NULL without a contract. */
PG_FUNCTION_INFO_V1(acv_final);
Datum
acv_final(PG_FUNCTION_ARGS)
{
	AcvState   *state = PG_ARGISNULL(0) ? NULL : (AcvState *) PG_GETARG_POINTER(0);
	Datum		total;

	if (state == NULL || state->contracts <= 0)
		PG_RETURN_NULL();
	total = exact_sum_total(&state->annual);
	if (total == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(numeric_div_round(total, int64_to_numeric_datum(state->contracts), 8));
}
