-- sales_kpi install script, assembled by the Makefile from src/*.sql.
-- User-facing functions go into the extension's schema (public by default);
-- support functions, the stage catalog and the data model go into schema
-- sales_kpi.  Every name is qualified: nothing resolves through search_path.

\echo Use "CREATE EXTENSION sales_kpi" to load this file. \quit

-- The one search-path rule of the whole script: unqualified names resolve
-- in pg_catalog only.  Tables are qualified with sales_kpi., the
-- extension's functions with @extschema@., and operators are written
-- OPERATOR(pg_catalog.x), so no object elsewhere can capture a name.
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE SCHEMA sales_kpi;
COMMENT ON SCHEMA sales_kpi IS 'sales_kpi: stage catalog, data model, dashboards and aggregate support functions';
GRANT USAGE ON SCHEMA sales_kpi TO PUBLIC;
