/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  Two-step aggregates: an aggregate's partial state as a value of its
 *	  own type (sales_kpi.win_rate_summary, ...), written by X_summary(args),
 *	  combined by rollup(summary) and read by the accessor X(summary).
 *
 *	  A summary holds exactly the bytes the aggregate's serialize function
 *	  writes (codec.c: format version, kind, fields), so it is portable
 *	  between nodes and PostgreSQL versions, and it needs no code of its own
 *	  per aggregate: rollup() deserializes each summary with the aggregate's
 *	  own deserialize function and adds it with its own combine function,
 *	  and writes the result with its own serialize function.  The text form
 *	  is the same bytes in base64; the binary form (send/receive) the bytes
 *	  themselves.  Every value read, in either form, is checked by
 *	  deserializing it: a malformed text value is 22P02, a malformed binary
 *	  one 22P03.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "common/base64.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* The aggregates' own support functions (rates.c, duration.c, ...). */
extern Datum outcome_count_deserialize(PG_FUNCTION_ARGS);
extern Datum outcome_count_combine(PG_FUNCTION_ARGS);
extern Datum duration_deserialize(PG_FUNCTION_ARGS);
extern Datum duration_combine(PG_FUNCTION_ARGS);
extern Datum retention_deserialize(PG_FUNCTION_ARGS);
extern Datum retention_combine(PG_FUNCTION_ARGS);
extern Datum velocity_deserialize(PG_FUNCTION_ARGS);
extern Datum velocity_combine(PG_FUNCTION_ARGS);
extern Datum acv_deserialize(PG_FUNCTION_ARGS);
extern Datum acv_combine(PG_FUNCTION_ARGS);
extern Datum clv_deserialize(PG_FUNCTION_ARGS);
extern Datum clv_combine(PG_FUNCTION_ARGS);
extern Datum clv_text_deserialize(PG_FUNCTION_ARGS);
extern Datum clv_text_combine(PG_FUNCTION_ARGS);
extern Datum cycle_percentile_deserialize(PG_FUNCTION_ARGS);
extern Datum size_percentile_deserialize(PG_FUNCTION_ARGS);
extern Datum percentile_combine(PG_FUNCTION_ARGS);

/*
 * What a caller outside an aggregate passes as fn context to a deserialize
 * function (deserialize_call_check() accepts it): summaries are read by
 * input functions and accessors too.
 */
Node		summary_call_context = {T_Invalid};

typedef struct SummaryType
{
	const char *type_name;		/* in schema sales_kpi */
	StateKind	kind;
	PGFunction	deserialize;
	PGFunction	combine;
} SummaryType;

static const SummaryType summary_types[] = {
	{"win_rate_summary", STATE_OUTCOMES, outcome_count_deserialize, outcome_count_combine},
	{"conversion_rate_summary", STATE_OUTCOMES, outcome_count_deserialize, outcome_count_combine},
	{"avg_time_in_pipeline_summary", STATE_DURATION, duration_deserialize, duration_combine},
	{"sales_cycle_length_summary", STATE_DURATION, duration_deserialize, duration_combine},
	{"avg_ramp_time_summary", STATE_DURATION, duration_deserialize, duration_combine},
	{"retention_rate_summary", STATE_RETENTION, retention_deserialize, retention_combine},
	{"churn_rate_summary", STATE_RETENTION, retention_deserialize, retention_combine},
	{"pipeline_velocity_summary", STATE_VELOCITY, velocity_deserialize, velocity_combine},
	{"acv_summary", STATE_ACV, acv_deserialize, acv_combine},
	{"clv_summary", STATE_CLV, clv_deserialize, clv_combine},
	{"clv_text_summary", STATE_CLV_TEXT, clv_text_deserialize, clv_text_combine},
	{"sales_cycle_percentile_summary", STATE_PERCENTILE_DURATION, cycle_percentile_deserialize, percentile_combine},
	{"deal_size_percentile_summary", STATE_PERCENTILE_AMOUNT, size_percentile_deserialize, percentile_combine},
};

/* The summary type of a type oid (an input function's typioparam). */
static const SummaryType *
summary_type_of(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));

	if (HeapTupleIsValid(tuple))
	{
		const char *name = NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname);

		for (size_t i = 0; i < lengthof(summary_types); i++)
			if (strcmp(name, summary_types[i].type_name) == 0)
			{
				ReleaseSysCache(tuple);
				return &summary_types[i];
			}
		ReleaseSysCache(tuple);
	}
	/* reachable only by calling an input function by hand with another type */
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s is not a sales_kpi summary type", format_type_be(typid))));
	return NULL;				/* not reached */
}

/* The summary type of a kind, for rollup() (the first type of that kind). */
static const SummaryType *
summary_type_of_kind(const bytea *summary)
{
	const uint8 *bytes = (const uint8 *) VARDATA_ANY(summary);

	if (VARSIZE_ANY_EXHDR(summary) < 2 || bytes[0] != STATE_FORMAT_VERSION)
		report_invalid_state(0, "The summary does not start with a known format version.");
	for (size_t i = 0; i < lengthof(summary_types); i++)
		if (summary_types[i].kind == bytes[1])
			return &summary_types[i];
	report_invalid_state(0, "The summary is not of a kind this version of sales_kpi knows.");
	return NULL;				/* not reached */
}

/*
 * Deserialize a summary with its aggregate's deserialize function, into
 * the current memory context.  context: the aggregate's (rollup) or
 * &summary_call_context (outside an aggregate).
 */
