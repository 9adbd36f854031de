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
 *	  sales_kpi.corporate_currency (default '')
 *	    the ISO 4217 code of the currency dashboards report in: a deal in
 *	    it (or with no currency) needs no exchange rate.  Empty: only deals
 *	    with no currency need none.  sales_kpi.corporate_currency() gives it.
 *	  sales_kpi.probability_source (catalog | learnt, default catalog)
 *	    which win probability of a stage the weighted pipeline and the
 *	    forecast use: the stage catalog's, or the one learnt from history
 *	    (sales_kpi.stage_probabilities).
 *	  sales_kpi.probability_window (days, default 365)
 *	    how far back from the as-of day the learnt probabilities look: the
 *	    deals created in that window.
 *
 *	  A value set before the library was loaded (PGOPTIONS, ALTER ROLE ...
 *	  SET, a SET in a session that has not used the extension yet) is a
 *	  placeholder that PostgreSQL validates only at load, discarding it with
 *	  a mere WARNING if it is invalid.  The functions would then silently use
 *	  the default, so a rejected placeholder is remembered and the functions
 *	  that read the setting refuse to run until it is set again.  So is
 *	  every placeholder, valid or not, when the library is loaded inside a
 *	  parallel operation, where PostgreSQL cannot apply one (a session whose
 *	  first call into the library comes from a function body run during a
 *	  parallel query); session_preload_libraries avoids that.
 *
 *	  _PG_init also registers the stage catalog's invalidation callback.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "access/xact.h"
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
static char *corporate_currency = NULL;
static int	probability_source = 0;
static int	probability_window_days = 365;

static const struct config_enum_entry probability_sources[] = {
	{"catalog", 0, false},
	{"learnt", 1, false},
	{"learned", 1, true},
	{NULL, 0, false}
};

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
static char *rejected_corporate_currency = NULL;
static char *rejected_probability_source = NULL;
static char *rejected_probability_window = NULL;

/*
 * Whether the library was loaded inside a parallel operation: in a parallel
 * worker, or in a session whose first call into it came from a function
 * body run during a parallel query.  PostgreSQL cannot apply a placeholder
 * then (it keeps the default, with a WARNING), so every setting made before
 * the load is rejected, valid or not.
 */
static bool loaded_in_parallel = false;

/* An ISO 4217 code: three capital letters. */
static bool
is_currency_code(const char *s)
{
	return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
		s[2] >= 'A' && s[2] <= 'Z';
}

static bool
check_corporate_currency(char **newval, void **extra, GucSource source)
{
	if ((*newval)[0] != '\0' && !is_currency_code(*newval))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("sales_kpi.corporate_currency takes an ISO 4217 code: three capital letters.");
		GUC_check_errhint("Set for example 'USD' or 'EUR', or '' when every deal without a currency is in the corporate one.");
		return false;
	}
	return true;
}

static void
assign_corporate_currency(const char *newval, void *extra)
{
	rejected_corporate_currency = NULL;
}

static void
assign_probability_source(int newval, void *extra)
{
	rejected_probability_source = NULL;
}

static void
assign_probability_window(int newval, void *extra)
{
	rejected_probability_window = NULL;
}

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
	char	   *currency = placeholder_value("sales_kpi.corporate_currency");
	char	   *source = placeholder_value("sales_kpi.probability_source");
	char	   *window = placeholder_value("sales_kpi.probability_window");
	int			days;
	int			month;
	int			seconds;
	DateADT		day;
	bool		parallel = IsInParallelMode();

	loaded_in_parallel = parallel;

	DefineCustomIntVariable("sales_kpi.fiscal_year_start_month",
							"Calendar month (1-12) on which the fiscal year starts.",
							"A fiscal year is named by the calendar year in which it ends.",
							&fiscal_year_start_month,
							1, 1, 12,
							PGC_USERSET, 0,
							NULL, assign_start_month, NULL);
	if (start_month != NULL &&
		(parallel || !(parse_int(start_month, &month, 0, NULL) && month >= 1 && month <= 12)))
		rejected_start_month = start_month;

	DefineCustomStringVariable("sales_kpi.as_of",
							   "Day the dashboards are computed for (YYYY-MM-DD); empty means today.",
							   "Set it to reproduce the dashboards of a past day, e.g. '2026-03-31'.",
							   &as_of_string,
							   "",
							   PGC_USERSET, 0,
							   check_as_of, assign_as_of, NULL);
	if (as_of != NULL && (parallel || (as_of[0] != '\0' && !parse_iso_day(as_of, &day))))
		rejected_as_of = as_of;

	DefineCustomIntVariable("sales_kpi.sync_lookback",
							"How late after it was synced a connector may commit a row, clock skew included.",
							"A sync reads again the rows synced since the last sync's start less this.",
							&sync_lookback_seconds,
							600, 0, 7 * 86400,
							PGC_USERSET, GUC_UNIT_S,
							NULL, assign_sync_lookback, NULL);
	if (lookback != NULL &&
		(parallel || !(parse_int(lookback, &seconds, GUC_UNIT_S, NULL) && seconds >= 0 && seconds <= 7 * 86400)))
		rejected_sync_lookback = lookback;

	DefineCustomStringVariable("sales_kpi.corporate_currency",
							   "ISO 4217 code of the currency the dashboards report in.",
							   "Deals in it, or with no currency, need no exchange rate.",
							   &corporate_currency,
							   "",
							   PGC_USERSET, 0,
							   check_corporate_currency, assign_corporate_currency, NULL);
	if (currency != NULL && (parallel || (currency[0] != '\0' && !is_currency_code(currency))))
		rejected_corporate_currency = currency;

	DefineCustomEnumVariable("sales_kpi.probability_source",
							 "Which stage probability the weighted pipeline and the forecast use.",
							 "catalog: the stage catalog's default_probability; learnt: sales_kpi.stage_probabilities.",
							 &probability_source,
							 0, probability_sources,
							 PGC_USERSET, 0,
							 NULL, assign_probability_source, NULL);
	if (source != NULL &&
		(parallel || (pg_strcasecmp(source, "catalog") != 0 &&
					  pg_strcasecmp(source, "learnt") != 0 && pg_strcasecmp(source, "learned") != 0)))
		rejected_probability_source = source;

	DefineCustomIntVariable("sales_kpi.probability_window",
							"How far back from the as-of day learnt stage probabilities look.",
							"The deals created in that window and closed by the as-of day.",
							&probability_window_days,
							365, 1, 36500,
							PGC_USERSET, 0,
							NULL, assign_probability_window, NULL);
	if (window != NULL &&
		(parallel || !(parse_int(window, &days, 0, NULL) && days >= 1 && days <= 36500)))
		rejected_probability_window = window;

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("sales_kpi");
#else
	EmitWarningsOnPlaceholders("sales_kpi");
