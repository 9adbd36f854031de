/*-------------------------------------------------------------------------
 *
 * stage.c
 *	  Stage outcome and the rates built on it: stage_normalize(),
 *	  stage_outcome(), win_rate() and conversion_rate() (text and boolean
 *	  forms).
 *
 *	  A stage name is normalised by ASCII lower-casing it and dropping white
 *	  space, underscores and hyphens.  Its outcome comes from the catalog
 *	  sales_kpi.stages when a catalog row normalises to the same name, and
 *	  otherwise from the built-in names (won / closedwon, lost / closedlost).
 *	  The catalog is read once per query and call site (cached in fn_extra),
 *	  and raw stage strings already seen are remembered in a small hash
 *	  table, so a row costs a hash and a comparison, with no catalog access
 *	  and no allocation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "executor/spi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/*
 * Raw stage strings already classified, per call site: an open-addressing
 * table of RAW_CACHE_SLOTS 64-byte entries (a power of two) holding at most
 * RAW_CACHE_MAX strings of up to RAW_CACHE_MAXLEN bytes, keyed by length and
 * first and last eight bytes, with the bytes inline so that a hit reads one
 * entry.  Longer strings, and strings beyond the first RAW_CACHE_MAX, are
 * normalised on every row (still correct, just slower).
 */
#define RAW_CACHE_SLOTS		256
#define RAW_CACHE_MAX		192
#define RAW_CACHE_MAXLEN	40
/* Names up to this long are normalised on the stack: no allocation per row. */
#define NORM_BUF_LEN		256

typedef struct RawStage
{
	uint64		a;				/* the string's key words (raw_key()) */
	uint64		b;
	int32		len;			/* -1: empty slot */
	int32		outcome;		/* a StageOutcome */
	char		bytes[RAW_CACHE_MAXLEN];
} RawStage;

typedef struct CatalogStage
{
	int			len;
	StageOutcome outcome;
	char	   *name;			/* normalised */
} CatalogStage;

typedef struct StageCache
{
	int			ncatalog;
	CatalogStage *catalog;
	int			nraw;
	RawStage	raw[RAW_CACHE_SLOTS];
} StageCache;

/*
 * Write the normalised form of src[0..len) to dst (at least len bytes) and
 * return its length.
 */
static int
normalize_stage(const char *src, int len, char *dst)
{
	int			n = 0;

	for (int i = 0; i < len; i++)
	{
		char		c = src[i];

		if (c == ' ' || c == '_' || c == '-' || c == '\t' ||
			c == '\n' || c == '\r' || c == '\f' || c == '\v')
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		dst[n++] = c;
	}
	return n;
}

/* Outcome of a normalised name that is not in the catalog. */
static StageOutcome
builtin_outcome(const char *norm, int len)
{
	if ((len == 3 && memcmp(norm, "won", 3) == 0) ||
		(len == 9 && memcmp(norm, "closedwon", 9) == 0))
		return OUTCOME_WON;
	if ((len == 4 && memcmp(norm, "lost", 4) == 0) ||
		(len == 10 && memcmp(norm, "closedlost", 10) == 0))
		return OUTCOME_LOST;
	return OUTCOME_OPEN;
}

/*
 * Read sales_kpi.stages into a new cache allocated in mcxt.
 */
static StageCache *
load_stage_cache(MemoryContext mcxt)
{
	StageCache *cache;
	int			ret;

	cache = MemoryContextAllocZero(mcxt, sizeof(StageCache));
	for (int i = 0; i < RAW_CACHE_SLOTS; i++)
		cache->raw[i].len = -1;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");	/* cannot happen */

	ret = SPI_execute("SELECT name, is_closed, is_won FROM sales_kpi.stages",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "unexpected result %d reading sales_kpi.stages", ret);

	cache->ncatalog = (int) SPI_processed;
	cache->catalog = MemoryContextAllocZero(mcxt,
											sizeof(CatalogStage) * Max(cache->ncatalog, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		text	   *name;
		bool		is_closed;
		bool		is_won;
		CatalogStage *cs = &cache->catalog[i];

		d = SPI_getbinval(tup, desc, 1, &isnull);
		name = DatumGetTextPP(d);
		is_closed = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)) && !isnull;
		is_won = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)) && !isnull;

		cs->name = MemoryContextAlloc(mcxt, VARSIZE_ANY_EXHDR(name) + 1);
		cs->len = normalize_stage(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name),
								  cs->name);
		cs->outcome = is_won ? OUTCOME_WON :
			(is_closed ? OUTCOME_LOST : OUTCOME_OPEN);
	}

	SPI_finish();
	return cache;
}

/* Outcome of a normalised name: the catalog first, then the built-in names. */
static StageOutcome
lookup_normalized(StageCache *cache, const char *norm, int len)
{
	for (int i = 0; i < cache->ncatalog; i++)
	{
		if (cache->catalog[i].len == len &&
			memcmp(cache->catalog[i].name, norm, len) == 0)
			return cache->catalog[i].outcome;
	}
	return builtin_outcome(norm, len);
}

