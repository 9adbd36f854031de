/*-------------------------------------------------------------------------
 *
 * clv_text.c
 *	  clv(customer_id text, amount, purchased_at): customer lifetime value
 *	  for CRMs whose customer ids are text (an 18-character Salesforce
 *	  account id, a HubSpot company id written as text).  The definition and
 *	  the final arithmetic are clv.c's; only the bookkeeping of customers
 *	  differs, and it is exact: customers are told apart by every byte of
 *	  their ids, never by a hash alone.
 *
 *	  A customer is a record in an arena of chunks of up to 1 MB (the
 *	  first grows from 256 bytes, so that one group of a GROUP BY holding a
 *	  few customers takes a few hundred bytes, not a megabyte): first and last
 *	  purchase, a 32-bit purchase count, the id's length and the id's bytes,
 *	  8-aligned (40 bytes for an 18-byte id).  While rows are added, an
 *	  open-addressing table of 8-byte slots (the id's hash and the record's
 *	  32-bit arena reference), grown by half when 80% full, finds a
 *	  customer's record; so a customer costs about 40 + 8 / 0.67 bytes, 52 on
 *	  average and 55 at most for 18-byte ids.  A hit compares the hash in the
 *	  slot, then the id's bytes in the record.
 *
 *	  As in clv.c, a serialized state lists its customers sorted by id
 *	  (bytes, then length), combining keeps such sorted runs and merges
 *	  them, and the final function reads every form without changing it.
 *	  The serialized ids are prefix-compressed (ids of one CRM share long
 *	  prefixes): each as the length it shares with the previous id, the
 *	  length of the rest, and the rest.
 *
 *	  Limits, each an error rather than a wrong number: 4,294,967,295
 *	  purchases of one customer in one group, ids of up to 1 MB, 4 GB of
 *	  records in one state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "clv.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* ------------------------------------------------------------------------
 * The arena: records in 1 MB chunks, addressed by 32-bit references (12
 * bits of chunk, 20 of offset); reference 0 is never a record.
 * ------------------------------------------------------------------------
 */
#define ARENA_CHUNK_BITS	20
#define ARENA_CHUNK_SIZE	((uint32) 1 << ARENA_CHUNK_BITS)
#define ARENA_MAX_CHUNKS	4096

typedef struct Arena
{
	char	  **chunks;
	uint32	   *used;			/* bytes used in each chunk */
	int			nchunks;
	int			maxchunks;
	uint32		last_size;		/* bytes allocated to the last chunk */
	uint64		records;
} Arena;

/* The first chunk's first size; it doubles up to ARENA_CHUNK_SIZE. */
#define ARENA_FIRST_SIZE	256

/* Record layout: first_at, last_at, purchases (uint32), length, id. */
#define REC_FIRST_OFF		0
#define REC_LAST_OFF		8
#define REC_PURCHASES_OFF	16
#define REC_LEN_OFF			20
#define REC_ID_OFF			21
#define REC_LONG_ID_OFF		25	/* ids of 255 bytes or more: a uint32 length first */
#define REC_MAX_ID			(ARENA_CHUNK_SIZE - 64)

static inline Size
rec_size(uint32 idlen)
{
	return MAXALIGN((idlen < 255 ? REC_ID_OFF : REC_LONG_ID_OFF) + idlen);
}

static inline TimestampTz
rec_first(const char *rec)
{
	return *(const TimestampTz *) (rec + REC_FIRST_OFF);
}

static inline TimestampTz
rec_last(const char *rec)
{
	return *(const TimestampTz *) (rec + REC_LAST_OFF);
}

static inline uint32
rec_purchases(const char *rec)
{
	return *(const uint32 *) (rec + REC_PURCHASES_OFF);
}

static inline uint32
rec_id(const char *rec, const char **id)
{
	uint8		len = (uint8) rec[REC_LEN_OFF];
	uint32		longlen;

	if (len < 255)
	{
		*id = rec + REC_ID_OFF;
		return len;
	}
	memcpy(&longlen, rec + REC_ID_OFF, sizeof(longlen));
	*id = rec + REC_LONG_ID_OFF;
	return longlen;
}

