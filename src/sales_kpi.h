/*-------------------------------------------------------------------------
 *
 * sales_kpi.h
 *	  Shared declarations of the sales_kpi extension: the aggregate state
 *	  structs that several KPI families use, the stage-outcome classifier,
 *	  the duration helpers and the input checks that raise the extension's
 *	  user-facing errors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_KPI_H
#define SALES_KPI_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "datatype/timestamp.h"
#include "utils/typcache.h"

#ifndef HAVE_INT128
#error "sales_kpi needs a compiler with a 128-bit integer type"
#endif

/* Outcome of a deal, as stage_outcome() reports it. */
typedef enum StageOutcome
{
	OUTCOME_OPEN = 0,
	OUTCOME_WON = 1,
	OUTCOME_LOST = 2
} StageOutcome;

/*
 * State of the counting aggregates (win_rate, conversion_rate): how many
 * counted rows were won, lost and open.  Fixed size, allocated once per group.
 */
typedef struct OutcomeCountState
{
	int64		won;
	int64		lost;
	int64		open;
} OutcomeCountState;

/*
 * State of the duration aggregates: the number of counted rows and the exact
 * sum of their durations in microseconds.
 */
typedef struct DurationSumState
{
	int64		count;
	int128		sum_usecs;
} DurationSumState;

/* stage.c */
extern StageOutcome stage_classify(FmgrInfo *flinfo, text *stage);

/* duration.c */
extern Interval *usecs_to_interval(int64 usecs);
extern char *timestamptz_text(TimestampTz ts);
extern int64 duration_usecs(TimestampTz start, TimestampTz end,
							const char *start_name, const char *end_name);

/* common.c */
extern void check_finite_timestamp(TimestampTz ts, const char *argname);
extern void check_finite_numeric(Datum num, const char *argname);
extern void check_nonnegative_numeric(Datum num, const char *argname,
									  const char *hint);
extern void check_nonnegative_int64(int64 value, const char *argname,
									const char *hint);
extern int	numeric_sign_internal(Datum num);
extern MemoryContext agg_context_or_error(FunctionCallInfo fcinfo,
										  const char *funcname);
extern Datum call_numeric_agg(PGFunction fn, FunctionCallInfo outer,
							  Datum arg0, bool null0, Datum arg1, bool null1,
							  bool *isnull);
extern Datum money_result(Datum num);
extern void send_numeric_state(StringInfo buf, FunctionCallInfo fcinfo, Datum state);
extern Datum recv_numeric_state(StringInfo buf, FunctionCallInfo fcinfo);
extern void state_buffer_open(FunctionCallInfo fcinfo, StringInfo buf, const char *funcname);
extern TypeCacheEntry *range_typcache(FunctionCallInfo fcinfo, Oid rangetype);
extern char *datum_text(Datum value, Oid type);

/* fiscal.c */
extern void fiscal_define_settings(void);

#endif							/* SALES_KPI_H */
