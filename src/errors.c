/*-------------------------------------------------------------------------
 *
 * errors.c
 *	  Every input check and error reporter of the extension, and the
 *	  value-to-text helpers their details use.
 *
 *	  User errors are ereport()s with a data-exception SQLSTATE, a lower-case
 *	  message, a detail naming the offending values and a hint saying how to
 *	  filter them out, so that bad rows never turn into a silently wrong
 *	  number.  Messages name SQL arguments and SQL functions, never C
 *	  symbols.  The reporters are out of line (noreturn), so the inline
 *	  checks in sales_kpi.h cost a comparison per row.
 *
 *	  Also here, because they are the checks every aggregate support
 *	  function opens with: the aggregate-context check and the common
 *	  opening of the combine functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

/* ------------------------------------------------------------------------
 * Values as text, for error details.
 * ------------------------------------------------------------------------
 */

char *
timestamptz_text(TimestampTz ts)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(ts)));
}

char *
date_text(DateADT day)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)));
}

char *
numeric_text(Datum num)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, num));
}

/* The text form of a value of any type. */
char *
datum_text(Datum value, Oid type)
{
	Oid			typoutput;
	bool		isvarlena;

	getTypeOutputInfo(type, &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, value);
}

/* ------------------------------------------------------------------------
 * Timestamps and durations.
 * ------------------------------------------------------------------------
 */

/*
 * The error of check_finite_timestamp(): a duration that involves infinity
 * or -infinity is unbounded, so no mean of it is meaningful.
 */
void
report_infinite_timestamp(TimestampTz ts, const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s must be a finite timestamp", argname),
			 errdetail("%s is %s.", argname,
					   TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
			 errhint("Leave such rows out, e.g. WHERE isfinite(%s).", argname)));
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

/*
 * A duration longer than an interval can hold (2^63 microseconds, about
 * 292,000 years): only timestamps near the ends of their range get there.
 */
void
report_duration_out_of_range(TimestampTz start, TimestampTz end,
							 const char *start_name, const char *end_name)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("the time from %s to %s is out of range for an interval",
					start_name, end_name),
			 errdetail("%s is %s and %s is %s.",
					   start_name, timestamptz_text(start),
					   end_name, timestamptz_text(end)),
			 errhint("A duration must be shorter than about 292,000 years; correct the row or leave it out.")));
}

/* An open row that starts after the instant it runs to. */
void
report_start_in_future(TimestampTz start, TimestampTz now,
					   const char *start_name, const char *row_kind)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s of %s must not be in the future", start_name, row_kind),
			 errdetail("%s is %s and the transaction started at %s.",
					   start_name, timestamptz_text(start),
					   timestamptz_text(now)),
			 errhint("Pass an explicit as_of, or leave such rows out with WHERE %s <= now().",
					 start_name)));
}

/* ------------------------------------------------------------------------
 * Amounts and counts.
 * ------------------------------------------------------------------------
 */

/*
 * Reject NaN and, where numeric has them (PostgreSQL 14+), infinities: a sum
 * containing one is NaN or infinite, which no money KPI can report.
 */
void
check_finite_numeric(Datum num, const char *argname)
{
	Numeric		n = DatumGetNumeric(num);
	const char *what = NULL;

	if (numeric_is_nan(n))
		what = "NaN";
#if PG_VERSION_NUM >= 140000
	else if (numeric_is_inf(n))
		what = numeric_sign_internal(num) < 0 ? "-Infinity" : "Infinity";
#endif
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("%s is %s.", argname, what),
				 errhint("Leave such rows out, e.g. WHERE %s NOT IN ('NaN', 'Infinity', '-Infinity').",
						 argname)));
}

/* Reject negative values of a count or amount that cannot be negative. */
void
check_nonnegative_numeric(Datum num, const char *argname, const char *hint)
{
	check_finite_numeric(num, argname);
	if (numeric_sign_internal(num) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errdetail("%s is %s.", argname, numeric_text(num)),
				 errhint("%s", hint)));
}

void
check_nonnegative_int64(int64 value, const char *argname, const char *hint)
{
	if (value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errdetail("%s is " INT64_FORMAT ".", argname, value),
				 errhint("%s", hint)));
}

/* -1, 0 or 1 (the sign of a numeric, infinities included). */
int
numeric_sign_internal(Datum num)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, num,
											 int64_to_numeric_datum(0)));
}

/* ------------------------------------------------------------------------
 * Aggregate support functions.
 * ------------------------------------------------------------------------
 */

/*
 * The aggregate's memory context.  SQL cannot call a support function
 * directly (its internal argument cannot be written), so being called
 * outside an aggregate is a programming error of a C caller: elog, naming
 * the SQL function.
 */
MemoryContext
agg_context_or_error(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called outside an aggregate",
			 (fcinfo->flinfo && OidIsValid(fcinfo->flinfo->fn_oid))
			 ? format_procedure(fcinfo->flinfo->fn_oid)
			 : "aggregate support function");
	return aggcontext;
}

/*
 * The guard of the deserialize functions: an aggregate, or a summary being
 * read outside one (summary.c passes &summary_call_context).
 */
void
deserialize_call_check(FunctionCallInfo fcinfo)
{
	if (fcinfo->context != &summary_call_context)
		(void) agg_context_or_error(fcinfo);
}

bool
combine_open(FunctionCallInfo fcinfo, Size size, AggStateInit init,
			 void **into, void **from)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo);

	*into = PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0);
	*from = PG_ARGISNULL(1) ? NULL : PG_GETARG_POINTER(1);
	if (*from == NULL)
		return false;
	if (*into == NULL)
	{
		*into = MemoryContextAllocZero(aggcontext, size);
		if (init != NULL)
			init(*into, aggcontext);
	}
	return true;
}
