--
-- The settings sales_kpi.fiscal_year_start_month and sales_kpi.as_of: every
-- spelling PostgreSQL accepts, whichever way they are set, and whether or
-- not the library was loaded when they were set.
--
-- A value set before the library is loaded in a session is a placeholder,
-- checked when the library loads.  \c starts a new session in which the
-- library is not loaded yet, so the SET that follows it is a placeholder,
-- as a PGOPTIONS, ALTER ROLE or ALTER DATABASE value is.
--
\set VERBOSITY default

-- Valid but unusual spellings of month 4, set before the library loads:
-- 2026-02-15 is then in FY2026, which started on 2025-04-01 (the dates are
-- shown in ISO form; pg_regress's DateStyle would print 04-01-2025).
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.fiscal_year_start_month = '04';
SELECT fiscal_period_label('2026-02-15', 'year') AS fy, fiscal_period_start('2026-02-15', 'year')::text AS fy_start;
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.fiscal_year_start_month = ' 4';
SELECT fiscal_period_start('2026-02-15', 'year')::text AS fy_start, current_setting('sales_kpi.fiscal_year_start_month') AS shown;
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.fiscal_year_start_month = '4 ';
SELECT fiscal_period_start('2026-02-15', 'year')::text AS fy_start;
-- ... and once it is loaded.
SET sales_kpi.fiscal_year_start_month = '004';
SELECT fiscal_period_start('2026-02-15', 'year')::text AS fy_start, current_setting('sales_kpi.fiscal_year_start_month') AS shown;
SET sales_kpi.fiscal_year_start_month = 7.0;
SELECT fiscal_period_start('2026-02-15', 'year')::text AS july_start;
RESET sales_kpi.fiscal_year_start_month;

-- As a database default, read by every new session.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET sales_kpi.fiscal_year_start_month = %L', current_database(), '04'); END $$;
\c
SET datestyle = 'ISO, MDY';
SELECT fiscal_period_start('2026-02-15', 'year')::text AS fy_start;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET sales_kpi.fiscal_year_start_month', current_database()); END $$;

-- An invalid placeholder is discarded when the library loads (a WARNING
-- from PostgreSQL), and the fiscal functions then refuse to run rather than
-- use January, until the setting is set again.
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.fiscal_year_start_month = '13';
SELECT fiscal_period_label('2026-02-15', 'year') AS fy;
SELECT fiscal_period_label('2026-02-15', 'year') AS fy;
SET sales_kpi.fiscal_year_start_month = 4;
SELECT fiscal_period_start('2026-02-15', 'year')::text AS fy_start;
-- Once loaded, SET checks the value itself.
SET sales_kpi.fiscal_year_start_month = '13';
SET sales_kpi.fiscal_year_start_month = 'April';

--
-- sales_kpi.as_of is a day written YYYY-MM-DD, the same whatever DateStyle
-- says; anything else is refused when it is set (22007).
--
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.as_of = '2026-03-04';
SET datestyle = 'ISO, DMY';
SELECT sales_kpi.as_of()::text AS dmy_session;
SET datestyle = 'ISO, MDY';
SELECT sales_kpi.as_of()::text AS mdy_session;
SET datestyle = 'German, DMY';
SELECT to_char(sales_kpi.as_of(), 'YYYY-MM-DD') AS german_session;
SET datestyle = 'ISO, MDY';
-- Surrounding white space is allowed; the setting shows what was set.
SET sales_kpi.as_of = ' 2026-03-31 ';
SELECT sales_kpi.as_of()::text AS as_of, current_setting('sales_kpi.as_of') AS shown;
-- Refused, each with 22007, keeping the day set before:
SET sales_kpi.as_of = '03/04/2026';
\echo :LAST_ERROR_SQLSTATE
SET sales_kpi.as_of = '2026-02-30';
SET sales_kpi.as_of = '2026-3-4';
SET sales_kpi.as_of = 'today';
SET sales_kpi.as_of = 'infinity';
SET sales_kpi.as_of = '2026-03-31 12:00';
SET sales_kpi.as_of = '0000-01-01';
SELECT sales_kpi.as_of()::text AS still;
-- 29 February exists in leap years only.
SET sales_kpi.as_of = '2024-02-29';
SELECT sales_kpi.as_of()::text AS leap_day;
SET sales_kpi.as_of = '2025-02-29';
-- '' (the default) is today.
SET sales_kpi.as_of = '';
SELECT sales_kpi.as_of() = current_date AS empty_is_today;
RESET sales_kpi.as_of;
SELECT sales_kpi.as_of() = current_date AS reset_is_today;

-- A placeholder in another DateStyle's order is discarded at load, and
-- reading the day then fails (22007) instead of silently using today.
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.as_of = '03/04/2026';
SELECT sales_kpi.as_of();
\echo :LAST_ERROR_SQLSTATE
SELECT year_label FROM sales_kpi.fiscal_now;
SET sales_kpi.as_of = '2026-03-04';
SELECT sales_kpi.as_of()::text AS as_of;
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.as_of = '2026-03-04';
SELECT sales_kpi.as_of()::text AS valid_placeholder;

-- A library first loaded inside a parallel operation cannot apply the
-- settings made before (PostgreSQL keeps the defaults, with a WARNING):
-- here a PARALLEL RESTRICTED function body calls into it while the leader
-- of a forced parallel plan runs.  The functions reading a setting then
-- refuse to run (55000) rather than use the default, until it is set again.
\c
SET datestyle = 'ISO, MDY';
SET sales_kpi.as_of = '2026-03-04';
CREATE FUNCTION pg_temp.as_of_inside() RETURNS date
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS $$ BEGIN RETURN sales_kpi.as_of(); END $$;
SET force_parallel_mode = on;
\set SHOW_CONTEXT never
SELECT pg_temp.as_of_inside();
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
RESET force_parallel_mode;
SELECT sales_kpi.as_of();
SET sales_kpi.as_of = '2026-03-04';
SELECT sales_kpi.as_of()::text AS set_again;
