/*-------------------------------------------------------------------------
 *
 * common.c
 *	  What every KPI family shares: the module's magic block and _PG_init,
 *	  the input checks (each raises a user-facing error with a data-exception
 *	  SQLSTATE, a detail naming the offending value and a hint saying how to
 *	  filter it out, so that bad rows never turn into a silently wrong
 *	  number), the bridge to numeric.c's exact sum accumulator, and the
 *	  rounding of money results.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Module load: define the extension's settings. */
void
_PG_init(void)
{
	fiscal_define_settings();
}

/*
 * The error of check_finite_timestamp(): a duration that involves infinity
 * or -infinity is unbounded, so no mean of it is meaningful.
 */
void
report_infinite_timestamp(TimestampTz ts, const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s must be a finite timestamp", argname),
			 errdetail("%s is %s.", argname,
					   TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"),
			 errhint("Leave such rows out, e.g. WHERE isfinite(%s).", argname)));
}

/*
 * Reject NaN and, where numeric has them (PostgreSQL 14+), infinities: a sum
 * containing one is NaN or infinite, which no money KPI can report.
 */
void
check_finite_numeric(Datum num, const char *argname)
{
	Numeric		n = DatumGetNumeric(num);
	const char *what = NULL;

	if (numeric_is_nan(n))
		what = "NaN";
#if PG_VERSION_NUM >= 140000
	else if (numeric_is_inf(n))
		what = DatumGetBool(DirectFunctionCall2(numeric_lt, num,
												DirectFunctionCall1(int4_numeric, Int32GetDatum(0))))
			? "-Infinity" : "Infinity";
#endif
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", argname),
				 errdetail("%s is %s.", argname, what),
				 errhint("Leave such rows out, e.g. WHERE %s NOT IN ('NaN', 'Infinity', '-Infinity').",
						 argname)));
}

/*
 * Return the aggregate's memory context, or fail when a support function of
 * an aggregate is called directly as a plain function.
 */
MemoryContext
agg_context_or_error(FunctionCallInfo fcinfo, const char *funcname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called as part of an aggregate", funcname)));
	return aggcontext;
}

/*
 * Reject negative values of a count or amount that cannot be negative.
 */
void
check_nonnegative_numeric(Datum num, const char *argname, const char *hint)
{
	check_finite_numeric(num, argname);
	if (numeric_sign_internal(num) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errdetail("%s is %s.", argname,
						   DatumGetCString(DirectFunctionCall1(numeric_out, num))),
				 errhint("%s", hint)));
}

void
check_nonnegative_int64(int64 value, const char *argname, const char *hint)
{
	if (value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", argname),
				 errdetail("%s is " INT64_FORMAT ".", argname, value),
				 errhint("%s", hint)));
}

/* -1, 0 or 1 for a finite numeric. */
int
numeric_sign_internal(Datum num)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, num,
											 DirectFunctionCall1(int4_numeric, Int32GetDatum(0))));
}

/*
 * Call one of numeric.c's aggregate support functions (numeric_avg_accum,
 * numeric_accum_inv, numeric_avg_combine, numeric_avg_serialize, ...),
 * passing on our own aggregate call context so that its state is allocated
 * in the right memory context.  This gives the KPI aggregates PostgreSQL's
 * exact numeric sum, which allocates nothing per row.
 */
Datum
call_numeric_agg(PGFunction fn, FunctionCallInfo outer,
				 Datum arg0, bool null0, Datum arg1, bool null1, bool *isnull)
{
	LOCAL_FCINFO(fc, 2);
	Datum		result;

	InitFunctionCallInfoData(*fc, outer->flinfo, 2, InvalidOid,
							 outer->context, NULL);
	fc->args[0].value = arg0;
	fc->args[0].isnull = null0;
	fc->args[1].value = arg1;
	fc->args[1].isnull = null1;
	result = fn(fc);
	*isnull = fc->isnull;
	return result;
}

/*
 * Money results that come from a division: rounded half away from zero to 8
 * decimal places, trailing zeros dropped (so 24000.000... prints 24000).
 */
Datum
money_result(Datum num)
{
	num = DirectFunctionCall2(numeric_round, num, Int32GetDatum(8));
	return DirectFunctionCall1(numeric_trim_scale, num);
}

/* The text form of a value of any type, for error details. */
char *
datum_text(Datum value, Oid type)
{
	Oid			typoutput;
	bool		isvarlena;

	getTypeOutputInfo(type, &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, value);
}

/*
 * Append numeric.c's serialization of a sum state (0 for none) to buf, as a
 * length and the bytes, for aggregates that embed such a state in theirs.
 */
void
send_numeric_state(StringInfo buf, FunctionCallInfo fcinfo, Datum state)
{
	bool		isnull;
	bytea	   *bytes;

	if (state == 0)
	{
		pq_sendint32(buf, 0);
		return;
	}
	bytes = DatumGetByteaPP(call_numeric_agg(numeric_avg_serialize, fcinfo, state, false,
											 (Datum) 0, true, &isnull));
	pq_sendint32(buf, VARSIZE_ANY_EXHDR(bytes));
	pq_sendbytes(buf, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
}

/* Read back what send_numeric_state() wrote: a sum state, or 0 for none. */
Datum
recv_numeric_state(StringInfo buf, FunctionCallInfo fcinfo)
{
	int			len = pq_getmsgint(buf, 4);
	bytea	   *bytes;
	bool		isnull;

	if (len <= 0)
		return (Datum) 0;
	bytes = palloc(VARHDRSZ + len);
	SET_VARSIZE(bytes, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(bytes), len);
	return call_numeric_agg(numeric_avg_deserialize, fcinfo, PointerGetDatum(bytes), false,
							(Datum) 0, true, &isnull);
}

/*
 * Begin deserializing an aggregate state: copy the bytea argument into buf
 * for the pq_getmsg* functions.
 */
void
state_buffer_open(FunctionCallInfo fcinfo, StringInfo buf, const char *funcname)
{
	bytea	   *sstate;

	agg_context_or_error(fcinfo, funcname);
	sstate = PG_GETARG_BYTEA_PP(0);
	initStringInfo(buf);
	appendBinaryStringInfo(buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
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

/* The type cache entry of a range type, kept in fn_extra for the query. */
TypeCacheEntry *
range_typcache(FunctionCallInfo fcinfo, Oid rangetype)
{
	TypeCacheEntry *typcache = (TypeCacheEntry *) fcinfo->flinfo->fn_extra;

	if (typcache == NULL || typcache->type_id != rangetype)
	{
		typcache = lookup_type_cache(rangetype, TYPECACHE_RANGE_INFO);
		fcinfo->flinfo->fn_extra = typcache;
	}
	return typcache;
}
