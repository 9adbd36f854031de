/*-------------------------------------------------------------------------
 *
 * percentile.c
 *	  Exact percentiles as ordinary aggregates: sales_cycle_percentile()
 *	  and deal_size_percentile().
 *
 *	  PostgreSQL's percentile_cont() is an ordered-set aggregate: it cannot
 *	  run OVER a window frame, in parallel, or across shards.  These keep
 *	  every counted value, so they can: the state combines (concatenation),
 *	  serializes (the values), and un-adds a value for sliding frames.
 *
 *	  The state is an array of 8-byte slots, of which a prefix is sorted and
 *	  the rest appended since: adding a row appends, the final function sorts
 *	  the tail and merges it in, and a row leaving a frame is found by binary
 *	  search in the prefix (or a scan of the short tail) and removed.  In a
 *	  sliding frame the final function runs after every row, so the tail
 *	  stays short and each step costs a search and a move of the slots.
 *
 *	  - Durations (sales_cycle_percentile): a slot is the duration in
 *	    microseconds.  The percentile is computed exactly as percentile_cont
 *	    (fraction, interval) computes it: the same rows picked by the same
 *	    float8 arithmetic, interpolated by the same interval functions, so the
 *	    two are equal to the microsecond; the answer is shown in days and
 *	    time (justify_hours form), as every duration of the extension.
 *	  - Amounts (deal_size_percentile): a slot is the offset of the numeric in
 *	    an arena of the state (8 bytes, plus the numeric itself, 4-byte
 *	    aligned).  The interpolation is exact numeric arithmetic:
 *	    lo + (hi - lo) * (p - floor(p)) with p = fraction * (n - 1), the
 *	    fraction read as the decimal it prints as (0.9 is nine tenths).
 *
 *	  The fraction is an argument of every row, as for any ordinary
 *	  aggregate; it must be the same on every counted row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

typedef struct PercentileState
{
	MemoryContext context;		/* where the arrays live */
	bool		amounts;		/* slots are numeric offsets, not microseconds */
	bool		has_fraction;	/* fraction set (by the first counted row) */
	float8		fraction;
	int64		count;			/* values held */
	int64		nsorted;		/* slots [0, nsorted) are in order */
	int64		capacity;		/* slots allocated */
	int64	   *slots;
	char	   *arena;			/* amounts: the numerics */
	Size		arena_used;
	Size		arena_size;
	Size		arena_live;		/* bytes of the arena still referenced */
	/* amounts: where the percentile falls for cached_count values */
	int64		cached_count;	/* 0: nothing cached */
	int64		cached_first;	/* floor(p) */
	Numeric		cached_proportion;	/* p - floor(p), NULL when 0 */
} PercentileState;

#define ARENA_ALIGN(len)	INTALIGN(len)

/* ------------------------------------------------------------------------
 * Values and their order.
 * ------------------------------------------------------------------------
 */

static inline Numeric
slot_numeric(const PercentileState *state, int64 slot)
{
	return (Numeric) (state->arena + slot);
}

/*
 * numeric's on-disk layout (numeric.c), read to compare two values without a
 * function call per comparison: sorting a million amounts through
 * numeric_cmp() costs most of the aggregate.  The layout is part of the
 * on-disk format (pg_upgrade keeps it), so it is the same in every version
 * the extension builds against.  NaN and infinities never reach a state.
 */
#define NUM_SIGN_MASK			0xC000
#define NUM_NEG					0x4000
#define NUM_SHORT				0x8000
#define NUM_SHORT_SIGN_MASK		0x2000
#define NUM_SHORT_WEIGHT_SIGN	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F

typedef struct NumParts
{
	bool		negative;
	int			weight;			/* of the first base-10000 digit */
	int			ndigits;
	const int16 *digits;
} NumParts;

