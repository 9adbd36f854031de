/*-------------------------------------------------------------------------
 *
 * stage_catalog.c
 *	  The stage catalog: stage name normalisation (stage_normalize()), the
 *	  per-call-site cache of sales_kpi.stages and of the raw strings already
 *	  classified, its invalidation, and stage_outcome().
 *
 *	  Normalising a name drops white space, underscores and hyphens, then
 *	  folds case as lower() does in the database: with the database's
 *	  default collation (its LC_CTYPE, or its ICU locale), so that GAGNÉ and
 *	  Gagné are one stage.  In a UTF-8 database the Unicode forms of those
 *	  separators are dropped too: every White_Space character (the no-break
 *	  space U+00A0 of CRM exports among them), the dash punctuation (Pd: en
 *	  and em dashes, ...) and connector punctuation (Pc: the fullwidth low
 *	  line, ...), the soft hyphen U+00AD, the minus sign U+2212, and the
 *	  invisible U+200B, U+2060 and U+FEFF.  Both depend only on the database
 *	  (its encoding and default collation cannot change), which is what
 *	  makes stage_normalize() IMMUTABLE, as citext's case folding is; like
 *	  any index over lower(), the catalog's unique index over
 *	  stage_normalize(name) needs a REINDEX if the operating system's or
 *	  ICU's case mappings change under the database.
 *
 *	  The catalog is keyed by pipeline and stage: a row with a NULL pipeline
 *	  holds for every pipeline.  A stage of a given pipeline takes its outcome
 *	  from that pipeline's row of the same (normalised) name, else from the
 *	  row for every pipeline, else from the built-in names (won / closedwon,
 *	  lost / closedlost).  A stage named without its pipeline takes the
 *	  outcome of the catalog rows of that name when they agree, and is an
 *	  error when they do not (ambiguous), rather than a guess; with no such
 *	  row, the built-in names decide.  Each call site caches the catalog and
 *	  the outcome of every raw key it has classified (a stage name, or a
 *	  pipeline id, a zero byte and a stage name), so a row costs a hash and
 *	  a comparison with no catalog access and no allocation.
 *
 *	  Invalidation, as pg_cron does it: a statement trigger on the catalog
 *	  sends a relcache invalidation of sales_kpi.stages; a relcache callback
 *	  moves stage_catalog_generation on; a cache older than the generation
 *	  is reloaded.  In the changing transaction the invalidation is
 *	  processed at the next command (so the next statement, or the next
 *	  statement of a PL/pgSQL function, sees the change); other sessions
 *	  process it when they next read invalidations, which stage_outcome()
 *	  makes sure of at the start of each statement, so that its cache in a
 *	  PL/pgSQL expression (which lives as long as the transaction) never
 *	  outlives a committed change read by the statement's snapshot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "stage_catalog.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* Names up to this long are normalised on the stack: no allocation per row. */
#define NORM_BUF_LEN		256

uint64		stage_catalog_generation = 1;

/* The catalog table's OID, once a cache has been loaded. */
static Oid	stage_catalog_relid = InvalidOid;

/* Whether lower() folds ASCII letters as ASCII does (not in a Turkish locale). */
static int	ascii_fold_exact = -1;

/* ------------------------------------------------------------------------
 * Normalisation.
 * ------------------------------------------------------------------------
 */

