/*-------------------------------------------------------------------------
 *
 * exact_sum.c
 *	  Exact numeric sums for the money aggregates (clv, acv,
 *	  pipeline_velocity), and the exact rounding of money results.
 *
 *	  While rows are added, an ExactSum holds numeric.c's own accumulator
 *	  (the state of numeric_avg_accum), which adds a numeric without
 *	  allocating.  What leaves the process is only the sum itself, in
 *	  numeric's binary wire format (codec.c), so states can travel between
 *	  PostgreSQL versions whatever numeric.c does inside.  A sum read back
 *	  is kept as a plain numeric until it is combined into an accumulator;
 *	  exact_sum_total() adds the two forms.  Counts are the caller's: the
 *	  accumulator's own count is never read.
 *
 *	  numeric.c's support functions are called with a FunctionCallInfo of
 *	  their own (their own FmgrInfo, never the caller's, whose fn_extra
 *	  belongs to the extension) that passes on the caller's aggregate
 *	  context, so that the accumulator lives in the aggregate's memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

/*
 * Call one of numeric.c's aggregate support functions with two arguments,
 * in the caller's aggregate context.
 */
static Datum
call_numeric_agg(PGFunction fn, FunctionCallInfo outer,
				 Datum arg0, bool null0, Datum arg1, bool null1, bool *isnull)
{
	LOCAL_FCINFO(fc, 2);
	FmgrInfo	flinfo;
	Datum		result;

	MemSet(&flinfo, 0, sizeof(flinfo));
	flinfo.fn_nargs = 2;
	flinfo.fn_mcxt = CurrentMemoryContext;
	flinfo.fn_oid = InvalidOid;
	InitFunctionCallInfoData(*fc, &flinfo, 2, InvalidOid, outer->context, NULL);
	fc->args[0].value = arg0;
	fc->args[0].isnull = null0;
	fc->args[1].value = arg1;
	fc->args[1].isnull = null1;
	result = fn(fc);
	*isnull = fc->isnull;
	return result;
}

/* Add a finite numeric. */
void
exact_sum_add(FunctionCallInfo fcinfo, ExactSum *sum, Datum num)
{
	bool		isnull;

	sum->acc = call_numeric_agg(numeric_avg_accum, fcinfo,
								sum->acc, sum->acc == 0, num, false, &isnull);
}

/*
 * Remove a numeric added before (sliding window frames).  False when
 * numeric.c cannot (it cannot tell the display scale of what remains): the
 * caller then has the frame recomputed.
 */
bool
exact_sum_discard(FunctionCallInfo fcinfo, ExactSum *sum, Datum num)
{
	bool		isnull;
	Datum		acc;

	Assert(sum->acc != 0 && sum->value == 0);
	acc = call_numeric_agg(numeric_accum_inv, fcinfo, sum->acc, false, num, false, &isnull);
	if (isnull)
		return false;
	sum->acc = acc;
	return true;
}

/* Add `from` (an accumulator, a received sum, or both) into `into`. */
void
exact_sum_combine(FunctionCallInfo fcinfo, ExactSum *into, const ExactSum *from)
{
	bool		isnull;

	if (from->acc != 0)
		into->acc = call_numeric_agg(numeric_avg_combine, fcinfo,
									 into->acc, into->acc == 0, from->acc, false, &isnull);
	if (from->value != 0)
		exact_sum_add(fcinfo, into, from->value);
}

/* The sum, or 0 when nothing was added. */
Datum
exact_sum_total(const ExactSum *sum)
{
	Datum		total = 0;

	if (sum->acc != 0)
	{
		LOCAL_FCINFO(fc, 1);
		FmgrInfo	flinfo;

		MemSet(&flinfo, 0, sizeof(flinfo));
		flinfo.fn_nargs = 1;
		flinfo.fn_mcxt = CurrentMemoryContext;
		InitFunctionCallInfoData(*fc, &flinfo, 1, InvalidOid, NULL, NULL);
		fc->args[0].value = sum->acc;
		fc->args[0].isnull = false;
		total = numeric_sum(fc);
		if (fc->isnull)
			total = 0;			/* every row was discarded again */
	}
	if (sum->value != 0)
		total = total == 0 ? sum->value
			: DirectFunctionCall2(numeric_add, total, sum->value);
	return total;
}

