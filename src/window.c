/*-------------------------------------------------------------------------
 *
 * window.c
 *	  True window functions (declared WINDOW, so OVER (...) is required):
 *	  period_growth(value) and time_in_stage(entered_at [, as_of]).
 *
 *	  Both look at the neighbouring row of the partition in its ORDER BY, like
 *	  lag() and lead(), and ignore the frame clause.  Each moves the window's
 *	  mark along so the rows behind it can be released from the tuplestore.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "windowapi.h"

/*
 * period_growth(value numeric) -> float8: (value - previous row's value) /
 * previous row's value; NULL on the partition's first row and when either
 * value is NULL or the previous one is 0.
 */
PG_FUNCTION_INFO_V1(period_growth);
Datum
period_growth(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	int64		pos = WinGetCurrentPosition(winobj);
	Datum		cur;
	Datum		prev;
	bool		isnull;
	bool		isout;

	if (pos > 0)
		WinSetMarkPosition(winobj, pos - 1);

	cur = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	check_finite_numeric(cur, "value");

	prev = WinGetFuncArgInPartition(winobj, 0, -1, WINDOW_SEEK_CURRENT, false,
									&isnull, &isout);
	if (isout || isnull)
		PG_RETURN_NULL();
	check_finite_numeric(prev, "value");
	if (numeric_sign_internal(prev) == 0)
		PG_RETURN_NULL();

	PG_RETURN_FLOAT8(DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														DirectFunctionCall2(numeric_div,
																			DirectFunctionCall2(numeric_sub, cur, prev),
																			prev))));
}

/*
 * Time in the current stage: the next row's entered_at minus this row's; on
 * the partition's last row, end - entered_at where end is as_of (or the
 * start of the transaction).  NULL when this or the next entered_at is NULL.
 */
static Datum
time_in_stage_common(FunctionCallInfo fcinfo, bool has_as_of)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	TimestampTz entered;
	TimestampTz end;
	int64		usecs;
	Datum		d;
	bool		isnull;
	bool		isout;

	WinSetMarkPosition(winobj, WinGetCurrentPosition(winobj));

	d = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	entered = DatumGetTimestampTz(d);
	check_finite_timestamp(entered, "entered_at");

	d = WinGetFuncArgInPartition(winobj, 0, 1, WINDOW_SEEK_CURRENT, false,
								 &isnull, &isout);
	if (!isout)
	{
		if (isnull)
			PG_RETURN_NULL();
		end = DatumGetTimestampTz(d);
		check_finite_timestamp(end, "entered_at");
		if (end < entered)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_in_stage needs the rows of a deal ordered by entered_at"),
					 errdetail("A row entered at %s is followed by one entered at %s.",
							   timestamptz_text(entered),
							   timestamptz_text(end)),
					 errhint("Use OVER (PARTITION BY deal_id ORDER BY entered_at).")));
		if (pg_sub_s64_overflow(end, entered, &usecs))
			report_duration_out_of_range(entered, end, "entered_at", "the next row's entered_at");
		PG_RETURN_INTERVAL_P(usecs_to_interval(usecs));
	}

	/* The last stage of the deal runs to as_of, or to now. */
	if (has_as_of)
	{
		d = WinGetFuncArgCurrent(winobj, 1, &isnull);
		if (isnull)
			PG_RETURN_NULL();
		end = DatumGetTimestampTz(d);
		check_finite_timestamp(end, "as_of");
		PG_RETURN_INTERVAL_P(usecs_to_interval(duration_usecs(entered, end,
															  "entered_at", "as_of")));
	}
	PG_RETURN_INTERVAL_P(usecs_to_interval(open_duration_usecs(entered,
																GetCurrentTransactionStartTimestamp(),
																"entered_at",
																"a deal's current stage")));
}

/* time_in_stage(entered_at timestamptz) -> interval */
PG_FUNCTION_INFO_V1(time_in_stage);
Datum
time_in_stage(PG_FUNCTION_ARGS)
{
	return time_in_stage_common(fcinfo, false);
}

/* time_in_stage(entered_at timestamptz, as_of timestamptz) -> interval */
PG_FUNCTION_INFO_V1(time_in_stage_as_of);
Datum
time_in_stage_as_of(PG_FUNCTION_ARGS)
{
	return time_in_stage_common(fcinfo, true);
}