static void *
summary_deserialize(const SummaryType *type, bytea *summary, Node *context)
{
	LOCAL_FCINFO(call, 2);
	Datum		result;

	InitFunctionCallInfoData(*call, NULL, 2, InvalidOid, context, NULL);
	call->args[0].value = PointerGetDatum(summary);
	call->args[0].isnull = false;
	call->args[1].value = (Datum) 0;
	call->args[1].isnull = true;
	result = type->deserialize(call);
	if (call->isnull)
		elog(ERROR, "deserialize of %s returned NULL", type->type_name);
	return DatumGetPointer(result);
}

/* Check that bytes are a summary of the given type (errors as the codec's). */
static void
summary_check(const SummaryType *type, bytea *summary)
{
	MemoryContext check = AllocSetContextCreate(CurrentMemoryContext, "sales_kpi summary check",
												ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(check);

	if (VARSIZE_ANY_EXHDR(summary) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s value", type->type_name),
				 errdetail("The value is too short to hold a state."),
				 errhint("Pass a value written by sales_kpi's %s aggregate or rollup().",
						 type->type_name)));
	if (((uint8 *) VARDATA_ANY(summary))[1] != type->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s value", type->type_name),
				 errdetail("The value holds the state of another aggregate (kind %d; %s holds kind %d).",
						   ((uint8 *) VARDATA_ANY(summary))[1],
						   type->type_name, type->kind),
				 errhint("Pass a value written by sales_kpi's %s aggregate or rollup().",
						 type->type_name)));
	(void) summary_deserialize(type, summary, &summary_call_context);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(check);
}

/* Text input: base64 of the state; anything else is 22P02. */
PG_FUNCTION_INFO_V1(summary_in);
Datum
summary_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	const SummaryType *type = summary_type_of(PG_GETARG_OID(1));
	int			len = strlen(text);
	int			max = pg_b64_dec_len(len);
	bytea	   *summary = palloc(VARHDRSZ + max);
	int			n = pg_b64_decode(text, len, VARDATA(summary), max);
	MemoryContext caller = CurrentMemoryContext;

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type->type_name),
				 errdetail("A summary's text form is base64."),
				 errhint("Pass a value written by sales_kpi's %s aggregate or rollup().",
						 type->type_name)));
	SET_VARSIZE(summary, VARHDRSZ + n);

	/* a well-formed text whose bytes are not a state is still bad text */
	PG_TRY();
	{
		summary_check(type, summary);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_INVALID_BINARY_REPRESENTATION)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type->type_name),
				 errdetail("%s", edata->detail ? edata->detail : edata->message),
				 errhint("Pass a value written by sales_kpi's %s aggregate or rollup().",
						 type->type_name)));
	}
	PG_END_TRY();
	PG_RETURN_BYTEA_P(summary);
}

/* Text output: base64 of the state. */
PG_FUNCTION_INFO_V1(summary_out);
Datum
summary_out(PG_FUNCTION_ARGS)
{
	bytea	   *summary = PG_GETARG_BYTEA_PP(0);
	int			len = VARSIZE_ANY_EXHDR(summary);
	int			max = pg_b64_enc_len(len);
	char	   *text = palloc(max + 1);
	int			n = pg_b64_encode(VARDATA_ANY(summary), len, text, max);

	if (n < 0)
		elog(ERROR, "could not encode a summary in base64");
	text[n] = '\0';
	PG_RETURN_CSTRING(text);
}

/* Binary input: the state's bytes; anything else is 22P03. */
PG_FUNCTION_INFO_V1(summary_recv);
Datum
summary_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const SummaryType *type = summary_type_of(PG_GETARG_OID(1));
	int			len = buf->len - buf->cursor;
	bytea	   *summary = palloc(VARHDRSZ + len);

	SET_VARSIZE(summary, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(summary), len);
	summary_check(type, summary);
	PG_RETURN_BYTEA_P(summary);
}

/* Binary output: the state's bytes. */
PG_FUNCTION_INFO_V1(summary_send);
Datum
summary_send(PG_FUNCTION_ARGS)
{
	bytea	   *summary = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(summary), VARSIZE_ANY_EXHDR(summary));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Transition of rollup(summary) and of the accessors' one-row aggregates:
 * the summary deserialized and added to the state with the aggregate's own
 * combine function.  NULL summaries are skipped.
 */
PG_FUNCTION_INFO_V1(summary_rollup_trans);
Datum
summary_rollup_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context_or_error(fcinfo);
	bytea	   *summary;
	const SummaryType *type;
	void	   *from;
	LOCAL_FCINFO(call, 2);
	Datum		result;

	if (PG_ARGISNULL(1))
		return combine_passthrough(fcinfo);
	summary = PG_GETARG_BYTEA_PP(1);
	type = summary_type_of_kind(summary);

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);
		void	   *state = summary_deserialize(type, summary, fcinfo->context);

		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(state);
	}
	from = summary_deserialize(type, summary, fcinfo->context);
	InitFunctionCallInfoData(*call, NULL, 2, InvalidOid, fcinfo->context, NULL);
	call->args[0].value = PG_GETARG_DATUM(0);
	call->args[0].isnull = false;
	call->args[1].value = PointerGetDatum(from);
	call->args[1].isnull = false;
	result = type->combine(call);
	if (call->isnull)
		elog(ERROR, "combine of %s returned NULL", type->type_name);
	PG_RETURN_DATUM(result);
}
