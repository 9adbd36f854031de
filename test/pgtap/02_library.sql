-- pgTAP: the rest of the KPI library — aggregates, window functions,
-- scalar helpers and fiscal periods.
BEGIN;
SELECT plan(34);

SELECT is_aggregate('public', f, a, f || '(' || array_to_string(a, ', ') || ') is an aggregate')
FROM (VALUES ('acv', ARRAY['numeric', 'daterange']),
             ('pipeline_velocity', ARRAY['text', 'numeric', 'timestamp with time zone', 'timestamp with time zone']),
             ('retention_rate', ARRAY['daterange', 'daterange']),
             ('churn_rate', ARRAY['daterange', 'daterange'])) AS v(f, a);

SELECT function_returns('public', f, a, r, f || '(' || array_to_string(a, ', ') || ') returns ' || r)
FROM (VALUES ('acv', ARRAY['numeric', 'daterange'], 'numeric'),
             ('pipeline_velocity', ARRAY['text', 'numeric', 'timestamp with time zone', 'timestamp with time zone'], 'numeric'),
             ('retention_rate', ARRAY['daterange', 'daterange'], 'double precision'),
             ('churn_rate', ARRAY['daterange', 'daterange'], 'double precision'),
             ('period_growth', ARRAY['numeric'], 'double precision'),
             ('time_in_stage', ARRAY['timestamp with time zone'], 'interval'),
             ('time_in_stage', ARRAY['timestamp with time zone', 'timestamp with time zone'], 'interval'),
             ('growth_rate', ARRAY['numeric', 'numeric'], 'double precision'),
             ('cac', ARRAY['numeric', 'bigint'], 'numeric'),
             ('lead_conversion_rate', ARRAY['bigint', 'bigint'], 'double precision'),
             ('quota_attainment', ARRAY['numeric', 'numeric'], 'double precision'),
             ('market_share', ARRAY['numeric', 'numeric'], 'double precision'),
             ('rep_retention_rate', ARRAY['bigint', 'bigint', 'bigint'], 'double precision'),
             ('customer_retention_rate', ARRAY['bigint', 'bigint', 'bigint'], 'double precision'),
             ('fiscal_period_start', ARRAY['timestamp with time zone', 'text'], 'date'),
             ('fiscal_period_label', ARRAY['timestamp with time zone', 'text'], 'text')) AS v(f, a, r);

-- True window functions (prokind 'w'): OVER (...) is required.
SELECT ok((SELECT prokind = 'w' FROM pg_proc WHERE oid = s::regprocedure), s || ' is a window function')
FROM (VALUES ('public.period_growth(numeric)'), ('public.time_in_stage(timestamptz)'),
             ('public.time_in_stage(timestamptz, timestamptz)')) AS v(s);

-- Volatility as it truly is.
SELECT volatility_is('public', f, a, v, f || '(' || array_to_string(a, ', ') || ') is ' || v)
FROM (VALUES ('time_in_stage', ARRAY['timestamp with time zone'], 'stable'),
             ('time_in_stage', ARRAY['timestamp with time zone', 'timestamp with time zone'], 'immutable'),
             ('period_growth', ARRAY['numeric'], 'immutable'),
             ('growth_rate', ARRAY['numeric', 'numeric'], 'immutable'),
             ('cac', ARRAY['numeric', 'bigint'], 'immutable'),
             ('fiscal_period_start', ARRAY['timestamp with time zone', 'text'], 'stable'),
             ('fiscal_period_label', ARRAY['timestamp with time zone', 'text'], 'stable')) AS v(f, a, v);

-- The fiscal-year setting: defined once the library is loaded, default 1,
-- range 1-12.
SELECT is(fiscal_period_label(date '2026-06-01', 'year'), 'FY2026', 'fiscal_period_label works (and loads the library)');
SELECT is((SELECT setting FROM pg_settings WHERE name = 'sales_kpi.fiscal_year_start_month'), '1',
          'sales_kpi.fiscal_year_start_month defaults to 1');
SELECT is((SELECT min_val || '-' || max_val FROM pg_settings WHERE name = 'sales_kpi.fiscal_year_start_month'),
          '1-12', 'sales_kpi.fiscal_year_start_month accepts 1 to 12');
SELECT is((SELECT context FROM pg_settings WHERE name = 'sales_kpi.fiscal_year_start_month'), 'user',
          'any user may set sales_kpi.fiscal_year_start_month');

SELECT * FROM finish();
ROLLBACK;
