/*-------------------------------------------------------------------------
 *
 * fiscal.c
 *	  Periods for the dashboards: fiscal_period_start(ts, grain),
 *	  fiscal_period_label(ts, grain) and sales_kpi.as_of(), which read the
 *	  settings sales_kpi.fiscal_year_start_month and sales_kpi.as_of
 *	  (module.c).
 *
 *	  A fiscal year starts on the first day of the setting's month and is
 *	  named by the calendar year in which it ends: with a start month of 4,
 *	  FY2026 runs from 2025-04-01 to 2026-03-31.  Quarters and months are
 *	  numbered from the start of the fiscal year.  The timestamp is read as
 *	  a date in the session's time zone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

typedef enum FiscalGrain
{
	GRAIN_MONTH,
	GRAIN_QUARTER,
	GRAIN_YEAR
} FiscalGrain;

/* A date's place in the fiscal calendar. */
typedef struct FiscalPeriod
{
	int			fiscal_year;	/* named by the calendar year it ends in */
	int			number;			/* month 1-12 or quarter 1-4; 1 for a year */
	int			start_year;		/* calendar date of the period's first day */
	int			start_month;
} FiscalPeriod;

static FiscalGrain
parse_grain(text *grain)
{
	char	   *g = text_to_cstring(grain);

	if (pg_strcasecmp(g, "month") == 0)
		return GRAIN_MONTH;
	if (pg_strcasecmp(g, "quarter") == 0)
		return GRAIN_QUARTER;
	if (pg_strcasecmp(g, "year") == 0)
		return GRAIN_YEAR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown fiscal period grain \"%s\"", g),
			 errdetail("The grain must be month, quarter or year."),
			 errhint("Pass 'month', 'quarter' or 'year'.")));
	return GRAIN_YEAR;			/* keep the compiler quiet */
}

/* The fiscal period of a timestamp, read as a date in the session time zone. */
static FiscalPeriod
fiscal_period_of(TimestampTz ts, FiscalGrain grain)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			s = setting_fiscal_start_month();
	int			offset;			/* months since the fiscal year started */
	int			fy_start_year;
	int			first;			/* first month of the period, from fy start */
	FiscalPeriod p;

	check_finite_timestamp(ts, "ts");
	if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));

	offset = (tm.tm_mon - s + 12) % 12;
	fy_start_year = (tm.tm_mon >= s) ? tm.tm_year : tm.tm_year - 1;
	p.fiscal_year = (s == 1) ? fy_start_year : fy_start_year + 1;

	switch (grain)
	{
		case GRAIN_MONTH:
			p.number = offset + 1;
			first = offset;
			break;
		case GRAIN_QUARTER:
			p.number = offset / 3 + 1;
			first = (p.number - 1) * 3;
			break;
		default:
			p.number = 1;
			first = 0;
			break;
	}
	p.start_month = s + first;
	p.start_year = fy_start_year;
	if (p.start_month > 12)
	{
		p.start_month -= 12;
		p.start_year++;
	}
	return p;
}

/*
 * fiscal_period_start(ts timestamptz, grain text) -> date: the first day of
 * the fiscal month, quarter or year containing ts.
 */
PG_FUNCTION_INFO_V1(fiscal_period_start);
Datum
fiscal_period_start(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	FiscalPeriod p = fiscal_period_of(ts, parse_grain(PG_GETARG_TEXT_PP(1)));

	PG_RETURN_DATEADT(date2j(p.start_year, p.start_month, 1) - POSTGRES_EPOCH_JDATE);
}

/*
 * fiscal_period_label(ts timestamptz, grain text) -> text: FY2026,
 * FY2026-Q1 or FY2026-M01.
 */
PG_FUNCTION_INFO_V1(fiscal_period_label);
Datum
fiscal_period_label(PG_FUNCTION_ARGS)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(0);
	FiscalGrain grain = parse_grain(PG_GETARG_TEXT_PP(1));
	FiscalPeriod p = fiscal_period_of(ts, grain);
	char	   *label;

	switch (grain)
	{
		case GRAIN_MONTH:
			label = psprintf("FY%d-M%02d", p.fiscal_year, p.number);
			break;
		case GRAIN_QUARTER:
			label = psprintf("FY%d-Q%d", p.fiscal_year, p.number);
			break;
		default:
			label = psprintf("FY%d", p.fiscal_year);
			break;
	}
	PG_RETURN_TEXT_P(cstring_to_text(label));
}

/*
 * sales_kpi.as_of() -> date: the day set in sales_kpi.as_of, or today (in the
 * session time zone) when it is empty.
 */
PG_FUNCTION_INFO_V1(as_of_date);
Datum
as_of_date(PG_FUNCTION_ARGS)
{
	DateADT		day;

	if (!setting_as_of_day(&day))
		PG_RETURN_DATEADT(GetSQLCurrentDate());
	PG_RETURN_DATEADT(day);
}
