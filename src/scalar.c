/*-------------------------------------------------------------------------
 *
 * scalar.c
 *	  Scalar KPI helpers: growth_rate, cac, lead_conversion_rate,
 *	  quota_attainment, market_share, rep_retention_rate and
 *	  customer_retention_rate.
 *
 *	  Ratios are computed in exact numeric arithmetic and returned as
 *	  double precision; a zero denominator gives NULL (the KPI is undefined);
 *	  counts and amounts that cannot be negative, and ratios that cannot
 *	  exceed 1, are checked.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

/* num / den as double precision, computed in numeric; den must not be 0. */
static double
numeric_ratio(Datum num, Datum den)
{
	Datum		q = DirectFunctionCall2(numeric_div, num, den);

	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, q));
}

/*
 * growth_rate(current numeric, previous numeric) -> float8:
 * (current - previous) / previous; NULL when previous is 0.
 */
PG_FUNCTION_INFO_V1(growth_rate);
Datum
growth_rate(PG_FUNCTION_ARGS)
{
	Datum		cur = PG_GETARG_DATUM(0);
	Datum		prev = PG_GETARG_DATUM(1);

	check_finite_numeric(cur, "current");
	check_finite_numeric(prev, "previous");
	if (numeric_sign_internal(prev) == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(numeric_ratio(DirectFunctionCall2(numeric_sub, cur, prev), prev));
}

/*
 * cac(spend numeric, new_customers bigint) -> numeric: spend / new customers,
 * rounded once to 8 decimal places; NULL when there is no new customer.
 */
PG_FUNCTION_INFO_V1(cac);
Datum
cac(PG_FUNCTION_ARGS)
{
	Datum		spend = PG_GETARG_DATUM(0);
	int64		customers = PG_GETARG_INT64(1);

	check_nonnegative_numeric(spend, "spend",
							  "Pass the sales and marketing spend of the period, a non-negative amount.");
	check_nonnegative_int64(customers, "new_customers",
							"Pass the number of customers acquired in the period.");
	if (customers == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(numeric_div_round(spend, int64_to_numeric_datum(customers), 8));
}

/* Check a part-of-whole pair: both non-negative, part <= whole. */
static void
check_part_of_whole(int64 part, int64 whole, const char *part_name,
					const char *whole_name)
{
	check_nonnegative_int64(part, part_name, "Counts cannot be negative.");
	check_nonnegative_int64(whole, whole_name, "Counts cannot be negative.");
	if (part > whole)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not exceed %s", part_name, whole_name),
				 errdetail("%s is " INT64_FORMAT " and %s is " INT64_FORMAT ".",
						   part_name, part, whole_name, whole),
				 errhint("Count %s among the same %s.", part_name, whole_name)));
}

/*
 * lead_conversion_rate(converted bigint, leads bigint) -> float8:
 * converted / leads; NULL without leads.
 */
PG_FUNCTION_INFO_V1(lead_conversion_rate);
Datum
lead_conversion_rate(PG_FUNCTION_ARGS)
{
	int64		converted = PG_GETARG_INT64(0);
	int64		leads = PG_GETARG_INT64(1);

	check_part_of_whole(converted, leads, "converted", "leads");
	if (leads == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) converted / (double) leads);
}

/*
 * quota_attainment(achieved numeric, quota numeric) -> float8:
 * achieved / quota; NULL when quota is 0.  achieved may be negative
 * (clawbacks) and above the quota.
 */
PG_FUNCTION_INFO_V1(quota_attainment);
Datum
quota_attainment(PG_FUNCTION_ARGS)
{
	Datum		achieved = PG_GETARG_DATUM(0);
	Datum		quota = PG_GETARG_DATUM(1);

	check_finite_numeric(achieved, "achieved");
	check_nonnegative_numeric(quota, "quota", "A quota is a non-negative target amount.");
	if (numeric_sign_internal(quota) == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(numeric_ratio(achieved, quota));
}

/*
 * market_share(own_sales numeric, market_sales numeric) -> float8:
 * own / market; NULL when the market is 0.
 */
PG_FUNCTION_INFO_V1(market_share);
Datum
market_share(PG_FUNCTION_ARGS)
{
	Datum		own = PG_GETARG_DATUM(0);
	Datum		market = PG_GETARG_DATUM(1);

	check_nonnegative_numeric(own, "own_sales", "Sales amounts cannot be negative.");
	check_nonnegative_numeric(market, "market_sales", "Sales amounts cannot be negative.");
	if (DatumGetInt32(DirectFunctionCall2(numeric_cmp, own, market)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("own_sales must not exceed market_sales"),
				 errdetail("own_sales is %s and market_sales is %s.",
						   numeric_text(own), numeric_text(market)),
				 errhint("The market size must include the company's own sales of the same period.")));
	if (numeric_sign_internal(market) == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(numeric_ratio(own, market));
}

/*
 * (at_end - added) / at_start, the retention of a population (reps or
 * customers) over a period: those still there at the end who were there at
 * the start, over those at the start.  NULL when at_start is 0.
 */
static Datum
population_retention(FunctionCallInfo fcinfo, const char *added_name)
{
	int64		at_end = PG_GETARG_INT64(0);
	int64		added = PG_GETARG_INT64(1);
	int64		at_start = PG_GETARG_INT64(2);
	int64		retained;

	check_nonnegative_int64(at_end, "at_end", "Counts cannot be negative.");
	check_nonnegative_int64(added, added_name, "Counts cannot be negative.");
	check_nonnegative_int64(at_start, "at_start", "Counts cannot be negative.");
	retained = at_end - added;
	if (retained < 0 || retained > at_start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("at_end - %s must be between 0 and at_start", added_name),
				 errdetail("at_end is " INT64_FORMAT ", %s is " INT64_FORMAT " and at_start is " INT64_FORMAT ".",
						   at_end, added_name, added, at_start),
				 errhint("Count in %s only those added during the period who are still there at its end.",
						 added_name)));
	if (at_start == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) retained / (double) at_start);
}

/*
 * rep_retention_rate(at_end bigint, hired bigint, at_start bigint) -> float8:
 * (at_end - hired) / at_start.
 */
PG_FUNCTION_INFO_V1(rep_retention_rate);
Datum
rep_retention_rate(PG_FUNCTION_ARGS)
{
	return population_retention(fcinfo, "hired");
}

/*
 * customer_retention_rate(at_end bigint, acquired bigint, at_start bigint)
 * -> float8: (at_end - acquired) / at_start.
 */
PG_FUNCTION_INFO_V1(customer_retention_rate);
Datum
customer_retention_rate(PG_FUNCTION_ARGS)
{
	return population_retention(fcinfo, "acquired");
}