static inline uint64
load_u64(const char *p)
{
	uint64		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32
load_u32(const char *p)
{
	uint32		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The key words of a raw stage string: with its length they determine a
 * string of up to 16 bytes exactly (its first and last eight bytes, or all
 * of a shorter one); longer strings also compare their middle bytes.
 */
static inline void
raw_key(const char *s, int len, uint64 *a, uint64 *b)
{
	if (len >= 8)
	{
		*a = load_u64(s);
		*b = load_u64(s + len - 8);
	}
	else
	{
		*a = (len >= 4) ? load_u32(s) | ((uint64) load_u32(s + len - 4) << 32)
			: (len > 0) ? (uint8) s[0] | ((uint8) s[len / 2] << 8) | ((uint8) s[len - 1] << 16)
			: 0;
		*b = 0;
	}
}

/* The slot where a raw string's probe starts. */
static inline uint32
raw_hash(uint64 a, uint64 b, int len)
{
	return (uint32) (((a ^ ((b << 29) | (b >> 35)) ^ (uint64) len) * UINT64CONST(0x9E3779B97F4A7C15)) >> 56);
}

/*
 * A raw string not in the table (slot is where it would go): normalise and
 * classify it, and remember it if there is room.
 */
static pg_noinline StageOutcome
classify_miss(StageCache *cache, RawStage *slot, const char *bytes, int len,
			  uint64 a, uint64 b)
{
	char		buf[NORM_BUF_LEN];
	char	   *norm = (len <= NORM_BUF_LEN) ? buf : palloc(len);
	StageOutcome outcome = lookup_normalized(cache, norm, normalize_stage(bytes, len, norm));

	if (len <= RAW_CACHE_MAXLEN && cache->nraw < RAW_CACHE_MAX)
	{
		memcpy(slot->bytes, bytes, len);
		slot->a = a;
		slot->b = b;
		slot->len = len;
		slot->outcome = (int32) outcome;
		cache->nraw++;
	}
	else if (norm != buf)
		pfree(norm);
	return outcome;
}

/*
 * Classify a stage name (a text datum).  flinfo->fn_extra holds the
 * per-call-site cache, which lives as long as flinfo (one query): a row whose
 * raw string was seen before costs a hash, one probe and a comparison.
 * Inlined into the counting transition functions; stage_classify() is the
 * same for the other files.
 */
static pg_attribute_always_inline StageOutcome
classify(FmgrInfo *flinfo, Datum stage)
{
	StageCache *cache = (StageCache *) flinfo->fn_extra;
	struct varlena *v = (struct varlena *) DatumGetPointer(stage);
	const char *bytes;
	int			len;
	uint64		a;
	uint64		b;
	uint32		i;

	if (unlikely(VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)))
		v = pg_detoast_datum_packed(v);
	bytes = VARDATA_ANY(v);
	len = VARSIZE_ANY_EXHDR(v);

	if (unlikely(cache == NULL))
	{
		cache = load_stage_cache(flinfo->fn_mcxt);
		flinfo->fn_extra = cache;
	}

	raw_key(bytes, len, &a, &b);
	for (i = raw_hash(a, b, len);; i++)
	{
		RawStage   *r = &cache->raw[i & (RAW_CACHE_SLOTS - 1)];

		if (r->a == a && r->b == b && r->len == len &&
			(len <= 16 || memcmp(r->bytes + 8, bytes + 8, len - 16) == 0))
			return (StageOutcome) r->outcome;
		if (r->len < 0)
			return classify_miss(cache, r, bytes, len, a, b);
	}
}

StageOutcome
stage_classify(FmgrInfo *flinfo, Datum stage)
{
	return classify(flinfo, stage);
}

/*
 * stage_normalize(stage text) -> text: the normalised stage name (lower case,
 * without white space, underscores and hyphens).
 */
PG_FUNCTION_INFO_V1(stage_normalize);
Datum
stage_normalize(PG_FUNCTION_ARGS)
{
	text	   *stage = PG_GETARG_TEXT_PP(0);
	int			len = VARSIZE_ANY_EXHDR(stage);
	text	   *result = (text *) palloc(VARHDRSZ + len);
	int			nlen;

	nlen = normalize_stage(VARDATA_ANY(stage), len, VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + nlen);
	PG_RETURN_TEXT_P(result);
}

/*
 * stage_outcome(stage text) -> text: 'won', 'lost' or 'open'.
 */
PG_FUNCTION_INFO_V1(stage_outcome);
Datum
stage_outcome(PG_FUNCTION_ARGS)
{
	switch (stage_classify(fcinfo->flinfo, PG_GETARG_DATUM(0)))
	{
		case OUTCOME_WON:
			PG_RETURN_TEXT_P(cstring_to_text("won"));
		case OUTCOME_LOST:
			PG_RETURN_TEXT_P(cstring_to_text("lost"));
		default:
			PG_RETURN_TEXT_P(cstring_to_text("open"));
	}
}

/* ------------------------------------------------------------------------
 * The outcome-count state: win_rate and conversion_rate.
 * ------------------------------------------------------------------------
 */

static OutcomeCountState *
outcome_state_new(MemoryContext aggcontext)
{
	return (OutcomeCountState *) MemoryContextAllocZero(aggcontext,
														sizeof(OutcomeCountState));
}

/*
 * Fetch the state, creating it in the aggregate context on the first row
 * (the only time the call context needs checking: a state pointer can only
 * come from an aggregate).
 */
static inline OutcomeCountState *
outcome_state_get(FunctionCallInfo fcinfo)
{
	if (likely(!PG_ARGISNULL(0)))
		return (OutcomeCountState *) PG_GETARG_POINTER(0);
	return outcome_state_new(agg_context_or_error(fcinfo, "outcome_count_trans"));
}

static inline void
outcome_state_add(OutcomeCountState *state, StageOutcome outcome, int64 n)
{
	state->n[outcome] += n;
}

/* Transition (internal, stage text): count the row's outcome; NULL is skipped. */
PG_FUNCTION_INFO_V1(outcome_count_trans);
Datum
outcome_count_trans(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = outcome_state_get(fcinfo);

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, classify(fcinfo->flinfo, PG_GETARG_DATUM(1)), 1);
	PG_RETURN_POINTER(state);
}

