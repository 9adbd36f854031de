/*-------------------------------------------------------------------------
 *
 * stage_catalog.h
 *	  The stage classifier, inlined into the counting transition functions
 *	  (rates.c): a per-call-site cache of the raw stage strings already
 *	  classified, valid while the stage catalog's generation has not moved.
 *	  The rest of the catalog (normalisation, loading, invalidation) is in
 *	  stage_catalog.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef STAGE_CATALOG_H
#define STAGE_CATALOG_H

#include "sales_kpi.h"

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
	int			pipeline_len;	/* -1: any pipeline (NULL) */
	char	   *pipeline;
} CatalogStage;

struct StageCache
{
	uint64		generation;		/* stage_catalog_generation when loaded */
	TimestampTz statement;		/* statement that last checked for changes */
	int			ncatalog;
	CatalogStage *catalog;
	int			nraw;
	RawStage	raw[RAW_CACHE_SLOTS];
};

/* Moves on whenever the catalog may have changed (stage_catalog.c). */
extern PGDLLIMPORT uint64 stage_catalog_generation;

extern StageCache *stage_cache_load(FmgrInfo *flinfo);
extern StageOutcome stage_classify_miss(StageCache *cache, RawStage *slot,
										const char *bytes, int len,
										uint64 a, uint64 b);

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
			: (len > 0) ? (uint64) ((uint8) s[0] | ((uint8) s[len / 2] << 8) | ((uint8) s[len - 1] << 16))
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
 * Classify a raw key: a stage name, or (for a stage of a given pipeline)
 * the pipeline id, a zero byte and the stage name.  Text never holds a zero
 * byte, so the two kinds of key never meet.  A key seen before costs a
 * generation check, a hash, one probe and a comparison; the cache is
 * (re)loaded when missing or when the catalog changed since.
 */
static pg_attribute_always_inline StageOutcome
stage_classify_key(FmgrInfo *flinfo, const char *bytes, int len)
{
	CallSite   *site = call_site(flinfo);
	StageCache *cache = site->stages;
	uint64		a;
	uint64		b;
	uint32		i;

	if (unlikely(cache == NULL || cache->generation != stage_catalog_generation))
		cache = stage_cache_load(flinfo);

	raw_key(bytes, len, &a, &b);
	for (i = raw_hash(a, b, len);; i++)
	{
		RawStage   *r = &cache->raw[i & (RAW_CACHE_SLOTS - 1)];

		if (r->a == a && r->b == b && r->len == len &&
			(len <= 16 || memcmp(r->bytes + 8, bytes + 8, len - 16) == 0))
			return (StageOutcome) r->outcome;
		if (r->len < 0)
			return stage_classify_miss(cache, r, bytes, len, a, b);
	}
}

/* Classify a stage name (a text datum), whatever its pipeline. */
static pg_attribute_always_inline StageOutcome
stage_classify_inline(FmgrInfo *flinfo, Datum stage)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(stage);

	if (unlikely(VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)))
		v = pg_detoast_datum_packed(v);
	return stage_classify_key(flinfo, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
}

/* Keys of pipeline and stage up to this long are built on the stack. */
#define PIPELINE_KEY_BUF	256

extern StageOutcome stage_classify_long_pair(FmgrInfo *flinfo, const char *pipeline, int plen,
											 const char *stage, int slen);

/*
 * Classify a stage of a pipeline (text datums; pipeline may be NULL, which
 * classifies the stage whatever its pipeline, as stage_classify_inline).
 */
static pg_attribute_always_inline StageOutcome
stage_classify_pair_inline(FmgrInfo *flinfo, bool pipeline_null, Datum pipeline, Datum stage)
{
	struct varlena *p;
	struct varlena *s;
	char		key[PIPELINE_KEY_BUF];
	int			plen;
	int			slen;

	if (pipeline_null)
		return stage_classify_inline(flinfo, stage);
	p = (struct varlena *) DatumGetPointer(pipeline);
	s = (struct varlena *) DatumGetPointer(stage);
	if (unlikely(VARATT_IS_EXTERNAL(p) || VARATT_IS_COMPRESSED(p)))
		p = pg_detoast_datum_packed(p);
	if (unlikely(VARATT_IS_EXTERNAL(s) || VARATT_IS_COMPRESSED(s)))
		s = pg_detoast_datum_packed(s);
	plen = VARSIZE_ANY_EXHDR(p);
	slen = VARSIZE_ANY_EXHDR(s);
	if (unlikely(plen + 1 + slen > PIPELINE_KEY_BUF))
		return stage_classify_long_pair(flinfo, VARDATA_ANY(p), plen, VARDATA_ANY(s), slen);
	memcpy(key, VARDATA_ANY(p), plen);
	key[plen] = '\0';
	memcpy(key + plen + 1, VARDATA_ANY(s), slen);
	return stage_classify_key(flinfo, key, plen + 1 + slen);
}

#endif							/* STAGE_CATALOG_H */