static inline void
num_parts(Numeric n, NumParts *p)
{
	const char *data = VARDATA(n);
	uint16		header;

	memcpy(&header, data, sizeof(uint16));
	if ((header & NUM_SIGN_MASK) == NUM_SHORT)
	{
		p->negative = (header & NUM_SHORT_SIGN_MASK) != 0;
		p->weight = (header & NUM_SHORT_WEIGHT_SIGN) ? (int) (header | ~NUM_SHORT_WEIGHT_MASK)
			: (int) (header & NUM_SHORT_WEIGHT_MASK);
		p->digits = (const int16 *) (data + sizeof(uint16));
		p->ndigits = (VARSIZE(n) - VARHDRSZ - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		int16		weight;

		memcpy(&weight, data + sizeof(uint16), sizeof(int16));
		p->negative = (header & NUM_SIGN_MASK) == NUM_NEG;
		p->weight = weight;
		p->digits = (const int16 *) (data + 2 * sizeof(uint16));
		p->ndigits = (VARSIZE(n) - VARHDRSZ - 2 * sizeof(uint16)) / sizeof(int16);
	}
}

/* Compare absolute values, as numeric.c's cmp_abs_common does. */
static int
num_cmp_abs(const NumParts *a, const NumParts *b)
{
	int			wa = a->weight;
	int			wb = b->weight;
	int			i = 0;
	int			j = 0;

	while (wa > wb && i < a->ndigits)
	{
		if (a->digits[i++] != 0)
			return 1;
		wa--;
	}
	while (wb > wa && j < b->ndigits)
	{
		if (b->digits[j++] != 0)
			return -1;
		wb--;
	}
	if (wa == wb)
	{
		while (i < a->ndigits && j < b->ndigits)
		{
			int			d = a->digits[i++] - b->digits[j++];

			if (d != 0)
				return d > 0 ? 1 : -1;
		}
	}
	while (i < a->ndigits)
		if (a->digits[i++] != 0)
			return 1;
	while (j < b->ndigits)
		if (b->digits[j++] != 0)
			return -1;
	return 0;
}

static int
num_cmp(Numeric x, Numeric y)
{
	NumParts	a;
	NumParts	b;
	bool		a_zero;
	bool		b_zero;

	num_parts(x, &a);
	num_parts(y, &b);
	a_zero = (a.ndigits == 0);
	b_zero = (b.ndigits == 0);
	if (a_zero || b_zero)
	{
		/* zero against a signed value (a zero is never negative) */
		if (a_zero && b_zero)
			return 0;
		if (a_zero)
			return b.negative ? 1 : -1;
		return a.negative ? -1 : 1;
	}
	if (a.negative != b.negative)
		return a.negative ? -1 : 1;
	return a.negative ? -num_cmp_abs(&a, &b) : num_cmp_abs(&a, &b);
}

/*
 * Total order of amounts: by value, then (equal values written with a
 * different number of decimals) by size and bytes, so that which of two
 * equal values a percentile lands on never depends on the input order.
 */
static int
amount_cmp(Numeric a, Numeric b)
{
	int			c = num_cmp(a, b);

	if (c != 0)
		return c;
	if (VARSIZE(a) != VARSIZE(b))
		return VARSIZE(a) < VARSIZE(b) ? -1 : 1;
	return memcmp(a, b, VARSIZE(a));
}

static int
slot_cmp(const void *a, const void *b, void *arg)
{
	const PercentileState *state = (const PercentileState *) arg;
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	if (!state->amounts)
		return (x > y) - (x < y);
	return amount_cmp(slot_numeric(state, x), slot_numeric(state, y));
}

/* ------------------------------------------------------------------------
 * The state.
 * ------------------------------------------------------------------------
 */

static PercentileState *
percentile_state_new(MemoryContext context, bool amounts)
{
	PercentileState *state = MemoryContextAllocZero(context, sizeof(PercentileState));

	state->context = context;
	state->amounts = amounts;
	return state;
}

static void
reserve_slots(PercentileState *state, int64 more)
{
	int64		need = state->count + more;

	if (need <= state->capacity)
		return;
	if (state->capacity == 0)
	{
		state->capacity = Max(need, 16);
		state->slots = MemoryContextAllocHuge(state->context,
											  state->capacity * sizeof(int64));
		return;
	}
	state->capacity = Max(need, state->capacity * 2);
	state->slots = repalloc_huge(state->slots, state->capacity * sizeof(int64));
}

/*
 * Drop the numerics no slot refers to any more (rows that left a sliding
 * frame), once they are most of the arena.
 */
static void
arena_compact(PercentileState *state)
{
	char	   *fresh;
	Size		used = 0;

	if (state->arena_used < 65536 || state->arena_live * 2 > state->arena_used)
		return;
	fresh = MemoryContextAllocHuge(state->context, Max(state->arena_live, 1024));
	for (int64 i = 0; i < state->count; i++)
	{
		Numeric		n = slot_numeric(state, state->slots[i]);
		Size		len = VARSIZE(n);

		memcpy(fresh + used, n, len);
		state->slots[i] = used;
		used += ARENA_ALIGN(len);
	}
	pfree(state->arena);
	state->arena = fresh;
	state->arena_size = Max(state->arena_live, 1024);
	state->arena_used = used;
}

/* Copy a numeric into the arena; its offset. */
static int64
arena_put(PercentileState *state, Numeric n)
{
	Size		len = VARSIZE(n);
	Size		need = state->arena_used + ARENA_ALIGN(len);
	int64		offset;

	if (need > state->arena_size)
	{
		Size		size = Max(need, Max(state->arena_size * 2, 1024));

		if (state->arena == NULL)
			state->arena = MemoryContextAllocHuge(state->context, size);
		else
			state->arena = repalloc_huge(state->arena, size);
		state->arena_size = size;
	}
	offset = state->arena_used;
	memcpy(state->arena + offset, n, len);
	state->arena_used = need;
	state->arena_live += ARENA_ALIGN(len);
	return offset;
}

static void
append_usecs(PercentileState *state, int64 usecs)
{
	reserve_slots(state, 1);
	state->slots[state->count++] = usecs;
}

static void
append_amount(PercentileState *state, Numeric n)
{
	int64		offset = arena_put(state, n);

	reserve_slots(state, 1);
	state->slots[state->count++] = offset;
}

/* Sort the appended tail and merge it into the sorted prefix. */
static void
percentile_sort(PercentileState *state)
{
	int64		nsorted = state->nsorted;
	int64		ntail = state->count - nsorted;
	int64	   *merged;
	int64		i,
				j,
				k;

	if (ntail == 0)
		return;
	qsort_arg(state->slots + nsorted, ntail, sizeof(int64), slot_cmp, state);
	if (nsorted > 0 && slot_cmp(&state->slots[nsorted - 1], &state->slots[nsorted], state) > 0)
	{
		if (ntail * 8 > nsorted)
			qsort_arg(state->slots, state->count, sizeof(int64), slot_cmp, state);
		else
		{
			/* a short tail: merge into a copy, each slot placed once */
			merged = MemoryContextAllocHuge(CurrentMemoryContext, state->count * sizeof(int64));
			i = 0;
			j = nsorted;
			k = 0;
			while (i < nsorted && j < state->count)
				merged[k++] = slot_cmp(&state->slots[j], &state->slots[i], state) < 0
					? state->slots[j++] : state->slots[i++];
			while (i < nsorted)
				merged[k++] = state->slots[i++];
			while (j < state->count)
				merged[k++] = state->slots[j++];
			memcpy(state->slots, merged, state->count * sizeof(int64));
			pfree(merged);
		}
	}
	state->nsorted = state->count;
}

/*
 * Remove one slot equal to the value (for amounts: the same bytes), which a
 * row added before.  false if there is none (cannot happen).
 */
static bool
remove_slot(PercentileState *state, int64 usecs, Numeric n)
{
	int64		lo = 0;
	int64		hi = state->nsorted;
	int64		found = -1;

	/* the sorted prefix: the first slot not below the value */
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int			c = state->amounts
			? amount_cmp(slot_numeric(state, state->slots[mid]), n)
			: (state->slots[mid] > usecs) - (state->slots[mid] < usecs);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < state->nsorted &&
		(state->amounts ? amount_cmp(slot_numeric(state, state->slots[lo]), n) == 0
		 : state->slots[lo] == usecs))
		found = lo;
	else
	{
		/* the tail, newest first */
		for (int64 i = state->count - 1; i >= state->nsorted; i--)
			if (state->amounts ? amount_cmp(slot_numeric(state, state->slots[i]), n) == 0
				: state->slots[i] == usecs)
			{
				found = i;
				break;
			}
	}
	if (found < 0)
		return false;

	if (state->amounts)
		state->arena_live -= ARENA_ALIGN(VARSIZE(slot_numeric(state, state->slots[found])));
	memmove(&state->slots[found], &state->slots[found + 1],
			(state->count - found - 1) * sizeof(int64));
	state->count--;
	if (found < state->nsorted)
		state->nsorted--;
	if (state->amounts)
		arena_compact(state);
	return true;
}