static inline bool
is_ascii_separator(unsigned char c)
{
	return c == ' ' || c == '_' || c == '-' || c == '\t' ||
		c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The non-ASCII code points normalisation drops in a UTF-8 database: Unicode
 * White_Space, Dash_Punctuation (Pd) and Connector_Punctuation (Pc), the
 * soft hyphen, the minus sign, and three invisible formatting characters.
 */
static bool
is_unicode_separator(pg_wchar c)
{
	if (c >= 0x2000 && c <= 0x200B)		/* en quad ... zero width space */
		return true;
	if (c >= 0x2010 && c <= 0x2015)		/* hyphen ... horizontal bar */
		return true;
	switch (c)
	{
		case 0x0085:			/* next line */
		case 0x00A0:			/* no-break space */
		case 0x00AD:			/* soft hyphen */
		case 0x058A:
		case 0x05BE:
		case 0x1400:
		case 0x1680:
		case 0x1806:
		case 0x2028:			/* line separator */
		case 0x2029:			/* paragraph separator */
		case 0x202F:			/* narrow no-break space */
		case 0x203F:			/* undertie */
		case 0x2040:
		case 0x2054:
		case 0x205F:			/* medium mathematical space */
		case 0x2060:			/* word joiner */
		case 0x2212:			/* minus sign */
		case 0x2E17:
		case 0x2E1A:
		case 0x2E3A:
		case 0x2E3B:
		case 0x2E40:
		case 0x2E5D:
		case 0x3000:			/* ideographic space */
		case 0x301C:
		case 0x3030:
		case 0x30A0:
		case 0xFE31:
		case 0xFE32:
		case 0xFE33:
		case 0xFE34:
		case 0xFE4D:
		case 0xFE4E:
		case 0xFE4F:
		case 0xFE58:
		case 0xFE63:
		case 0xFEFF:			/* zero width no-break space (BOM) */
		case 0xFF0D:			/* fullwidth hyphen-minus */
		case 0xFF3F:			/* fullwidth low line */
		case 0x10EAD:
			return true;
	}
	return false;
}

static bool
ascii_case_fold_is_exact(void)
{
	if (ascii_fold_exact < 0)
	{
		static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
		char	   *folded = str_tolower(letters, strlen(letters), DEFAULT_COLLATION_OID);

		ascii_fold_exact =
			strcmp(folded, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz") == 0;
		pfree(folded);
	}
	return ascii_fold_exact == 1;
}

/*
 * The normalised form of src[0..len), and its length in *outlen.  An ASCII
 * name (where lower() folds ASCII as ASCII does) is written to buf when it
 * has room for len bytes, with no allocation; otherwise the result is
 * palloc'd.
 */
static char *
normalize_stage(const char *src, int len, char *buf, int buflen, int *outlen)
{
	bool		ascii = true;
	char	   *kept;
	char	   *folded;
	int			n = 0;

	for (int i = 0; i < len; i++)
		if (unlikely((unsigned char) src[i] >= 0x80))
		{
			ascii = false;
			break;
		}

	if (ascii && ascii_case_fold_is_exact())
	{
		char	   *dst = (len <= buflen) ? buf : palloc(Max(len, 1));

		for (int i = 0; i < len; i++)
		{
			char		c = src[i];

			if (is_ascii_separator((unsigned char) c))
				continue;
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			dst[n++] = c;
		}
		*outlen = n;
		return dst;
	}

	/* Drop the separators, then fold case with the database's collation. */
	kept = palloc(len + 1);
	for (int i = 0; i < len;)
	{
		unsigned char c = (unsigned char) src[i];
		int			l;

		if (c < 0x80)
		{
			if (!is_ascii_separator(c))
				kept[n++] = (char) c;
			i++;
			continue;
		}
		l = Min(pg_mblen(src + i), len - i);
		if (!(GetDatabaseEncoding() == PG_UTF8 &&
			  is_unicode_separator(utf8_to_unicode((const unsigned char *) src + i))))
		{
			memcpy(kept + n, src + i, l);
			n += l;
		}
		i += l;
	}
	folded = (n > 0) ? str_tolower(kept, n, DEFAULT_COLLATION_OID) : pstrdup("");
	pfree(kept);
	*outlen = strlen(folded);
	return folded;
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

/* ------------------------------------------------------------------------
 * The cache and its invalidation.
 * ------------------------------------------------------------------------
 */

/*
 * Relcache callback: a change to sales_kpi.stages (or a reset of every
 * relcache entry) makes every cache stale.  Until a cache has been loaded
 * the table's OID is unknown, and any invalidation counts; there is no cache
 * to throw away then.
 */
static void
stage_catalog_invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == stage_catalog_relid ||
		stage_catalog_relid == InvalidOid)
		stage_catalog_generation++;
}

/* Register the callback; once per backend, from _PG_init. */
void
stage_catalog_watch(void)
{
	CacheRegisterRelcacheCallback(stage_catalog_invalidate, (Datum) 0);
}

/*
 * (Re)load the call site's cache from sales_kpi.stages, as the current
 * snapshot sees it.  The cache lives in the FmgrInfo's memory context.
 */
StageCache *
stage_cache_load(FmgrInfo *flinfo)
{
	CallSite   *site = call_site(flinfo);
	StageCache *cache = site->stages;
	MemoryContext mcxt = flinfo->fn_mcxt;
	uint64		generation = stage_catalog_generation;
	int			ret;

	if (cache == NULL)
		cache = MemoryContextAlloc(mcxt, sizeof(StageCache));
	else if (cache->catalog != NULL)
	{
		for (int i = 0; i < cache->ncatalog; i++)
		{
			pfree(cache->catalog[i].name);
			if (cache->catalog[i].pipeline_len >= 0)
				pfree(cache->catalog[i].pipeline);
		}
		pfree(cache->catalog);
	}
	memset(cache, 0, offsetof(StageCache, raw));
	for (int i = 0; i < RAW_CACHE_SLOTS; i++)
	{
		cache->raw[i].a = cache->raw[i].b = 0;
		cache->raw[i].len = -1;
	}
	site->stages = cache;

	stage_catalog_relid = get_relname_relid("stages", get_namespace_oid("sales_kpi", false));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT name, is_closed, is_won, pipeline FROM sales_kpi.stages", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "unexpected SPI result %d reading sales_kpi.stages", ret);

	cache->ncatalog = (int) SPI_processed;
	cache->catalog = MemoryContextAllocZero(mcxt,
											sizeof(CatalogStage) * Max(cache->ncatalog, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		text	   *name = DatumGetTextPP(SPI_getbinval(tup, desc, 1, &isnull));
		bool		is_closed = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)) && !isnull;
		bool		is_won = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)) && !isnull;
		Datum		pipeline = SPI_getbinval(tup, desc, 4, &isnull);
		CatalogStage *cs = &cache->catalog[i];
		char		buf[NORM_BUF_LEN];
		int			len;
		char	   *norm = normalize_stage(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name),
										   buf, sizeof(buf), &len);

		cs->name = MemoryContextAlloc(mcxt, Max(len, 1));
		memcpy(cs->name, norm, len);
		cs->len = len;
		cs->outcome = is_won ? OUTCOME_WON : (is_closed ? OUTCOME_LOST : OUTCOME_OPEN);
		cs->pipeline_len = -1;
		if (!isnull)
		{
			text	   *p = DatumGetTextPP(pipeline);

			cs->pipeline_len = VARSIZE_ANY_EXHDR(p);
			cs->pipeline = MemoryContextAlloc(mcxt, Max(cs->pipeline_len, 1));
			memcpy(cs->pipeline, VARDATA_ANY(p), cs->pipeline_len);
		}
	}
	SPI_finish();

	/* a change made while loading leaves the cache stale: load again then */
	cache->generation = generation;
	return cache;
}

