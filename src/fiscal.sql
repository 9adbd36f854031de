-- Fiscal periods: C in src/fiscal.c.  STABLE: they read the setting
-- sales_kpi.fiscal_year_start_month and the session time zone.

CREATE FUNCTION @extschema@.fiscal_period_start(ts timestamptz, grain text) RETURNS date
    AS 'MODULE_PATHNAME', 'fiscal_period_start' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fiscal_period_start(timestamptz, text) IS
    'First day of the fiscal month, quarter or year containing ts (setting sales_kpi.fiscal_year_start_month)';

CREATE FUNCTION @extschema@.fiscal_period_label(ts timestamptz, grain text) RETURNS text
    AS 'MODULE_PATHNAME', 'fiscal_period_label' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fiscal_period_label(timestamptz, text) IS
    'Label of the fiscal period containing ts: FY2026, FY2026-Q1 or FY2026-M01; a fiscal year is named by the calendar year in which it ends';
