/*-------------------------------------------------------------------------
 *
 * checks.c
 *	  The module's magic block, and the input checks shared by every KPI
 *	  family.  Each raises a user-facing
 *	  error with a data-exception SQLSTATE, a detail naming the offending
 *	  value and a hint saying how to filter it out, so that bad rows never
 *	  turn into a silently wrong number.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

PG_MODULE_MAGIC;

/*
 * Reject infinity and -infinity: a duration that involves one is unbounded,
 * so no mean of it is meaningful.
 */
void
check_finite_timestamp(TimestampTz ts, const char *argname)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite timestamp", argname),
				 errdetail("%s is %s.", argname,
						   TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
				 errhint("Leave such rows out, e.g. WHERE isfinite(%s).", argname)));
}

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
		what = DatumGetBool(DirectFunctionCall2(numeric_lt, num,
												DirectFunctionCall1(int4_numeric, Int32GetDatum(0))))
			? "-Infinity" : "Infinity";
#endif
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("%s is %s.", argname, what),
				 errhint("Leave such rows out, e.g. WHERE %s NOT IN ('NaN', 'Infinity', '-Infinity').",
						 argname)));
}

/*
 * Return the aggregate's memory context, or fail when a support function of
 * an aggregate is called directly as a plain function.
 */
MemoryContext
agg_context_or_error(FunctionCallInfo fcinfo, const char *funcname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called as part of an aggregate", funcname)));
	return aggcontext;
}
