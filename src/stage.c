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
 *	  and raw stage strings already seen are remembered, so the per-row cost
 *	  is a short memcmp, with no catalog access and no allocation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "executor/spi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

/* Raw stage strings remembered per call site, and the longest one cached. */
#define RAW_CACHE_SIZE		64
#define RAW_CACHE_MAXLEN	64

typedef struct RawStage
{
	int			len;
	StageOutcome outcome;
	char	   *bytes;
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
	int			last_hit;
	RawStage	raw[RAW_CACHE_SIZE];
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
	cache->last_hit = -1;

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

/*
 * Classify a stage name.  flinfo->fn_extra holds the per-call-site cache,
 * which lives as long as flinfo (one query).
 */
StageOutcome
stage_classify(FmgrInfo *flinfo, text *stage)
{
	StageCache *cache = (StageCache *) flinfo->fn_extra;
	const char *bytes = VARDATA_ANY(stage);
	int			len = VARSIZE_ANY_EXHDR(stage);
	StageOutcome outcome;
	char		buf[RAW_CACHE_MAXLEN];
	char	   *norm;
	int			nlen;

	if (cache == NULL)
	{
		cache = load_stage_cache(flinfo->fn_mcxt);
		flinfo->fn_extra = cache;
	}

	/* Most rows repeat the previous row's stage; then try the other names. */
	if (cache->last_hit >= 0)
	{
		RawStage   *r = &cache->raw[cache->last_hit];

		if (r->len == len && memcmp(r->bytes, bytes, len) == 0)
			return r->outcome;
	}
	for (int i = 0; i < cache->nraw; i++)
	{
		RawStage   *r = &cache->raw[i];

		if (r->len == len && memcmp(r->bytes, bytes, len) == 0)
		{
			cache->last_hit = i;
			return r->outcome;
		}
	}

	/* Not seen yet: normalise and classify, then remember it if it fits. */
	norm = (len <= RAW_CACHE_MAXLEN) ? buf : palloc(len);
	nlen = normalize_stage(bytes, len, norm);
	outcome = lookup_normalized(cache, norm, nlen);

	if (len <= RAW_CACHE_MAXLEN && cache->nraw < RAW_CACHE_SIZE)
	{
		RawStage   *r = &cache->raw[cache->nraw];

		r->bytes = MemoryContextAlloc(flinfo->fn_mcxt, Max(len, 1));
		memcpy(r->bytes, bytes, len);
		r->len = len;
		r->outcome = outcome;
		cache->last_hit = cache->nraw++;
	}
	else if (norm != buf)
		pfree(norm);

	return outcome;
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
	switch (stage_classify(fcinfo->flinfo, PG_GETARG_TEXT_PP(0)))
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
	switch (outcome)
	{
		case OUTCOME_WON:
			state->won += n;
			break;
		case OUTCOME_LOST:
			state->lost += n;
			break;
		default:
			state->open += n;
			break;
	}
}

/* Transition (internal, stage text): count the row's outcome; NULL is skipped. */
PG_FUNCTION_INFO_V1(outcome_count_trans);
Datum
outcome_count_trans(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = outcome_state_get(fcinfo);

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, stage_classify(fcinfo->flinfo, PG_GETARG_TEXT_PP(1)), 1);
	PG_RETURN_POINTER(state);
}

/* Inverse transition (internal, stage text): un-count the row. */
PG_FUNCTION_INFO_V1(outcome_count_inv);
Datum
outcome_count_inv(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state = outcome_state_get(fcinfo);

	if (!PG_ARGISNULL(1))
		outcome_state_add(state, stage_classify(fcinfo->flinfo, PG_GETARG_TEXT_PP(1)), -1);
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

	s1->won += s2->won;
	s1->lost += s2->lost;
	s1->open += s2->open;
	PG_RETURN_POINTER(s1);
}

/* Serialize: three int64 in network byte order. */
PG_FUNCTION_INFO_V1(outcome_count_serialize);
Datum
outcome_count_serialize(PG_FUNCTION_ARGS)
{
	OutcomeCountState *state;
	StringInfoData buf;

	agg_context_or_error(fcinfo, "outcome_count_serialize");
	state = (OutcomeCountState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->won);
	pq_sendint64(&buf, state->lost);
	pq_sendint64(&buf, state->open);
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
	state->won = pq_getmsgint64(&buf);
	state->lost = pq_getmsgint64(&buf);
	state->open = pq_getmsgint64(&buf);
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

	if (state == NULL || state->won + state->lost == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->won / (double) (state->won + state->lost));
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
	total = state->won + state->lost + state->open;
	if (total == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->won / (double) total);
}
