/*-------------------------------------------------------------------------
 *
 * sales_kpi.h
 *	  Shared declarations of the sales_kpi extension: the aggregate state
 *	  structs that several KPI families use, the per-call-site cache kept in
 *	  fn_extra, the settings, the input checks that raise the extension's
 *	  user-facing errors, the state codec and the exact numeric sum.
 *
 *	  Each section names the file that implements it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_KPI_H
#define SALES_KPI_H

#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/date.h"
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
 * sum of their durations in microseconds (32 bytes: the int128 is 16-byte
 * aligned).
 */
typedef struct DurationSumState
{
	int64		count;
	int128		sum_usecs;
} DurationSumState;

/* ------------------------------------------------------------------------
 * The per-call-site cache (callsite.c).  fn_extra of every function of the
 * extension points to one of these, and nothing else: a function that takes
 * both a stage and a range finds both caches side by side.
 * ------------------------------------------------------------------------
 */
typedef struct StageCache StageCache;

typedef struct CallSite
{
	StageCache *stages;			/* stage_catalog.c, NULL until first used */
	TypeCacheEntry *range_typcache; /* the last range type read */
} CallSite;

extern CallSite *call_site_create(FmgrInfo *flinfo);

static inline CallSite *
call_site(FmgrInfo *flinfo)
{
	if (unlikely(flinfo->fn_extra == NULL))
		return call_site_create(flinfo);
	return (CallSite *) flinfo->fn_extra;
}

extern void daterange_bounds(FunctionCallInfo fcinfo, Datum value,
							 RangeBound *lower, RangeBound *upper, bool *empty);

/* ------------------------------------------------------------------------
 * Settings (module.c).
 * ------------------------------------------------------------------------
 */
extern int	setting_fiscal_start_month(void);
extern bool setting_as_of_day(DateADT *day);

/* ------------------------------------------------------------------------
 * The stage catalog (stage_catalog.c; the inlined classifier is in
 * stage_catalog.h).
 * ------------------------------------------------------------------------
 */
extern StageOutcome stage_classify(FmgrInfo *flinfo, Datum stage);
extern void stage_catalog_watch(void);

/* ------------------------------------------------------------------------
 * Checks, error reporters and value-to-text helpers (errors.c).
 * ------------------------------------------------------------------------
 */
extern char *timestamptz_text(TimestampTz ts);
extern char *date_text(DateADT day);
extern char *numeric_text(Datum num);
extern char *datum_text(Datum value, Oid type);

extern void report_infinite_timestamp(TimestampTz ts,
									  const char *argname) pg_attribute_noreturn();
extern void report_end_before_start(TimestampTz start, TimestampTz end,
									const char *start_name,
									const char *end_name) pg_attribute_noreturn();
extern void report_duration_out_of_range(TimestampTz start, TimestampTz end,
										 const char *start_name,
										 const char *end_name) pg_attribute_noreturn();
extern void report_start_in_future(TimestampTz start, TimestampTz now,
								   const char *start_name,
								   const char *row_kind) pg_attribute_noreturn();
extern void check_finite_numeric(Datum num, const char *argname);
extern void check_nonnegative_numeric(Datum num, const char *argname,
									  const char *hint);
extern void check_nonnegative_int64(int64 value, const char *argname,
									const char *hint);
extern int	numeric_sign_internal(Datum num);
extern MemoryContext agg_context_or_error(FunctionCallInfo fcinfo);
extern void deserialize_call_check(FunctionCallInfo fcinfo);
extern Node summary_call_context;

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
 * end - start in microseconds, both finite: an end before its start, and a
 * difference beyond the range of an interval (about 292,000 years), are
 * errors naming both values.
 */
static inline int64
duration_usecs(TimestampTz start, TimestampTz end,
			   const char *start_name, const char *end_name)
{
	int64		usecs;

	if (unlikely(end < start))
		report_end_before_start(start, end, start_name, end_name);
	if (unlikely(pg_sub_s64_overflow(end, start, &usecs)))
		report_duration_out_of_range(start, end, start_name, end_name);
	return usecs;
}

/*
 * now - start for an open row, which runs to `now`, the start of the
 * transaction: a start after it is an error (row_kind says which row).
 */
static inline int64
open_duration_usecs(TimestampTz start, TimestampTz now,
					const char *start_name, const char *row_kind)
{
	int64		usecs;

	if (unlikely(now < start))
		report_start_in_future(start, now, start_name, row_kind);
	if (unlikely(pg_sub_s64_overflow(now, start, &usecs)))
		report_duration_out_of_range(start, now, start_name, "the start of the transaction");
	return usecs;
}

/* A non-negative count of microseconds as an interval of days and time. */
static inline Interval *
usecs_to_interval(int64 usecs)
{
	Interval   *result = (Interval *) palloc(sizeof(Interval));

	result->month = 0;
	result->day = (int32) (usecs / USECS_PER_DAY);
	result->time = usecs % USECS_PER_DAY;
	return result;
}