#endif
}

/*
 * A setting rejected because the library was loaded inside a parallel
 * operation: an error saying so (the readers' own errors are about values
 * that are invalid).
 */
static void
refuse_unapplied(const char *name, const char *value)
{
	if (loaded_in_parallel)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("parameter \"%s\" was set to \"%s\" before sales_kpi was loaded, and PostgreSQL did not apply it", name, value),
				 errdetail("This session first loaded sales_kpi during a parallel operation, when settings cannot change."),
				 errhint("Add sales_kpi to session_preload_libraries so that sessions load it when they start; in this session, SET %s again.", name)));
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
	{
		refuse_unapplied("sales_kpi.fiscal_year_start_month", rejected_start_month);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.fiscal_year_start_month\": \"%s\"",
						rejected_start_month),
				 errdetail("The value was set before sales_kpi was loaded and is not a month from 1 to 12."),
				 errhint("SET sales_kpi.fiscal_year_start_month to a month from 1 to 12.")));
	}
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
	{
		refuse_unapplied("sales_kpi.as_of", rejected_as_of);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid value for parameter \"sales_kpi.as_of\": \"%s\"", rejected_as_of),
				 errdetail("The value was set before sales_kpi was loaded and is not a day written YYYY-MM-DD."),
				 errhint("SET sales_kpi.as_of to a day such as '2026-03-31', or to '' for today.")));
	}
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
	{
		refuse_unapplied("sales_kpi.sync_lookback", rejected_sync_lookback);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.sync_lookback\": \"%s\"",
						rejected_sync_lookback),
				 errdetail("The value was set before sales_kpi was loaded and is not a duration from 0 to 7 days."),
				 errhint("SET sales_kpi.sync_lookback to a duration such as '10min'.")));
	}
	result = palloc0(sizeof(Interval));
	result->time = (int64) sync_lookback_seconds * USECS_PER_SEC;
	PG_RETURN_INTERVAL_P(result);
}

/* sales_kpi.corporate_currency() -> text: the code, or NULL when empty. */
PG_FUNCTION_INFO_V1(corporate_currency_setting);
Datum
corporate_currency_setting(PG_FUNCTION_ARGS)
{
	if (unlikely(rejected_corporate_currency != NULL))
	{
		refuse_unapplied("sales_kpi.corporate_currency", rejected_corporate_currency);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.corporate_currency\": \"%s\"",
						rejected_corporate_currency),
				 errdetail("The value was set before sales_kpi was loaded and is not an ISO 4217 code."),
				 errhint("SET sales_kpi.corporate_currency to a code such as 'USD', or to ''.")));
	}
	if (corporate_currency == NULL || corporate_currency[0] == '\0')
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(corporate_currency));
}

/* sales_kpi.probability_source() -> text: 'catalog' or 'learnt'. */
PG_FUNCTION_INFO_V1(probability_source_setting);
Datum
probability_source_setting(PG_FUNCTION_ARGS)
{
	if (unlikely(rejected_probability_source != NULL))
	{
		refuse_unapplied("sales_kpi.probability_source", rejected_probability_source);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.probability_source\": \"%s\"",
						rejected_probability_source),
				 errdetail("The value was set before sales_kpi was loaded and is neither catalog nor learnt."),
				 errhint("SET sales_kpi.probability_source to 'catalog' or 'learnt'.")));
	}
	PG_RETURN_TEXT_P(cstring_to_text(probability_source == 1 ? "learnt" : "catalog"));
}

/* sales_kpi.probability_window() -> integer days. */
PG_FUNCTION_INFO_V1(probability_window_setting);
Datum
probability_window_setting(PG_FUNCTION_ARGS)
{
	if (unlikely(rejected_probability_window != NULL))
	{
		refuse_unapplied("sales_kpi.probability_window", rejected_probability_window);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"sales_kpi.probability_window\": \"%s\"",
						rejected_probability_window),
				 errdetail("The value was set before sales_kpi was loaded and is not a number of days from 1 to 36500."),
				 errhint("SET sales_kpi.probability_window to a number of days such as 365.")));
	}
	PG_RETURN_INT32(probability_window_days);
}