/* ------------------------------------------------------------------------
 * The fraction.
 * ------------------------------------------------------------------------
 */

static void
check_fraction(float8 fraction)
{
	if (isnan(fraction) || fraction < 0 || fraction > 1)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("fraction must be between 0 and 1"),
				 errdetail("fraction is %s.",
						   DatumGetCString(DirectFunctionCall1(float8out,
															   Float8GetDatum(fraction)))),
				 errhint("Pass 0.5 for the median, 0.9 for the 90th percentile.")));
}

/* The first counted row sets the fraction; every other must repeat it. */
static void
state_fraction(PercentileState *state, float8 fraction)
{
	if (state->has_fraction && state->fraction == fraction)
		return;
	check_fraction(fraction);
	if (!state->has_fraction)
	{
		state->fraction = fraction;
		state->has_fraction = true;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("fraction must be the same on every row"),
			 errdetail("A row passed %g after rows passed %g.", fraction, state->fraction),
			 errhint("Pass a constant fraction; compute each percentile with its own call.")));
}

/* ------------------------------------------------------------------------
 * Transition and inverse transition functions.
 * ------------------------------------------------------------------------
 */

static PercentileState *
state_get(FunctionCallInfo fcinfo, bool amounts)
{
	if (!PG_ARGISNULL(0))
		return (PercentileState *) PG_GETARG_POINTER(0);
	return percentile_state_new(agg_context_or_error(fcinfo), amounts);
}