static const char *
outcome_name(StageOutcome outcome)
{
	return outcome == OUTCOME_WON ? "won" : outcome == OUTCOME_LOST ? "lost" : "open";
}

static char *
catalog_pipeline_text(const CatalogStage *cs)
{
	return cs->pipeline_len < 0 ? pstrdup("every pipeline")
		: psprintf("pipeline \"%.*s\"", cs->pipeline_len, cs->pipeline);
}

/*
 * Outcome of a normalised name in a pipeline (pipeline NULL: in any
 * pipeline).  raw is the stage as written, for the error of an ambiguous
 * name.
 */
static StageOutcome
lookup_normalized(StageCache *cache, const char *pipeline, int plen,
				  const char *norm, int len, const char *raw, int rawlen)
{
	const CatalogStage *any_pipeline = NULL;
	const CatalogStage *first = NULL;

	for (int i = 0; i < cache->ncatalog; i++)
	{
		const CatalogStage *cs = &cache->catalog[i];

		if (cs->len != len || memcmp(cs->name, norm, len) != 0)
			continue;
		if (pipeline != NULL)
		{
			if (cs->pipeline_len == plen && memcmp(cs->pipeline, pipeline, plen) == 0)
				return cs->outcome;
			if (cs->pipeline_len < 0)
				any_pipeline = cs;
			continue;
		}
		if (first == NULL)
			first = cs;
		else if (cs->outcome != first->outcome)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%.*s\" is ambiguous without its pipeline", rawlen, raw),
					 errdetail("The stage catalog lists it as %s in %s and as %s in %s.",
							   outcome_name(first->outcome), catalog_pipeline_text(first),
							   outcome_name(cs->outcome), catalog_pipeline_text(cs)),
					 errhint("Classify it with its pipeline: stage_outcome(pipeline, stage), win_rate(pipeline, stage), conversion_rate(pipeline, stage) or pipeline_velocity(pipeline, stage, ...).")));
	}
	if (any_pipeline != NULL)
		return any_pipeline->outcome;
	if (first != NULL)
		return first->outcome;
	return builtin_outcome(norm, len);
}

/* Classify a raw key (a stage, or a pipeline, a zero byte and a stage). */
static StageOutcome
classify_raw_key(StageCache *cache, const char *bytes, int len)
{
	const char *zero = memchr(bytes, '\0', len);
	const char *pipeline = NULL;
	int			plen = 0;
	const char *stage = bytes;
	int			slen = len;
	char		buf[NORM_BUF_LEN];
	int			nlen;
	char	   *norm;
	StageOutcome outcome;

	if (zero != NULL)
	{
		pipeline = bytes;
		plen = zero - bytes;
		stage = zero + 1;
		slen = len - plen - 1;
	}
	norm = normalize_stage(stage, slen, buf, sizeof(buf), &nlen);
	outcome = lookup_normalized(cache, pipeline, plen, norm, nlen, stage, slen);
	if (norm != buf)
		pfree(norm);
	return outcome;
}

