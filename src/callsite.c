/*-------------------------------------------------------------------------
 *
 * callsite.c
 *	  The per-call-site cache every function of the extension keeps in
 *	  fn_extra (a CallSite: the stage catalog cache and the range type cache
 *	  side by side, so that no two kinds of cache ever share the pointer),
 *	  and the daterange argument reader that uses it.
 *
 *	  A CallSite lives as long as its FmgrInfo: one query for an aggregate,
 *	  up to a transaction for a PL/pgSQL simple expression (the stage cache
 *	  checks its own validity, see stage_catalog.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"

/* A zeroed CallSite in the FmgrInfo's memory context. */
CallSite *
call_site_create(FmgrInfo *flinfo)
{
	flinfo->fn_extra = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(CallSite));
	return (CallSite *) flinfo->fn_extra;
}

/* The type cache entry of a range type, kept in the call site. */
static TypeCacheEntry *
range_typcache(FunctionCallInfo fcinfo, Oid rangetype)
{
	CallSite   *site = call_site(fcinfo->flinfo);

	if (site->range_typcache == NULL || site->range_typcache->type_id != rangetype)
		site->range_typcache = lookup_type_cache(rangetype, TYPECACHE_RANGE_INFO);
	return site->range_typcache;
}

/*
 * The bounds of a daterange argument.  A range stored with a short (1-byte)
 * header, as small ranges are on disk, would be copied to a palloc'd aligned
 * buffer by the usual detoasting; it is copied to the stack instead, so that
 * reading a row's range allocates nothing.  The bounds of a daterange are
 * passed by value, so they outlive the copy.
 */
void
daterange_bounds(FunctionCallInfo fcinfo, Datum value, RangeBound *lower,
				 RangeBound *upper, bool *empty)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	union
	{
		RangeType	range;
		char		bytes[64];
	}			copy;
	RangeType  *range;

	if (VARATT_IS_SHORT(v) &&
		VARSIZE_SHORT(v) - VARHDRSZ_SHORT + VARHDRSZ <= sizeof(copy))
	{
		Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

		SET_VARSIZE(&copy.range, len + VARHDRSZ);
		memcpy(VARDATA(&copy.range), VARDATA_SHORT(v), len);
		range = &copy.range;
	}
	else
		range = DatumGetRangeTypeP(value);
	range_deserialize(range_typcache(fcinfo, RangeTypeGetOid(range)), range,
					  lower, upper, empty);
}