/*
 * sales_cycle_percentile(created_at, closed_at, fraction): a row counts when
 * all three are set; closed_at before created_at is an error.
 */
static bool
cycle_row(FunctionCallInfo fcinfo, int64 *usecs, float8 *fraction)
{
	TimestampTz created;
	TimestampTz closed;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		return false;
	created = PG_GETARG_TIMESTAMPTZ(1);
	closed = PG_GETARG_TIMESTAMPTZ(2);
	check_finite_timestamp(created, "created_at");
	check_finite_timestamp(closed, "closed_at");
	*usecs = duration_usecs(created, closed, "created_at", "closed_at");
	*fraction = PG_GETARG_FLOAT8(3);
	return true;
}

PG_FUNCTION_INFO_V1(cycle_percentile_trans);
Datum
cycle_percentile_trans(PG_FUNCTION_ARGS)
{
	PercentileState *state = state_get(fcinfo, false);
	int64		usecs;
	float8		fraction;

	if (cycle_row(fcinfo, &usecs, &fraction))
	{
		state_fraction(state, fraction);
		append_usecs(state, usecs);
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(cycle_percentile_inv);
Datum
cycle_percentile_inv(PG_FUNCTION_ARGS)
{
	PercentileState *state = state_get(fcinfo, false);
	int64		usecs;
	float8		fraction;

	if (cycle_row(fcinfo, &usecs, &fraction) && !remove_slot(state, usecs, NULL))
		elog(ERROR, "sales_cycle_percentile: a row left a frame it was never in");
	PG_RETURN_POINTER(state);
}

/* deal_size_percentile(amount, fraction): a row counts when both are set. */
static bool
size_row(FunctionCallInfo fcinfo, Numeric *amount, float8 *fraction)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return false;
	*amount = PG_GETARG_NUMERIC(1);
	check_finite_numeric(NumericGetDatum(*amount), "amount");
	*fraction = PG_GETARG_FLOAT8(2);
	return true;
}

PG_FUNCTION_INFO_V1(size_percentile_trans);
Datum
size_percentile_trans(PG_FUNCTION_ARGS)
{
	PercentileState *state = state_get(fcinfo, true);
	Numeric		amount;
	float8		fraction;

	if (size_row(fcinfo, &amount, &fraction))
	{
		state_fraction(state, fraction);
		append_amount(state, amount);
	}
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(size_percentile_inv);
Datum
size_percentile_inv(PG_FUNCTION_ARGS)
{
	PercentileState *state = state_get(fcinfo, true);
	Numeric		amount;
	float8		fraction;

	if (size_row(fcinfo, &amount, &fraction) && !remove_slot(state, 0, amount))
		elog(ERROR, "deal_size_percentile: a row left a frame it was never in");
	PG_RETURN_POINTER(state);
}

/* ------------------------------------------------------------------------
 * Combine, serialize, deserialize.
 * ------------------------------------------------------------------------
 */

static void
percentile_add_state(PercentileState *into, PercentileState *from)
{
	if (from->has_fraction)
		state_fraction(into, from->fraction);
	reserve_slots(into, from->count);
	for (int64 i = 0; i < from->count; i++)
	{
		if (into->amounts)
			into->slots[into->count++] = arena_put(into, slot_numeric(from, from->slots[i]));
		else
			into->slots[into->count++] = from->slots[i];
	}
}

PG_FUNCTION_INFO_V1(percentile_combine);
Datum
percentile_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo);
	PercentileState *into = PG_ARGISNULL(0) ? NULL : (PercentileState *) PG_GETARG_POINTER(0);
	PercentileState *from = PG_ARGISNULL(1) ? NULL : (PercentileState *) PG_GETARG_POINTER(1);

	if (from == NULL)
		return combine_passthrough(fcinfo);
	if (into == NULL)
		into = percentile_state_new(aggcontext, from->amounts);
	percentile_add_state(into, from);
	PG_RETURN_POINTER(into);
}