/*
 * A raw key not in the table (slot is where it would go): classify it, and
 * remember it if there is room.
 */
pg_noinline StageOutcome
stage_classify_miss(StageCache *cache, RawStage *slot, const char *bytes, int len,
					uint64 a, uint64 b)
{
	StageOutcome outcome = classify_raw_key(cache, bytes, len);

	if (len <= RAW_CACHE_MAXLEN && cache->nraw < RAW_CACHE_MAX)
	{
		memcpy(slot->bytes, bytes, len);
		slot->a = a;
		slot->b = b;
		slot->len = len;
		slot->outcome = (int32) outcome;
		cache->nraw++;
	}
	return outcome;
}

/* A pipeline and stage too long for a key on the stack (never cached). */
StageOutcome
stage_classify_long_pair(FmgrInfo *flinfo, const char *pipeline, int plen,
						 const char *stage, int slen)
{
	StageCache *cache = call_site(flinfo)->stages;
	char	   *key = palloc(plen + 1 + slen);
	StageOutcome outcome;

	if (cache == NULL || cache->generation != stage_catalog_generation)
		cache = stage_cache_load(flinfo);
	memcpy(key, pipeline, plen);
	key[plen] = '\0';
	memcpy(key + plen + 1, stage, slen);
	outcome = classify_raw_key(cache, key, plen + 1 + slen);
	pfree(key);
	return outcome;
}

/* The classifier for the other files (rates.c inlines it). */
StageOutcome
stage_classify(FmgrInfo *flinfo, Datum stage)
{
	return stage_classify_inline(flinfo, stage);
}

/* ------------------------------------------------------------------------
 * SQL-callable functions.
 * ------------------------------------------------------------------------
 */

/*
 * stage_normalize(stage text) -> text: the name without white space,
 * underscores and hyphens (and their Unicode forms), case folded as lower().
 */
PG_FUNCTION_INFO_V1(stage_normalize);
Datum
stage_normalize(PG_FUNCTION_ARGS)
{
	text	   *stage = PG_GETARG_TEXT_PP(0);
	char		buf[NORM_BUF_LEN];
	int			len;
	char	   *norm = normalize_stage(VARDATA_ANY(stage), VARSIZE_ANY_EXHDR(stage),
									   buf, sizeof(buf), &len);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(norm, len));
}

static Datum
outcome_text(StageOutcome outcome)
{
	return PointerGetDatum(cstring_to_text(outcome_name(outcome)));
}

/*
 * The call site of stage_outcome() can outlive a statement (a PL/pgSQL
 * expression keeps it for the transaction): once per statement it reads the
 * invalidations other sessions have sent, so a catalog change they committed
 * is seen by the next statement that can see it.
 */
static void
revalidate_per_statement(FmgrInfo *flinfo)
{
	CallSite   *site = call_site(flinfo);
	TimestampTz statement = GetCurrentStatementStartTimestamp();

	if (site->stages != NULL && site->stages->statement != statement)
	{
		AcceptInvalidationMessages();
		site->stages->statement = statement;
	}
}

/* stage_outcome(stage text) -> text: 'won', 'lost' or 'open'. */
PG_FUNCTION_INFO_V1(stage_outcome);
Datum
stage_outcome(PG_FUNCTION_ARGS)
{
	revalidate_per_statement(fcinfo->flinfo);
	PG_RETURN_DATUM(outcome_text(stage_classify_inline(fcinfo->flinfo, PG_GETARG_DATUM(0))));
}

/*
 * stage_outcome(pipeline text, stage text) -> text: the outcome of a stage of
 * a pipeline; a NULL pipeline classifies the stage whatever its pipeline,
 * a NULL stage gives NULL.
 */
PG_FUNCTION_INFO_V1(stage_outcome_pipeline);
Datum
stage_outcome_pipeline(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	revalidate_per_statement(fcinfo->flinfo);
	PG_RETURN_DATUM(outcome_text(stage_classify_pair_inline(fcinfo->flinfo, PG_ARGISNULL(0),
															 PG_GETARG_DATUM(0), PG_GETARG_DATUM(1))));
}

/*
 * Trigger on sales_kpi.stages (AFTER ... FOR EACH STATEMENT): every cached
 * copy of the catalog, in this session and in the others, is stale.
 */
PG_FUNCTION_INFO_V1(stage_catalog_changed);
Datum
stage_catalog_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("sales_kpi.stage_catalog_changed() must be called as a trigger")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
