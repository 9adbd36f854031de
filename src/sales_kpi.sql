-- sales_kpi install script, assembled by the Makefile from src/*.sql.
-- User-facing functions go into the extension's schema (public by default);
-- support functions, the stage catalog and the data model go into schema
-- sales_kpi.  Every name is qualified: nothing resolves through search_path.

\echo Use "CREATE EXTENSION sales_kpi" to load this file. \quit

CREATE SCHEMA sales_kpi;
COMMENT ON SCHEMA sales_kpi IS 'sales_kpi: stage catalog, data model, dashboards and aggregate support functions';
GRANT USAGE ON SCHEMA sales_kpi TO PUBLIC;