/*
 * The state in the codec's format: whether the fraction is set, the
 * fraction's bits, the count, then the values in order: microseconds as
 * int64, amounts in numeric's wire format.
 */
static bytea *
percentile_write(PercentileState *state, StateKind kind)
{
	StringInfoData buf;
	union
	{
		float8		f;
		int64		i;
	}			bits;

	percentile_sort(state);
	state_write_begin(&buf, kind);
	state_put_byte(&buf, state->has_fraction ? 1 : 0);
	bits.f = state->has_fraction ? state->fraction : 0;
	state_put_int64(&buf, bits.i);
	state_put_int64(&buf, state->count);
	for (int64 i = 0; i < state->count; i++)
	{
		if (state->amounts)
			state_put_numeric(&buf, NumericGetDatum(slot_numeric(state, state->slots[i])));
		else
			state_put_int64(&buf, state->slots[i]);
	}
	return state_write_end(&buf);
}

static PercentileState *
percentile_read(bytea *bytes, StateKind kind)
{
	StateReader r;
	PercentileState *state = percentile_state_new(CurrentMemoryContext,
												  kind == STATE_PERCENTILE_AMOUNT);
	uint8		has_fraction;
	union
	{
		float8		f;
		int64		i;
	}			bits;
	int64		count;

	state_read_begin(&r, bytes, kind);
	has_fraction = state_get_byte(&r);
	bits.i = state_get_int64(&r);
	count = state_get_int64(&r);
	if (has_fraction > 1 ||
		(has_fraction && (isnan(bits.f) || bits.f < 0 || bits.f > 1)))
		report_invalid_state(kind, "The fraction is out of range.");
	/* every value takes at least 8 bytes: a count beyond that is corrupt */
	if (count < 0 || count > (int64) (r.end - r.p) / 8)
		report_invalid_state(kind, "The count of values is out of range.");
	state->has_fraction = has_fraction;
	state->fraction = has_fraction ? bits.f : 0;
	reserve_slots(state, count);
	for (int64 i = 0; i < count; i++)
	{
		if (state->amounts)
			append_amount(state, DatumGetNumeric(state_get_numeric(&r)));
		else
		{
			int64		usecs = state_get_int64(&r);

			if (usecs < 0)
				report_invalid_state(kind, "A duration is negative.");
			append_usecs(state, usecs);
		}
	}
	state_read_end(&r);
	return state;
}

