-- sales_kpi 1.0 -> 1.0.1

\echo Use "ALTER EXTENSION sales_kpi UPDATE TO '1.0.1'" to load this file. \quit

-- The constructors are plain SQL without settings (every name qualified),
-- so that the planner inlines them like the CLV models' other SQL forms.
ALTER FUNCTION @extschema@.bgnbd_params(float8, float8, float8, float8) RESET search_path;
ALTER FUNCTION @extschema@.gamma_gamma_params(float8, float8, float8) RESET search_path;
