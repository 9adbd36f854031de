/*-------------------------------------------------------------------------
 *
 * module.c
 *	  The module: its magic block, _PG_init, and the extension's settings.
 *
 *	  sales_kpi.fiscal_year_start_month (1-12, default 1)
 *	    the calendar month on which the fiscal year starts; any spelling
 *	    PostgreSQL reads as an integer ('04', ' 4') is that month.
 *	  sales_kpi.as_of (default '', today)
 *	    the day the dashboards are computed for, written YYYY-MM-DD whatever
 *	    DateStyle says; parsed once, when set, into the setting's extra, so
 *	    a session and a cron job with different DateStyles read the same day,
 *	    and anything else is refused by SET (22007).
 *	  sales_kpi.sync_lookback (seconds, default 10min)
 *	    how late after it was synced a connector may commit a row (its
 *	    _fivetran_synced older than rows a sync already read), clock skew
 *	    included: a sync reads again the rows synced since the last sync's
 *	    start less this; sales_kpi.sync_lookback() gives it to the syncs as
 *	    an interval.
 *
 *	  A value set before the library was loaded (PGOPTIONS, ALTER ROLE ...
 *	  SET, a SET in a session that has not used the extension yet) is a
 *	  placeholder that PostgreSQL validates only at load, discarding it with
 *	  a mere WARNING if it is invalid.  The functions would then silently use
 *	  the default, so a rejected placeholder is remembered and the functions
 *	  that read the setting refuse to run until it is set again.
 *
 *	  _PG_init also registers the stage catalog's invalidation callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static int	fiscal_year_start_month = 1;
static char *as_of_string = NULL;
static int	sync_lookback_seconds = 600;

/* The parsed sales_kpi.as_of (the setting's extra). */
typedef struct AsOfDay
{
	bool		today;
	DateADT		day;
} AsOfDay;

static AsOfDay as_of_day = {true, 0};

/* Placeholders PostgreSQL discarded at load, until the setting is set again. */
static char *rejected_start_month = NULL;
static char *rejected_as_of = NULL;
static char *rejected_sync_lookback = NULL;

/*
 * Parse a day written YYYY-MM-DD (surrounding white space allowed), the
 * month and day being a real calendar day.
 */