PG_FUNCTION_INFO_V1(cycle_percentile_serialize);
Datum
cycle_percentile_serialize(PG_FUNCTION_ARGS)
{
	agg_context_or_error(fcinfo);
	PG_RETURN_BYTEA_P(percentile_write((PercentileState *) PG_GETARG_POINTER(0),
									   STATE_PERCENTILE_DURATION));
}

PG_FUNCTION_INFO_V1(cycle_percentile_deserialize);
Datum
cycle_percentile_deserialize(PG_FUNCTION_ARGS)
{
	deserialize_call_check(fcinfo);
	PG_RETURN_POINTER(percentile_read(PG_GETARG_BYTEA_PP(0), STATE_PERCENTILE_DURATION));
}

PG_FUNCTION_INFO_V1(size_percentile_serialize);
Datum
size_percentile_serialize(PG_FUNCTION_ARGS)
{
	agg_context_or_error(fcinfo);
	PG_RETURN_BYTEA_P(percentile_write((PercentileState *) PG_GETARG_POINTER(0),
									   STATE_PERCENTILE_AMOUNT));
}

PG_FUNCTION_INFO_V1(size_percentile_deserialize);
Datum
size_percentile_deserialize(PG_FUNCTION_ARGS)
{
	deserialize_call_check(fcinfo);
	PG_RETURN_POINTER(percentile_read(PG_GETARG_BYTEA_PP(0), STATE_PERCENTILE_AMOUNT));
}

/* ------------------------------------------------------------------------
 * Final functions.  They sort the state in place, which leaves it holding
 * the same values: the state stays valid for more rows and more calls.
 * ------------------------------------------------------------------------
 */

static Datum
cycle_percentile_value(PercentileState *state)
{
	float8		fraction = state->fraction;
	int64		first_row;
	int64		second_row;
	Datum		lo;
	Datum		hi;
	Datum		diff;
	Interval   *result;

	percentile_sort(state);

	/* exactly percentile_cont(fraction) WITHIN GROUP (ORDER BY interval) */
	first_row = floor(fraction * (state->count - 1));
	second_row = ceil(fraction * (state->count - 1));
	lo = IntervalPGetDatum(usecs_to_interval(state->slots[first_row]));
	if (first_row == second_row)
		return lo;
	hi = IntervalPGetDatum(usecs_to_interval(state->slots[second_row]));
	diff = DirectFunctionCall2(interval_mi, hi, lo);
	diff = DirectFunctionCall2(interval_mul, diff,
							   Float8GetDatum((fraction * (state->count - 1)) - first_row));
	result = DatumGetIntervalP(DirectFunctionCall2(interval_pl, diff, lo));

	/*
	 * The same span, shown as days and time like every duration of the
	 * extension (percentile_cont may answer '1 day 35 hours').
	 */
	return IntervalPGetDatum(usecs_to_interval((int64) result->day * USECS_PER_DAY + result->time));
}