static inline char *
arena_ptr(const Arena *a, uint32 ref)
{
	return a->chunks[ref >> ARENA_CHUNK_BITS] + (ref & (ARENA_CHUNK_SIZE - 1));
}

/* Room for a record of `size` bytes; its reference. */
static uint32
arena_alloc(Arena *a, MemoryContext mcxt, Size size)
{
	/*
	 * The last chunk, while smaller than a full one, grows in place: records
	 * are addressed by offset, and no pointer into the arena outlives an
	 * allocation.
	 */
	if (a->nchunks > 0 && a->used[a->nchunks - 1] + size > a->last_size && a->last_size < ARENA_CHUNK_SIZE)
	{
		Size		want = (Size) a->used[a->nchunks - 1] + size;
		Size		grown = a->last_size;

		while (grown < want && grown < ARENA_CHUNK_SIZE)
			grown *= 2;
		grown = Min(grown, ARENA_CHUNK_SIZE);
		a->chunks[a->nchunks - 1] = repalloc(a->chunks[a->nchunks - 1], grown);
		a->last_size = (uint32) grown;
	}
	if (a->nchunks == 0 || a->used[a->nchunks - 1] + size > a->last_size)
	{
		Size		first;

		if (a->nchunks == ARENA_MAX_CHUNKS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many customers in one clv() group"),
					 errdetail("The customers of one group take more than 4 GB."),
					 errhint("Compute CLV over smaller groups.")));
		if (a->nchunks == a->maxchunks)
		{
			int			n = Max(8, a->maxchunks * 2);

			if (a->chunks == NULL)
			{
				a->chunks = MemoryContextAlloc(mcxt, n * sizeof(char *));
				a->used = MemoryContextAlloc(mcxt, n * sizeof(uint32));
			}
			else
			{
				a->chunks = repalloc(a->chunks, n * sizeof(char *));
				a->used = repalloc(a->used, n * sizeof(uint32));
			}
			a->maxchunks = n;
		}
		/*
		 * The first chunk starts small, at offset 8 so that no record has
		 * reference 0; the next ones at full size.
		 */
		first = a->nchunks == 0 ? 8 : 0;
		a->last_size = a->nchunks > 0 ? ARENA_CHUNK_SIZE : ARENA_FIRST_SIZE;
		while (a->last_size < first + size)
			a->last_size *= 2;
		a->chunks[a->nchunks] = MemoryContextAlloc(mcxt, a->last_size);
		a->used[a->nchunks] = first;
		a->nchunks++;
	}
	{
		uint32		ref = ((uint32) (a->nchunks - 1) << ARENA_CHUNK_BITS) | a->used[a->nchunks - 1];

		a->used[a->nchunks - 1] += size;
		a->records++;
		return ref;
	}
}

static void
arena_free(Arena *a)
{
	for (int i = 0; i < a->nchunks; i++)
		pfree(a->chunks[i]);
	if (a->chunks != NULL)
	{
		pfree(a->chunks);
		pfree(a->used);
	}
	memset(a, 0, sizeof(Arena));
}

/* Append a record; its reference. */
static uint32
arena_add(Arena *a, MemoryContext mcxt, const char *id, uint32 idlen,
		  TimestampTz first_at, TimestampTz last_at, uint32 purchases)
{
	uint32		ref;
	char	   *rec;

	if (idlen > REC_MAX_ID)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("customer_id of clv() is too long"),
				 errdetail("A customer_id is %u bytes long; at most %u are supported.", idlen, REC_MAX_ID),
				 errhint("Pass a shorter id, such as the CRM's record id.")));
	ref = arena_alloc(a, mcxt, rec_size(idlen));
	rec = arena_ptr(a, ref);
	*(TimestampTz *) (rec + REC_FIRST_OFF) = first_at;
	*(TimestampTz *) (rec + REC_LAST_OFF) = last_at;
	*(uint32 *) (rec + REC_PURCHASES_OFF) = purchases;
	if (idlen < 255)
	{
		rec[REC_LEN_OFF] = (char) idlen;
		memcpy(rec + REC_ID_OFF, id, idlen);
	}
	else
	{
		rec[REC_LEN_OFF] = (char) 255;
		memcpy(rec + REC_ID_OFF, &idlen, sizeof(idlen));
		memcpy(rec + REC_LONG_ID_OFF, id, idlen);
	}
	return ref;
}

