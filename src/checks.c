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
 * Reject NaN amounts: a sum containing NaN is NaN, which no KPI can report.
 */
void
check_not_nan(Datum num, const char *argname)
{
	if (numeric_is_nan(DatumGetNumeric(num)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NaN", argname),
				 errdetail("%s is NaN.", argname),
				 errhint("Leave such rows out, e.g. WHERE %s <> 'NaN'.", argname)));
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