PG_FUNCTION_INFO_V1(cycle_percentile_final);
Datum
cycle_percentile_final(PG_FUNCTION_ARGS)
{
	PercentileState *state = PG_ARGISNULL(0) ? NULL : (PercentileState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->count == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(cycle_percentile_value(state));
}

/*
 * Where the percentile of count values falls: p = fraction * (count - 1) in
 * exact decimal arithmetic, its floor and fraction.  Kept in the state for
 * the next call with as many values (a sliding frame's usual case).
 */
static void
size_position(PercentileState *state)
{
	Datum		position;
	Datum		first;
	MemoryContext old;

	if (state->cached_count == state->count)
		return;
	position = DirectFunctionCall2(numeric_mul,
								   DirectFunctionCall1(float8_numeric,
													   Float8GetDatum(state->fraction)),
								   int64_to_numeric_datum(state->count - 1));
	first = DirectFunctionCall1(numeric_floor, position);
	state->cached_first = DatumGetInt64(DirectFunctionCall1(numeric_int8, first));
	if (state->cached_proportion != NULL)
		pfree(state->cached_proportion);
	state->cached_proportion = NULL;
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, position, first)))
	{
		old = MemoryContextSwitchTo(state->context);
		state->cached_proportion =
			DatumGetNumericCopy(DirectFunctionCall2(numeric_sub, position, first));
		MemoryContextSwitchTo(old);
	}
	state->cached_count = state->count;
}

static Datum
size_percentile_value(PercentileState *state)
{
	Datum		lo;
	Datum		hi;

	percentile_sort(state);
	size_position(state);

	lo = NumericGetDatum(slot_numeric(state, state->slots[state->cached_first]));
	if (state->cached_proportion == NULL)
		return datumCopy(lo, false, -1);	/* the arena belongs to the state */
	hi = NumericGetDatum(slot_numeric(state, state->slots[state->cached_first + 1]));
	return DirectFunctionCall2(numeric_add, lo,
							   DirectFunctionCall2(numeric_mul,
												   DirectFunctionCall2(numeric_sub, hi, lo),
												   NumericGetDatum(state->cached_proportion)));
}

PG_FUNCTION_INFO_V1(size_percentile_final);
Datum
size_percentile_final(PG_FUNCTION_ARGS)
{
	PercentileState *state = PG_ARGISNULL(0) ? NULL : (PercentileState *) PG_GETARG_POINTER(0);

	if (state == NULL || state->count == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(size_percentile_value(state));
}

/* ------------------------------------------------------------------------
 * Another percentile of the values a summary holds:
 * sales_cycle_percentile(summary, fraction), deal_size_percentile(summary,
 * fraction).  NULL fraction, NULL result, as for the aggregates.
 * ------------------------------------------------------------------------
 */

static PercentileState *
summary_at_fraction(FunctionCallInfo fcinfo, StateKind kind)
{
	PercentileState *state;
	float8		fraction = PG_GETARG_FLOAT8(1);

	check_fraction(fraction);
	state = percentile_read(PG_GETARG_BYTEA_PP(0), kind);
	state->fraction = fraction;
	state->has_fraction = true;
	return state;
}

PG_FUNCTION_INFO_V1(cycle_percentile_of_summary);
Datum
cycle_percentile_of_summary(PG_FUNCTION_ARGS)
{
	PercentileState *state = summary_at_fraction(fcinfo, STATE_PERCENTILE_DURATION);

	if (state->count == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(cycle_percentile_value(state));
}

PG_FUNCTION_INFO_V1(size_percentile_of_summary);
Datum
size_percentile_of_summary(PG_FUNCTION_ARGS)
{
	PercentileState *state = summary_at_fraction(fcinfo, STATE_PERCENTILE_AMOUNT);

	if (state->count == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(size_percentile_value(state));
}
