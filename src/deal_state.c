/*-------------------------------------------------------------------------
 *
 * deal_state.c
 *	  The planner's row estimates for sales_kpi.deal_state_rows(), the
 *	  function scan under sales_kpi.deal_state and deal_state_quarter_open
 *	  (src/dashboards/00_deal_state.sql), and for its sibling
 *	  sales_kpi.stage_visits_of() under sales_kpi.stage_visits
 *	  (src/dashboards/00_stage_visits.sql).
 *
 *	  A set-returning function is estimated at its ROWS, a constant: too
 *	  many rows for a small database makes every dashboard's plan cost
 *	  enough to be JIT-compiled (seconds, for milliseconds of work), too few
 *	  for a large one invites nested loops over a million deals.  The
 *	  function returns one row per deal, so the estimate is the number of
 *	  deals the statistics know of: the larger of the refresh's store and
 *	  the deals table (either may be empty: before the first refresh, or
 *	  with the history loaded alone).  The stage visits are a few per deal:
 *	  the refresh's store of them, or before it the versions (one per
 *	  change of a deal, stage changes among them).  Both are scaled by the
 *	  share of the reps whose rows the calling role sees; the visits of the
 *	  deals of a constant array are at most that many deals' share of them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "nodes/makefuncs.h"
#include "nodes/supportnodes.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* The rows the statistics give a table of the schema (0 if unknown). */
static double
table_rows(Oid schema, const char *name)
{
	Oid			relid = get_relname_relid(name, schema);
	HeapTuple	tuple;
	double		rows = 0;

	if (!OidIsValid(relid))
		return 0;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		float4		reltuples = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;

		/* -1: never vacuumed or analyzed */
		if (reltuples > 0)
			rows = reltuples;
		ReleaseSysCache(tuple);
	}
	return rows;
}

/*
 * The share of the reps whose rows the calling role sees
 * (sales_kpi.visible_rep_share(), src/rep_security.sql): under the rep
 * policies a rep or a manager reads that share of the deals, and a plan
 * made for all of them sorts and merge-joins tens of thousands of rows where
 * hashing them is faster.  1 before that function exists (an update under
 * way).
 */
static double
visible_share(void)
{
	List	   *name = list_make2(makeString("sales_kpi"), makeString("visible_rep_share"));
	Oid			fn = LookupFuncName(name, 0, NULL, true);
	double		share;

	if (!OidIsValid(fn))
		return 1.0;
	share = DatumGetFloat8(OidFunctionCall0(fn));
	return share >= 0 && share <= 1 ? share : 1.0;
}

/* The deals the statistics know of (either table may be empty). */
static double
deal_rows(Oid schema)
{
	return Max(table_rows(schema, "deal_state_store"), table_rows(schema, "deals"));
}

/* The stage visits: the refresh's store of them, else the versions. */
static double
visit_rows(Oid schema)
{
	double		rows = table_rows(schema, "stage_visits_store");

	return rows > 0 ? rows : table_rows(schema, "deal_history") + table_rows(schema, "deals");
}

/*
 * The deals a call asks for: the elements of its one argument when that is
 * a constant array; else -1 (NULL asks for every deal, and a value known
 * only when the query runs could be any number).
 */
static double
deals_asked(Node *call)
{
	Node	   *arg;
	ArrayType  *deals;

	if (call == NULL || !IsA(call, FuncExpr) || list_length(((FuncExpr *) call)->args) != 1)
		return -1;
	arg = linitial(((FuncExpr *) call)->args);
	if (!IsA(arg, Const) || ((Const *) arg)->constisnull)
		return -1;
	deals = DatumGetArrayTypeP(((Const *) arg)->constvalue);
	return ArrayGetNItems(ARR_NDIM(deals), ARR_DIMS(deals));
}

/*
 * Answer a SupportRequestRows with count's rows (no statistics yet: the
 * default of a set-returning function), scaled by the caller's share; for
 * the visits of the deals asked for, at most as many as those deals have
 * on average.
 */
static Datum
estimate_rows(Node *request, double (*count) (Oid schema), bool per_deal)
{
	SupportRequestRows *rows_request;
	Oid			schema;
	double		counted;
	double		rows;
	double		asked;

	if (!IsA(request, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	rows_request = (SupportRequestRows *) request;
	schema = get_namespace_oid("sales_kpi", true);
	if (!OidIsValid(schema))
		PG_RETURN_POINTER(NULL);
	counted = count(schema);
	rows = (counted > 0 ? counted : 1000) * visible_share();
	asked = per_deal ? deals_asked(rows_request->node) : -1;
	if (asked >= 0)
	{
		double		deals = deal_rows(schema);
		double		per = deals > 0 ? counted / deals : 1;

		rows = Min(rows, asked * Max(per, 1));
	}
	rows_request->rows = Max(rows, 1);
	PG_RETURN_POINTER(rows_request);
}

PG_FUNCTION_INFO_V1(deal_state_rows_support);
Datum
deal_state_rows_support(PG_FUNCTION_ARGS)
{
	return estimate_rows((Node *) PG_GETARG_POINTER(0), deal_rows, false);
}

PG_FUNCTION_INFO_V1(stage_visits_rows_support);
Datum
stage_visits_rows_support(PG_FUNCTION_ARGS)
{
	return estimate_rows((Node *) PG_GETARG_POINTER(0), visit_rows, true);
}