/* Iterates the records of an arena in the order they were added. */
typedef struct ArenaIter
{
	const Arena *a;
	int			chunk;
	uint32		off;
} ArenaIter;

static inline void
arena_iter_init(ArenaIter *it, const Arena *a)
{
	it->a = a;
	it->chunk = 0;
	it->off = 8;
}

static inline const char *
arena_iter_next(ArenaIter *it)
{
	const char *rec;
	const char *id;

	while (it->chunk < it->a->nchunks && it->off >= it->a->used[it->chunk])
	{
		it->chunk++;
		it->off = 0;
	}
	if (it->chunk >= it->a->nchunks)
		return NULL;
	rec = it->a->chunks[it->chunk] + it->off;
	it->off += rec_size(rec_id(rec, &id));
	return rec;
}

/* Order of ids: bytes, then length. */
static inline int
id_cmp(const char *a, uint32 alen, const char *b, uint32 blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static inline int
rec_cmp(const char *x, const char *y)
{
	const char *xid;
	const char *yid;
	uint32		xlen = rec_id(x, &xid);
	uint32		ylen = rec_id(y, &yid);

	return id_cmp(xid, xlen, yid, ylen);
}

static pg_noinline void
report_too_many_purchases(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many purchases of one customer in one clv() group"),
			 errdetail("A customer has more than 4294967295 purchases in one group."),
			 errhint("Compute CLV over smaller groups.")));
}

/* ------------------------------------------------------------------------
 * The state.
 * ------------------------------------------------------------------------
 */
typedef struct ClvSlot
{
	uint32		hash;
	uint32		ref;			/* 0: empty */
} ClvSlot;

/* A run: records sorted by id, in an arena of its own. */
typedef struct ClvTextRun
{
	Arena		arena;
} ClvTextRun;

typedef struct ClvTextState
{
	MemoryContext mcxt;
	/* the hash table over the records of `table`, while rows are added */
	Arena		table;
	ClvSlot    *slots;
	uint32		nslots;
	uint32		grow_at;
	uint32		members;
	/* or sorted runs, after deserialize and combine */
	int			nruns;
	ClvTextRun *runs;
	/* the amounts */
	int64		purchases;
	ExactSum	amounts;
} ClvTextState;

#define CLV_MIN_SLOTS	8

static ClvTextState *
clv_text_state_new(MemoryContext mcxt)
{
	ClvTextState *state = MemoryContextAllocZero(mcxt, sizeof(ClvTextState));

	state->mcxt = mcxt;
	return state;
}

static inline uint32
id_hash(const char *id, uint32 len)
{
	return hash_bytes((const unsigned char *) id, (int) len);
}

