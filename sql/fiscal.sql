--
-- Fiscal periods: sales_kpi.fiscal_year_start_month, fiscal_period_start()
-- and fiscal_period_label().  A fiscal year is named by the calendar year in
-- which it ends.
--

-- A value set before the library is loaded is only a placeholder; when it is
-- out of range PostgreSQL discards it at load with a warning, and the fiscal
-- functions then refuse to guess.
SET sales_kpi.fiscal_year_start_month = 13;
SELECT fiscal_period_label(date '2024-05-01', 'year');
\echo :LAST_ERROR_SQLSTATE
SET sales_kpi.fiscal_year_start_month = 4;
SELECT fiscal_period_label(date '2024-05-01', 'year') AS fy_after_fix;
RESET sales_kpi.fiscal_year_start_month;
SHOW sales_kpi.fiscal_year_start_month;

-- Dates across year boundaries and leap days, for start months 1, 2, 4, 7, 10.
CREATE TABLE days (d date);
INSERT INTO days VALUES ('2023-12-31'), ('2024-01-01'), ('2024-01-31'), ('2024-02-01'),
  ('2024-02-29'), ('2024-03-31'), ('2024-04-01'), ('2024-06-30'), ('2024-07-01'),
  ('2024-09-30'), ('2024-10-01'), ('2024-12-31'), ('2025-01-01');

CREATE FUNCTION fiscal_table(start_month int)
RETURNS TABLE (d date, year_start date, year_label text, quarter_start date, quarter_label text,
               month_start date, month_label text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('sales_kpi.fiscal_year_start_month', start_month::text, true);
  RETURN QUERY
  SELECT x.d, fiscal_period_start(x.d, 'year'), fiscal_period_label(x.d, 'year'),
         fiscal_period_start(x.d, 'quarter'), fiscal_period_label(x.d, 'quarter'),
         fiscal_period_start(x.d, 'month'), fiscal_period_label(x.d, 'month')
  FROM days x ORDER BY x.d;
END $$;

SELECT * FROM fiscal_table(1);
SELECT * FROM fiscal_table(2);
SELECT * FROM fiscal_table(4);
SELECT * FROM fiscal_table(7);
SELECT * FROM fiscal_table(10);

-- Grains are case-insensitive; timestamps are read in the session time zone.
SET sales_kpi.fiscal_year_start_month = 4;
-- 2024-12-31 23:30 in California is 2025-01-01 07:30 in UTC: another quarter.
SELECT fiscal_period_label(timestamptz '2024-12-31 23:30:00-08', 'QUARTER') AS in_pst,
       fiscal_period_label(timestamptz '2025-01-01 07:30:00+00', 'Quarter') AS same_instant;
SET timezone = 'UTC';
SELECT fiscal_period_label(timestamptz '2024-12-31 23:30:00-08', 'quarter') AS in_utc;
RESET timezone;

-- Once loaded, the setting is validated when set.
SET sales_kpi.fiscal_year_start_month = 13;
\echo :LAST_ERROR_SQLSTATE
SET sales_kpi.fiscal_year_start_month = 0;
SET sales_kpi.fiscal_year_start_month = 'april';
SHOW sales_kpi.fiscal_year_start_month;
RESET sales_kpi.fiscal_year_start_month;
SHOW sales_kpi.fiscal_year_start_month;

DROP FUNCTION fiscal_table(int);
DROP TABLE days;