static bool
parse_iso_day(const char *s, DateADT *day)
{
	int			y,
				m,
				d;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	for (int i = 0; i < 10; i++)
	{
		bool		dash = (i == 4 || i == 7);

		if (dash ? p[i] != '-' : !(p[i] >= '0' && p[i] <= '9'))
			return false;
	}
	y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	m = (p[5] - '0') * 10 + (p[6] - '0');
	d = (p[8] - '0') * 10 + (p[9] - '0');
	for (p += 10; *p == ' ' || *p == '\t'; p++)
		;
	if (*p != '\0' || y < 1 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		return false;
	*day = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

static bool
check_as_of(char **newval, void **extra, GucSource source)
{
	AsOfDay		parsed = {true, 0};
	AsOfDay    *copy;

	if ((*newval)[0] != '\0' && !parse_iso_day(*newval, &parsed.day))
	{
		GUC_check_errcode(ERRCODE_INVALID_DATETIME_FORMAT);
		GUC_check_errdetail("sales_kpi.as_of takes a day written YYYY-MM-DD, whatever DateStyle says.");
		GUC_check_errhint("Write the day as for example '2026-03-31', or set '' for today.");
		return false;
	}
	parsed.today = ((*newval)[0] == '\0');
	copy = malloc(sizeof(AsOfDay));
	if (copy == NULL)
	{
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		return false;
	}
	*copy = parsed;
	*extra = copy;
	return true;
}

static void
assign_as_of(const char *newval, void *extra)
{
	as_of_day = *(AsOfDay *) extra;
	rejected_as_of = NULL;
}

static void
assign_sync_lookback(int newval, void *extra)
{
	rejected_sync_lookback = NULL;
}

static void
assign_start_month(int newval, void *extra)
{
	rejected_start_month = NULL;
}

/* The placeholder value of a setting not yet defined, kept for the session. */
static char *
placeholder_value(const char *name)
{
	const char *v = GetConfigOption(name, true, false);

	return v ? MemoryContextStrdup(TopMemoryContext, v) : NULL;
}

static void
define_settings(void)
{
	char	   *start_month = placeholder_value("sales_kpi.fiscal_year_start_month");
	char	   *as_of = placeholder_value("sales_kpi.as_of");
	char	   *lookback = placeholder_value("sales_kpi.sync_lookback");
	int			month;
	int			seconds;
	DateADT		day;

	DefineCustomIntVariable("sales_kpi.fiscal_year_start_month",
							"Calendar month (1-12) on which the fiscal year starts.",
							"A fiscal year is named by the calendar year in which it ends.",
							&fiscal_year_start_month,
							1, 1, 12,
							PGC_USERSET, 0,
							NULL, assign_start_month, NULL);
	if (start_month != NULL &&
		!(parse_int(start_month, &month, 0, NULL) && month >= 1 && month <= 12))
		rejected_start_month = start_month;

	DefineCustomStringVariable("sales_kpi.as_of",
							   "Day the dashboards are computed for (YYYY-MM-DD); empty means today.",
							   "Set it to reproduce the dashboards of a past day, e.g. '2026-03-31'.",
							   &as_of_string,
							   "",
							   PGC_USERSET, 0,
							   check_as_of, assign_as_of, NULL);
	if (as_of != NULL && as_of[0] != '\0' && !parse_iso_day(as_of, &day))
		rejected_as_of = as_of;

	DefineCustomIntVariable("sales_kpi.sync_lookback",
							"How late after it was synced a connector may commit a row, clock skew included.",
							"A sync reads again the rows synced since the last sync's start less this.",
							&sync_lookback_seconds,
							600, 0, 7 * 86400,
							PGC_USERSET, GUC_UNIT_S,
							NULL, assign_sync_lookback, NULL);
	if (lookback != NULL &&
		!(parse_int(lookback, &seconds, GUC_UNIT_S, NULL) && seconds >= 0 && seconds <= 7 * 86400))
		rejected_sync_lookback = lookback;

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("sales_kpi");
#else
	EmitWarningsOnPlaceholders("sales_kpi");
#endif
}

/* Module load: the settings and the stage catalog's invalidation. */
void
_PG_init(void)
{
	define_settings();
	stage_catalog_watch();
}

/* sales_kpi.fiscal_year_start_month, or an error if it was rejected at load. */
int
setting_fiscal_start_month(void)
{
	if (unlikely(rejected_start_month != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.fiscal_year_start_month\": \"%s\"",
						rejected_start_month),
				 errdetail("The value was set before sales_kpi was loaded and is not a month from 1 to 12."),
				 errhint("SET sales_kpi.fiscal_year_start_month to a month from 1 to 12.")));
	return fiscal_year_start_month;
}

/*
 * The day in sales_kpi.as_of: true and *day set, or false when the setting
 * is empty (today); an error if the setting was rejected at load.
 */
bool
setting_as_of_day(DateADT *day)
{
	if (unlikely(rejected_as_of != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid value for parameter \"sales_kpi.as_of\": \"%s\"", rejected_as_of),
				 errdetail("The value was set before sales_kpi was loaded and is not a day written YYYY-MM-DD."),
				 errhint("SET sales_kpi.as_of to a day such as '2026-03-31', or to '' for today.")));
	if (as_of_day.today)
		return false;
	*day = as_of_day.day;
	return true;
}

/* sales_kpi.sync_lookback() -> interval: the setting, or an error if rejected at load. */
PG_FUNCTION_INFO_V1(sync_lookback);
Datum
sync_lookback(PG_FUNCTION_ARGS)
{
	Interval   *result;

	if (unlikely(rejected_sync_lookback != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.sync_lookback\": \"%s\"",
						rejected_sync_lookback),
				 errdetail("The value was set before sales_kpi was loaded and is not a duration from 0 to 7 days."),
				 errhint("SET sales_kpi.sync_lookback to a duration such as '10min'.")));
	result = palloc0(sizeof(Interval));
	result->time = (int64) sync_lookback_seconds * USECS_PER_SEC;
	PG_RETURN_INTERVAL_P(result);
}