static void
slots_resize(ClvTextState *state, uint32 nslots)
{
	ClvSlot    *old = state->slots;
	uint32		nold = state->nslots;

	state->slots = MemoryContextAllocExtended(state->mcxt, (Size) nslots * sizeof(ClvSlot),
											  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	state->nslots = nslots;
	state->grow_at = (uint32) ((uint64) nslots * 4 / 5);
	for (uint32 i = 0; i < nold; i++)
	{
		uint32		j;

		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
		if (old[i].ref == 0)
			continue;
		for (j = (uint32) (((uint64) old[i].hash * nslots) >> 32);
			 state->slots[j].ref != 0;
			 j = (j + 1 == nslots) ? 0 : j + 1)
			;
		state->slots[j] = old[i];
	}
	if (old != NULL)
		pfree(old);
}

/* Add one purchase of a customer to the hash table. */
static inline void
clv_text_table_add(ClvTextState *state, const char *id, uint32 len, TimestampTz at)
{
	uint32		hash = id_hash(id, len);
	uint32		i;
	char	   *rec = NULL;

	if (unlikely(state->members >= state->grow_at))
	{
		if (state->nslots >= PG_UINT32_MAX / 3)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many customers in one clv() group"),
					 errdetail("The group has %u distinct customers.", state->members),
					 errhint("Compute CLV over smaller groups.")));
		slots_resize(state, Max(CLV_MIN_SLOTS, state->nslots + state->nslots / 2));
	}

	for (i = (uint32) (((uint64) hash * state->nslots) >> 32);;
		 i = (i + 1 == state->nslots) ? 0 : i + 1)
	{
		ClvSlot    *slot = &state->slots[i];
		const char *rid;

		if (slot->ref == 0)
		{
			slot->hash = hash;
			slot->ref = arena_add(&state->table, state->mcxt, id, len, at, at, 1);
			state->members++;
			return;
		}
		if (slot->hash != hash)
			continue;
		rec = arena_ptr(&state->table, slot->ref);
		if (rec_id(rec, &rid) == len && memcmp(rid, id, len) == 0)
			break;
	}
	if (at < rec_first(rec))
		*(TimestampTz *) (rec + REC_FIRST_OFF) = at;
	if (at > rec_last(rec))
		*(TimestampTz *) (rec + REC_LAST_OFF) = at;
	if (unlikely(rec_purchases(rec) == PG_UINT32_MAX))
		report_too_many_purchases();
	(*(uint32 *) (rec + REC_PURCHASES_OFF))++;
}

/* qsort_arg comparator of record references in an arena. */
static int
ref_cmp(const void *a, const void *b, void *arg)
{
	const Arena *arena = (const Arena *) arg;

	return rec_cmp(arena_ptr(arena, *(const uint32 *) a), arena_ptr(arena, *(const uint32 *) b));
}