/* ------------------------------------------------------------------------
 * Aggregate support shared by every family (errors.c).
 * ------------------------------------------------------------------------
 */

/*
 * Fetch a fixed-size transition state, creating it zeroed in the aggregate
 * context on the first row (the only time the call context needs checking:
 * a state pointer can only come from an aggregate).
 */
static inline void *
agg_state_get(FunctionCallInfo fcinfo, Size size)
{
	if (likely(!PG_ARGISNULL(0)))
		return PG_GETARG_POINTER(0);
	return MemoryContextAllocZero(agg_context_or_error(fcinfo), size);
}

/*
 * The opening every combine function shares.  Returns false when there is
 * nothing to add (the second state is NULL): the answer is then the first
 * state, or NULL, and the caller returns combine_passthrough().  Otherwise
 * *into is the first state, created zeroed in the aggregate context (size
 * bytes, then init() if given) when it is NULL, and *from the second; the
 * caller adds *from into *into and returns *into, so that neither input is
 * ever handed back for the other.
 */
typedef void (*AggStateInit) (void *state, MemoryContext aggcontext);

extern bool combine_open(FunctionCallInfo fcinfo, Size size, AggStateInit init,
						 void **into, void **from);

static inline Datum
combine_passthrough(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/* ------------------------------------------------------------------------
 * The state codec (codec.c): one binary format for every aggregate state,
 * a version byte and a kind byte first, integers in network byte order,
 * numeric sums in numeric's binary wire format; lengths checked on receive,
 * input read in place.
 * ------------------------------------------------------------------------
 */
#define STATE_FORMAT_VERSION	1

typedef enum StateKind
{
	STATE_OUTCOMES = 1,
	STATE_DURATION = 2,
	STATE_RETENTION = 3,
	STATE_VELOCITY = 4,
	STATE_CLV = 5,
	STATE_ACV = 6,
	STATE_CLV_TEXT = 7,
	STATE_PERCENTILE_DURATION = 8,
	STATE_PERCENTILE_AMOUNT = 9,
	STATE_BGNBD_FIT = 10,
	STATE_GAMMA_GAMMA_FIT = 11,
	STATE_RFM = 12
} StateKind;

typedef struct StateReader
{
	const char *p;				/* next byte */
	const char *end;			/* one past the last byte */
	StateKind	kind;
} StateReader;

extern void state_write_begin(StringInfo buf, StateKind kind);
extern bytea *state_write_end(StringInfo buf);
extern void state_put_byte(StringInfo buf, uint8 v);
extern void state_put_int32(StringInfo buf, int32 v);
extern void state_put_int64(StringInfo buf, int64 v);
extern void state_put_int128(StringInfo buf, int128 v);
extern void state_put_numeric(StringInfo buf, Datum num);

extern void state_read_begin(StateReader *r, bytea *state, StateKind kind);
extern void state_read_end(StateReader *r);
extern uint8 state_get_byte(StateReader *r);
extern int32 state_get_int32(StateReader *r);
extern int64 state_get_int64(StateReader *r);
extern int128 state_get_int128(StateReader *r);
extern Datum state_get_numeric(StateReader *r);
extern const char *state_get_bytes(StateReader *r, Size len);
extern void report_invalid_state(StateKind kind, const char *detail) pg_attribute_noreturn();
extern const char *state_kind_name(StateKind kind);

/* ------------------------------------------------------------------------
 * Exact numeric sums (exact_sum.c): numeric.c's own accumulator while rows
 * are added (no allocation per row), behind an interface that serializes
 * the sum itself, never numeric.c's private state layout.
 * ------------------------------------------------------------------------
 */
typedef struct ExactSum
{
	Datum		acc;			/* numeric.c's accumulator, or 0 */
	Datum		value;			/* a received sum not yet accumulated, or 0 */
} ExactSum;

extern void exact_sum_add(FunctionCallInfo fcinfo, ExactSum *sum, Datum num);
extern bool exact_sum_discard(FunctionCallInfo fcinfo, ExactSum *sum, Datum num);
extern void exact_sum_combine(FunctionCallInfo fcinfo, ExactSum *into,
							  const ExactSum *from);
extern Datum exact_sum_total(const ExactSum *sum);
extern void exact_sum_write(StringInfo buf, const ExactSum *sum);
extern void exact_sum_read(StateReader *r, ExactSum *sum);

extern Datum int64_to_numeric_datum(int64 v);
extern Datum int128_to_numeric_datum(int128 v);
extern Datum money_result(Datum num);
extern Datum numeric_div_round(Datum num, Datum den, int scale);

/* The checks of a BG/NBD customer (x, t_x, T) (bgnbd.c). */
extern void bgnbd_check_customer(double x, double tx, double T);

#endif							/* SALES_KPI_H */