/* Inverse transition (internal, stage text): un-count the row. */
PG_FUNCTION_INFO_V1(outcome_count_inv);
Datum
outcome_count_inv(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = outcome_state_get(fcinfo);

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, classify(fcinfo->flinfo, PG_GETARG_DATUM(1)), -1);
	PG_RETURN_POINTER(state);
}

/* Transition (internal, won boolean): true is won, false lost, NULL skipped. */
PG_FUNCTION_INFO_V1(outcome_count_bool_trans);
Datum
outcome_count_bool_trans(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = outcome_state_get(fcinfo);

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, PG_GETARG_BOOL(1) ? OUTCOME_WON : OUTCOME_LOST, 1);
	PG_RETURN_POINTER(state);
}

/* Inverse transition (internal, won boolean). */
PG_FUNCTION_INFO_V1(outcome_count_bool_inv);
Datum
outcome_count_bool_inv(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = outcome_state_get(fcinfo);

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, PG_GETARG_BOOL(1) ? OUTCOME_WON : OUTCOME_LOST, -1);
	PG_RETURN_POINTER(state);
}

/* Combine two partial counts into a state owned by the aggregate context. */
PG_FUNCTION_INFO_V1(outcome_count_combine);
Datum
outcome_count_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo, "outcome_count_combine");
	OutcomeCountState *s1 = PG_ARGISNULL(0) ? NULL : (OutcomeCountState *) PG_GETARG_POINTER(0);
	OutcomeCountState *s2 = PG_ARGISNULL(1) ? NULL : (OutcomeCountState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = outcome_state_new(aggcontext);

	N_WON(s1) += N_WON(s2);
	N_LOST(s1) += N_LOST(s2);
	N_OPEN(s1) += N_OPEN(s2);
	PG_RETURN_POINTER(s1);
}

/* Serialize: the won, lost and open counts as int64 in network byte order. */
PG_FUNCTION_INFO_V1(outcome_count_serialize);
Datum
outcome_count_serialize(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state;
	StringInfoData buf;

	agg_context_or_error(fcinfo, "outcome_count_serialize");
	state = (OutcomeCountState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint64(&buf, N_WON(state));
	pq_sendint64(&buf, N_LOST(state));
	pq_sendint64(&buf, N_OPEN(state));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Deserialize into a new state in the current memory context. */
PG_FUNCTION_INFO_V1(outcome_count_deserialize);
Datum
outcome_count_deserialize(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state;
	StringInfoData buf;

	state_buffer_open(fcinfo, &buf, "outcome_count_deserialize");

	state = (OutcomeCountState *) palloc(sizeof(OutcomeCountState));
	N_WON(state) = pq_getmsgint64(&buf);
	N_LOST(state) = pq_getmsgint64(&buf);
	N_OPEN(state) = pq_getmsgint64(&buf);
	pq_getmsgend(&buf);
	pfree(buf.data);

	PG_RETURN_POINTER(state);
}

/* win_rate final: won / (won + lost); NULL without a closed row. */
PG_FUNCTION_INFO_V1(win_rate_final);
Datum
win_rate_final(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = PG_ARGISNULL(0) ? NULL : (OutcomeCountState *) PG_GETARG_POINTER(0);

	if (state == NULL || N_WON(state) + N_LOST(state) == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) N_WON(state) / (double) (N_WON(state) + N_LOST(state)));
}

/* conversion_rate final: won / all counted rows; NULL without a row. */
PG_FUNCTION_INFO_V1(conversion_rate_final);
Datum
conversion_rate_final(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = PG_ARGISNULL(0) ? NULL : (OutcomeCountState *) PG_GETARG_POINTER(0);
	int64		total;

	if (state == NULL)
		PG_RETURN_NULL();
	total = N_WON(state) + N_LOST(state) + N_OPEN(state);
	if (total == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) N_WON(state) / (double) total);
}
