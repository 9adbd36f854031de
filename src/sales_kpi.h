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
#include "utils/rangetypes.h"
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
 * counted rows were open, won and lost, indexed by StageOutcome so that
 * counting a row does not branch on its outcome.  Fixed size, allocated once
 * per group.
 */
typedef struct OutcomeCountState
{
	int64		n[3];
} OutcomeCountState;

#define N_OPEN(s)	((s)->n[OUTCOME_OPEN])
#define N_WON(s)	((s)->n[OUTCOME_WON])
#define N_LOST(s)	((s)->n[OUTCOME_LOST])

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
extern StageOutcome stage_classify(FmgrInfo *flinfo, Datum stage);

/* duration.c */
extern Interval *usecs_to_interval(int64 usecs);
extern char *timestamptz_text(TimestampTz ts);
extern void report_end_before_start(TimestampTz start, TimestampTz end,
									const char *start_name,
									const char *end_name) pg_attribute_noreturn();

/* common.c */
extern void report_infinite_timestamp(TimestampTz ts,
									  const char *argname) pg_attribute_noreturn();
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
extern void daterange_bounds(FunctionCallInfo fcinfo, Datum value,
							 RangeBound *lower, RangeBound *upper, bool *empty);
extern char *datum_text(Datum value, Oid type);

/*
 * Reject infinity and -infinity: a duration that involves one is unbounded.
 * Inline, so that the per-row cost is one comparison.
 */
static inline void
check_finite_timestamp(TimestampTz ts, const char *argname)
{
	if (unlikely(TIMESTAMP_NOT_FINITE(ts)))
		report_infinite_timestamp(ts, argname);
}

/*
 * end - start in microseconds, both finite; an end before its start is an
 * error naming both values.
 */
static inline int64
duration_usecs(TimestampTz start, TimestampTz end,
			   const char *start_name, const char *end_name)
{
	if (unlikely(end < start))
		report_end_before_start(start, end, start_name, end_name);
	return end - start;
}

/* fiscal.c */
extern void fiscal_define_settings(void);

#endif							/* SALES_KPI_H */