/* The hash table's customers as a new sorted run. */
static ClvTextRun
clv_text_table_run(const ClvTextState *state, MemoryContext mcxt)
{
	ClvTextRun	run;
	uint32	   *refs = MemoryContextAllocExtended(CurrentMemoryContext,
												  Max(state->members, 1) * sizeof(uint32),
												  MCXT_ALLOC_HUGE);
	uint32		n = 0;

	for (uint32 i = 0; i < state->nslots; i++)
		if (state->slots[i].ref != 0)
			refs[n++] = state->slots[i].ref;
	qsort_arg(refs, n, sizeof(uint32), ref_cmp, (void *) &state->table);

	memset(&run, 0, sizeof(run));
	for (uint32 i = 0; i < n; i++)
	{
		const char *rec = arena_ptr(&state->table, refs[i]);
		const char *id;
		uint32		len = rec_id(rec, &id);

		arena_add(&run.arena, mcxt, id, len, rec_first(rec), rec_last(rec), rec_purchases(rec));
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(refs);
	return run;
}

/* Merge two sorted runs into a new one (customers met in both add up). */
static ClvTextRun
clv_text_merge_runs(const ClvTextRun *a, const ClvTextRun *b, MemoryContext mcxt)
{
	ClvTextRun	out;
	ArenaIter	ia;
	ArenaIter	ib;
	const char *x;
	const char *y;
	uint64		n = 0;

	memset(&out, 0, sizeof(out));
	arena_iter_init(&ia, &a->arena);
	arena_iter_init(&ib, &b->arena);
	x = arena_iter_next(&ia);
	y = arena_iter_next(&ib);
	while (x != NULL || y != NULL)
	{
		const char *id;
		uint32		len;
		int			c = (x == NULL) ? 1 : (y == NULL) ? -1 : rec_cmp(x, y);

		if ((++n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (c < 0)
		{
			len = rec_id(x, &id);
			arena_add(&out.arena, mcxt, id, len, rec_first(x), rec_last(x), rec_purchases(x));
			x = arena_iter_next(&ia);
		}
		else if (c > 0)
		{
			len = rec_id(y, &id);
			arena_add(&out.arena, mcxt, id, len, rec_first(y), rec_last(y), rec_purchases(y));
			y = arena_iter_next(&ib);
		}
		else
		{
			uint64		p = (uint64) rec_purchases(x) + rec_purchases(y);

			if (p > PG_UINT32_MAX)
				report_too_many_purchases();
			len = rec_id(x, &id);
			arena_add(&out.arena, mcxt, id, len, Min(rec_first(x), rec_first(y)),
					  Max(rec_last(x), rec_last(y)), (uint32) p);
			x = arena_iter_next(&ia);
			y = arena_iter_next(&ib);
		}
	}
	return out;
}

static void
clv_text_make_runs(ClvTextState *state)
{
	if (state->runs == NULL)
		state->runs = MemoryContextAlloc(state->mcxt, CLV_MAX_RUNS * sizeof(ClvTextRun));
}

/* Turn a state this aggregate owns into runs only. */
static void
clv_text_state_to_runs(ClvTextState *state)
{
	clv_text_make_runs(state);
	if (state->slots == NULL)
		return;
	if (state->members > 0)
		state->runs[state->nruns++] = clv_text_table_run(state, state->mcxt);
	pfree(state->slots);
	arena_free(&state->table);
	state->slots = NULL;
	state->nslots = state->members = state->grow_at = 0;
}

/* Push a sorted run; merge runs of similar size as clv.c does. */
static void
clv_text_push_run(ClvTextState *state, ClvTextRun run)
{
	state->runs[state->nruns++] = run;
	while (state->nruns >= CLV_LAZY_RUNS &&
		   (state->runs[state->nruns - 2].arena.records <= 2 * state->runs[state->nruns - 1].arena.records ||
			state->nruns == CLV_MAX_RUNS))
	{
		ClvTextRun	a = state->runs[state->nruns - 2];
		ClvTextRun	b = state->runs[state->nruns - 1];

		state->runs[state->nruns - 2] = clv_text_merge_runs(&a, &b, state->mcxt);
		state->nruns--;
		arena_free(&a.arena);
		arena_free(&b.arena);
	}
}

/* A copy of a run in another context, chunk for chunk. */
static ClvTextRun
clv_text_copy_run(const ClvTextRun *run, MemoryContext mcxt)
{
	ClvTextRun	copy;

	memset(&copy, 0, sizeof(copy));
	copy.arena.nchunks = copy.arena.maxchunks = run->arena.nchunks;
	copy.arena.chunks = MemoryContextAlloc(mcxt, Max(run->arena.nchunks, 1) * sizeof(char *));
	copy.arena.used = MemoryContextAlloc(mcxt, Max(run->arena.nchunks, 1) * sizeof(uint32));
	for (int i = 0; i < run->arena.nchunks; i++)
	{
		/* (as long as the original's, or the copy's last chunk could not grow) */
		copy.arena.chunks[i] = MemoryContextAlloc(mcxt, i == run->arena.nchunks - 1 ? run->arena.last_size
												  : ARENA_CHUNK_SIZE);
		copy.arena.used[i] = run->arena.used[i];
		memcpy(copy.arena.chunks[i], run->arena.chunks[i], run->arena.used[i]);
	}
	copy.arena.last_size = run->arena.last_size;
	copy.arena.records = run->arena.records;
	return copy;
}

/*
 * Calls fn on every distinct customer of a state, in id order when it holds
 * runs (merged on the fly), in table order otherwise.
 */
typedef void (*ClvTextVisitor) (const char *id, uint32 len, TimestampTz first_at,
								TimestampTz last_at, uint64 purchases, void *arg);

static void
clv_text_visit(const ClvTextState *state, ClvTextVisitor fn, void *arg)
{
	ArenaIter	it[CLV_MAX_RUNS];
	const char *cur[CLV_MAX_RUNS];
	uint64		seen = 0;

	for (uint32 i = 0; i < state->nslots; i++)
	{
		if (state->slots[i].ref != 0)
		{
			const char *rec = arena_ptr(&state->table, state->slots[i].ref);
			const char *id;
			uint32		len = rec_id(rec, &id);

			fn(id, len, rec_first(rec), rec_last(rec), rec_purchases(rec), arg);
		}
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	for (int r = 0; r < state->nruns; r++)
	{
		arena_iter_init(&it[r], &state->runs[r].arena);
		cur[r] = arena_iter_next(&it[r]);
	}
	for (;;)
	{
		int			minr = -1;
		bool		in[CLV_MAX_RUNS];
		const char *id;
		uint32		len;
		TimestampTz first_at = 0;
		TimestampTz last_at = 0;
		uint64		purchases = 0;

		for (int r = 0; r < state->nruns; r++)
			if (cur[r] != NULL && (minr < 0 || rec_cmp(cur[r], cur[minr]) < 0))
				minr = r;
		if (minr < 0)
			break;
		for (int r = 0; r < state->nruns; r++)
		{
			const char *rec = cur[r];

			in[r] = rec != NULL && (r == minr || rec_cmp(rec, cur[minr]) == 0);
			if (!in[r])
				continue;
			if (purchases == 0 || rec_first(rec) < first_at)
				first_at = rec_first(rec);
			if (purchases == 0 || rec_last(rec) > last_at)
				last_at = rec_last(rec);
			purchases += rec_purchases(rec);
		}
		len = rec_id(cur[minr], &id);
		fn(id, len, first_at, last_at, purchases, arg);
		for (int r = 0; r < state->nruns; r++)
			if (in[r])
				cur[r] = arena_iter_next(&it[r]);
		if ((++seen & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* ------------------------------------------------------------------------
 * SQL-callable functions.
 * ------------------------------------------------------------------------
 */

/* Transition (internal, customer_id text, amount, purchased_at). */
PG_FUNCTION_INFO_V1(clv_text_trans);
Datum
clv_text_trans(PG_FUNCTION_ARGS)
{
	ClvTextState *state = PG_ARGISNULL(0) ? NULL : (ClvTextState *) PG_GETARG_POINTER(0);
	text	   *id;
	Datum		amount;
	TimestampTz at;

	if (state == NULL)
		state = clv_text_state_new(agg_context_or_error(fcinfo));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(state);

	amount = PG_GETARG_DATUM(2);
	at = PG_GETARG_TIMESTAMPTZ(3);
	check_finite_numeric(amount, "amount");
	check_finite_timestamp(at, "purchased_at");
	if (unlikely(state->nruns > 0))
		elog(ERROR, "clv transition called on a combined state");

	id = PG_GETARG_TEXT_PP(1);
	clv_text_table_add(state, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id), at);
	exact_sum_add(fcinfo, &state->amounts, amount);
	state->purchases++;
	PG_RETURN_POINTER(state);
}

static void
clv_text_state_init(void *state, MemoryContext aggcontext)
{
	((ClvTextState *) state)->mcxt = aggcontext;
}

/* Combine: the second state's customers join the first's as sorted runs. */
PG_FUNCTION_INFO_V1(clv_text_combine);
Datum
clv_text_combine(PG_FUNCTION_ARGS)
{
	ClvTextState *s1;
	ClvTextState *s2;

	if (!combine_open(fcinfo, sizeof(ClvTextState), clv_text_state_init,
					  (void **) &s1, (void **) &s2))
		return combine_passthrough(fcinfo);
	clv_text_state_to_runs(s1);
	if (s2->slots != NULL && s2->members > 0)
		clv_text_push_run(s1, clv_text_table_run(s2, s1->mcxt));
	for (int r = 0; r < s2->nruns; r++)
		if (s2->runs[r].arena.records > 0)
			clv_text_push_run(s1, clv_text_copy_run(&s2->runs[r], s1->mcxt));
	exact_sum_combine(fcinfo, &s1->amounts, &s2->amounts);
	s1->purchases += s2->purchases;
	PG_RETURN_POINTER(s1);
}

/* Writes customers in id order, prefix-compressed, into a growing buffer. */
typedef struct ClvTextWriter
{
	StringInfo	buf;
	char	   *prev;			/* the previous id */
	uint32		prev_len;
	uint32		prev_cap;
	int64		prev_first;
	uint32		n;
} ClvTextWriter;

static void
clv_text_write_one(const char *id, uint32 len, TimestampTz first_at, TimestampTz last_at,
				   uint64 purchases, void *arg)
{
	ClvTextWriter *w = (ClvTextWriter *) arg;
	StringInfo	buf = w->buf;
	uint32		shared = 0;
	char	   *p;

	while (shared < len && shared < w->prev_len && id[shared] == w->prev[shared])
		shared++;
	if ((Size) buf->len + (len - shared) + 6 * VARINT_MAX_BYTES >= MaxAllocSize - 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv() state is too large to pass between processes"),
				 errdetail("The state of one group reached %d bytes after %u customers.", buf->len, w->n),
				 errhint("Compute CLV over smaller groups, or disable parallel query for this query.")));
	enlargeStringInfo(buf, (len - shared) + 6 * VARINT_MAX_BYTES);
	p = buf->data + buf->len;
	p = put_varint(p, shared);
	p = put_varint(p, len - shared);
	memcpy(p, id + shared, len - shared);
	p += len - shared;
	p = put_varint(p, zigzag((int64) ((uint64) first_at - (uint64) w->prev_first)));
	p = put_varint(p, (uint64) last_at - (uint64) first_at);
	p = put_varint(p, purchases - 1);
	buf->len = p - buf->data;

	if (len > w->prev_cap)
	{
		w->prev_cap = Max(len, 2 * w->prev_cap);
		w->prev = repalloc(w->prev, w->prev_cap);
	}
	memcpy(w->prev, id, len);
	w->prev_len = len;
	w->prev_first = first_at;
	w->n++;
}

/*
 * Serialize (codec.c's format): purchase count, customer count, the
 * customers sorted by id (each as the length of the prefix it shares with
 * the previous id, the length of the rest, the rest, the first purchase's
 * difference from the previous one, last minus first purchase, purchases
 * minus 1), then the amount sum.
 */
PG_FUNCTION_INFO_V1(clv_text_serialize);
Datum
clv_text_serialize(PG_FUNCTION_ARGS)
{
	ClvTextState *state;
	StringInfoData buf;
	ClvTextWriter w;
	int			count_at;
	uint32		count;

	agg_context_or_error(fcinfo);
	state = (ClvTextState *) PG_GETARG_POINTER(0);
	memset(&w, 0, sizeof(w));
	w.buf = &buf;
	w.prev_cap = 64;
	w.prev = palloc(w.prev_cap);

	state_write_begin(&buf, STATE_CLV_TEXT);
	state_put_int64(&buf, state->purchases);
	count_at = buf.len;
	state_put_int32(&buf, 0);	/* the customer count, filled in below */
	if (state->nruns == 0)
	{
		ClvTextState sorted;
		ClvTextRun	run = clv_text_table_run(state, CurrentMemoryContext);

		memset(&sorted, 0, sizeof(sorted));
		sorted.nruns = 1;
		sorted.runs = &run;
		clv_text_visit(&sorted, clv_text_write_one, &w);
		arena_free(&run.arena);
	}
	else
		clv_text_visit(state, clv_text_write_one, &w);
	count = pg_hton32(w.n);
	memcpy(buf.data + count_at, &count, sizeof(count));
	exact_sum_write(&buf, &state->amounts);
	PG_RETURN_BYTEA_P(state_write_end(&buf));
}

/* Deserialize into a state of one sorted run, in the current context. */
PG_FUNCTION_INFO_V1(clv_text_deserialize);
Datum
clv_text_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	ClvTextState *state;
	ClvTextRun	run;
	uint32		n;
	uint32		cap = 64;
	char	   *prev = palloc(cap); /* the previous id, and the one being read */
	char	   *cur = palloc(cap);
	uint32		prev_len = 0;
	int64		prev_first = 0;
	uint64		purchases = 0;

	deserialize_call_check(fcinfo);
	state_read_begin(&r, PG_GETARG_BYTEA_PP(0), STATE_CLV_TEXT);
	state = clv_text_state_new(CurrentMemoryContext);
	state->purchases = state_get_int64(&r);
	n = (uint32) state_get_int32(&r);
	/* every customer takes at least 5 bytes */
	if ((Size) n > (Size) (r.end - r.p) / 5)
		report_invalid_state(STATE_CLV_TEXT, "The state lists more customers than it has bytes for.");
	memset(&run, 0, sizeof(run));
	for (uint32 i = 0; i < n; i++)
	{
		uint64		shared = get_varint(&r);
		uint64		rest = get_varint(&r);
		const char *bytes;
		uint32		len;
		TimestampTz first_at;
		uint64		span;
		uint64		more;
		char	   *swap;

		if (shared > prev_len || rest > REC_MAX_ID || shared + rest > REC_MAX_ID)
			report_invalid_state(STATE_CLV_TEXT, "A customer id's lengths are out of range.");
		len = (uint32) (shared + rest);
		bytes = state_get_bytes(&r, rest);
		if (len > cap)
		{
			cap = Max(len, 2 * cap);
			prev = repalloc(prev, cap);
			cur = repalloc(cur, cap);
		}
		memcpy(cur, prev, shared);
		memcpy(cur + shared, bytes, rest);
		first_at = (int64) ((uint64) prev_first + (uint64) unzigzag(get_varint(&r)));
		span = get_varint(&r);
		more = get_varint(&r);
		if ((i > 0 && id_cmp(cur, len, prev, prev_len) <= 0) ||
			TIMESTAMP_NOT_FINITE(first_at) ||
			span >= (uint64) PG_INT64_MAX - (uint64) first_at ||
			more >= PG_UINT32_MAX || more >= (uint64) PG_INT64_MAX - purchases)
			report_invalid_state(STATE_CLV_TEXT, "The customers are out of order or out of range.");
		arena_add(&run.arena, CurrentMemoryContext, cur, len, first_at,
				  (int64) ((uint64) first_at + span), (uint32) more + 1);
		purchases += more + 1;
		swap = prev;
		prev = cur;
		cur = swap;
		prev_len = len;
		prev_first = first_at;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (n > 0)
	{
		clv_text_make_runs(state);
		state->runs[state->nruns++] = run;
	}
	exact_sum_read(&r, &state->amounts);
	state_read_end(&r);
	if ((uint64) state->purchases != purchases ||
		(purchases > 0) != (state->amounts.value != 0))
		report_invalid_state(STATE_CLV_TEXT, "The purchase count does not match the customers.");
	PG_RETURN_POINTER(state);
}

static void
clv_text_sum_one(const char *id, uint32 len, TimestampTz first_at, TimestampTz last_at,
				 uint64 purchases, void *arg)
{
	clv_sums_add((ClvSums *) arg, first_at, last_at, purchases);
}

/* Final: V * F * L, as clv.c computes it; NULL without a counted purchase. */
PG_FUNCTION_INFO_V1(clv_text_final);
Datum
clv_text_final(PG_FUNCTION_ARGS)
{
	ClvTextState *state = PG_ARGISNULL(0) ? NULL : (ClvTextState *) PG_GETARG_POINTER(0);
	ClvSums		sums = {0, 0, 0};
	Datum		total;

	if (state == NULL || state->purchases == 0)
		PG_RETURN_NULL();
	total = exact_sum_total(&state->amounts);
	if (total == 0)
		PG_RETURN_NULL();
	clv_text_visit(state, clv_text_sum_one, &sums);
	PG_RETURN_DATUM(clv_sums_result(&sums, total, state->purchases));
}