/* Write the sum: a presence byte, then the number (codec.c). */
void
exact_sum_write(StringInfo buf, const ExactSum *sum)
{
	Datum		total = exact_sum_total(sum);

	state_put_byte(buf, total != 0);
	if (total != 0)
		state_put_numeric(buf, total);
}

/* Read what exact_sum_write() wrote into a new sum (in the current context). */
void
exact_sum_read(StateReader *r, ExactSum *sum)
{
	uint8		present = state_get_byte(r);

	sum->acc = 0;
	sum->value = 0;
	if (present > 1)
		report_invalid_state(r->kind, "A sum's presence flag is neither 0 nor 1.");
	if (present)
		sum->value = state_get_numeric(r);
}

/* ------------------------------------------------------------------------
 * Numbers and money results.
 * ------------------------------------------------------------------------
 */

Datum
int64_to_numeric_datum(int64 v)
{
	return DirectFunctionCall1(int8_numeric, Int64GetDatum(v));
}

/* A 128-bit integer as numeric (exact). */
Datum
int128_to_numeric_datum(int128 v)
{
	const int128 e18 = (int128) INT64CONST(1000000000000000000);
	int128		hi = v / e18;
	int64		lo = (int64) (v % e18);
	Datum		result = int64_to_numeric_datum(lo);

	if (hi != 0)
		result = DirectFunctionCall2(numeric_add, result,
									 DirectFunctionCall2(numeric_mul,
														 int128_to_numeric_datum(hi),
														 int64_to_numeric_datum(INT64CONST(1000000000000000000))));
	return result;
}

/*
 * An exact money value: rounded half away from zero to 8 decimal places,
 * trailing zeros dropped (so 24000.000... prints 24000).
 */
Datum
money_result(Datum num)
{
	num = DirectFunctionCall2(numeric_round, num, Int32GetDatum(8));
	return DirectFunctionCall1(numeric_trim_scale, num);
}

/*
 * num / den rounded once, half away from zero, to `scale` (0 to 18) decimal
 * places, trailing zeros dropped: the exact quotient's rounding, whatever its
 * magnitude.  (numeric_div alone keeps about 16 significant digits, and
 * rounding its result again can round twice.)  den must not be 0.
 */
Datum
numeric_div_round(Datum num, Datum den, int scale)
{
	int64		pow10 = 1;
	Datum		scaled;
	Datum		q;
	Datum		r;
	Datum		unit;

	Assert(scale >= 0 && scale <= 18);
	for (int i = 0; i < scale; i++)
		pow10 *= 10;
	scaled = DirectFunctionCall2(numeric_mul, num, int64_to_numeric_datum(pow10));
	q = DirectFunctionCall2(numeric_div_trunc, scaled, den);
	r = DirectFunctionCall2(numeric_sub, scaled, DirectFunctionCall2(numeric_mul, q, den));
	/* |r| * 2 >= |den|: round away from zero */
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
										  DirectFunctionCall2(numeric_mul,
															  DirectFunctionCall1(numeric_abs, r),
															  int64_to_numeric_datum(2)),
										  DirectFunctionCall1(numeric_abs, den))) >= 0)
		q = DirectFunctionCall2(numeric_add, q,
								int64_to_numeric_datum(numeric_sign_internal(scaled) *
													   numeric_sign_internal(den)));
	/* q * 10^-scale, exactly (the product's scale is the sum of the scales) */
	unit = DirectFunctionCall3(numeric_in, CStringGetDatum(psprintf("1e-%d", scale)),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	return DirectFunctionCall1(numeric_trim_scale, DirectFunctionCall2(numeric_mul, q, unit));
}
