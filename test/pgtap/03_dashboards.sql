-- pgTAP: every dashboard view's columns and their types (what a BI tool
-- sees: counts bigint, money numeric, rates double precision, durations
-- interval plus a numeric days column, periods date), the materialized
-- twins and their unique keys, comments, and the refresh functions.
BEGIN;
SELECT plan(254);

CREATE TEMP TABLE expected_columns (view_name text, col text, type text, pos serial);
INSERT INTO expected_columns (view_name, col, type) VALUES
  ('league_status', 'section', 'text'), ('league_status', 'rank', 'bigint'), ('league_status', 'item_id', 'text'),
  ('league_status', 'label', 'text'), ('league_status', 'amount', 'numeric'), ('league_status', 'target', 'numeric'),
  ('league_status', 'attainment', 'double precision'), ('league_status', 'period_start', 'date'),
  ('league_status', 'as_of', 'date'),
  ('pipeline', 'rep_id', 'text'), ('pipeline', 'rep_name', 'text'), ('pipeline', 'team', 'text'),
  ('pipeline', 'region', 'text'), ('pipeline', 'pipeline', 'text'), ('pipeline', 'open_deals', 'bigint'), ('pipeline', 'pipeline_value', 'numeric'),
  ('pipeline', 'weighted_pipeline', 'numeric'), ('pipeline', 'win_rate', 'double precision'),
  ('pipeline', 'avg_deal_size', 'numeric'), ('pipeline', 'median_deal_size', 'numeric'),
  ('pipeline', 'avg_sales_cycle', 'interval'), ('pipeline', 'avg_sales_cycle_days', 'numeric'),
  ('pipeline', 'median_sales_cycle', 'interval'), ('pipeline', 'median_sales_cycle_days', 'numeric'),
  ('pipeline', 'avg_time_in_pipeline', 'interval'),
  ('pipeline', 'avg_time_in_pipeline_days', 'numeric'), ('pipeline', 'stalled_deals', 'bigint'),
  ('pipeline', 'pipeline_velocity', 'numeric'), ('pipeline', 'as_of', 'date'),
  ('team_activity', 'rep_id', 'text'), ('team_activity', 'rep_name', 'text'), ('team_activity', 'team', 'text'),
  ('team_activity', 'tasks_this_quarter', 'bigint'), ('team_activity', 'tasks_completed_this_quarter', 'bigint'),
  ('team_activity', 'tasks_overdue_any_age', 'bigint'), ('team_activity', 'calls', 'bigint'),
  ('team_activity', 'emails', 'bigint'), ('team_activity', 'meetings', 'bigint'),
  ('team_activity', 'activities_total', 'bigint'), ('team_activity', 'period_start', 'date'),
  ('team_activity', 'as_of', 'date'),
  ('performance', 'dimension', 'text'), ('performance', 'dimension_value', 'text'),
  ('performance', 'won_deals', 'bigint'), ('performance', 'won_revenue', 'numeric'),
  ('performance', 'win_rate', 'double precision'), ('performance', 'avg_deal_size', 'numeric'),
  ('performance', 'median_deal_size', 'numeric'), ('performance', 'avg_sales_cycle_days', 'numeric'),
  ('performance', 'median_sales_cycle_days', 'numeric'),
  ('performance', 'period_start', 'date'), ('performance', 'as_of', 'date'),
  ('stage_analysis', 'pipeline', 'text'), ('stage_analysis', 'stage', 'text'), ('stage_analysis', 'label', 'text'),
  ('stage_analysis', 'pipeline_order', 'integer'),
  ('stage_analysis', 'entered', 'bigint'), ('stage_analysis', 'deals_entered', 'bigint'),
  ('stage_analysis', 'in_stage_now', 'bigint'), ('stage_analysis', 'moved_on', 'bigint'),
  ('stage_analysis', 'lost_from_stage', 'bigint'), ('stage_analysis', 'avg_time_in_stage', 'interval'),
  ('stage_analysis', 'avg_time_in_stage_days', 'numeric'), ('stage_analysis', 'conversion_to_next', 'double precision'),
  ('stage_analysis', 'stalled_deals', 'bigint'), ('stage_analysis', 'as_of', 'date'),
  ('leaderboard', 'level', 'text'), ('leaderboard', 'entity_id', 'text'), ('leaderboard', 'name', 'text'),
  ('leaderboard', 'team', 'text'), ('leaderboard', 'rank', 'bigint'),
  ('leaderboard', 'quota_attainment', 'double precision'), ('leaderboard', 'won_revenue', 'numeric'),
  ('leaderboard', 'quota', 'numeric'), ('leaderboard', 'deals_won', 'bigint'),
  ('leaderboard', 'avg_sales_cycle', 'interval'), ('leaderboard', 'avg_sales_cycle_days', 'numeric'),
  ('leaderboard', 'pipeline_generated', 'numeric'), ('leaderboard', 'open_pipeline', 'numeric'),
  ('leaderboard', 'activities', 'bigint'), ('leaderboard', 'period_start', 'date'), ('leaderboard', 'as_of', 'date'),
  ('kpi_summary', 'grain', 'text'), ('kpi_summary', 'period_start', 'date'), ('kpi_summary', 'period_end', 'date'),
  ('kpi_summary', 'period_label', 'text'), ('kpi_summary', 'revenue', 'numeric'),
  ('kpi_summary', 'revenue_growth', 'double precision'), ('kpi_summary', 'deals_won', 'bigint'),
  ('kpi_summary', 'win_rate', 'double precision'), ('kpi_summary', 'lead_conversion', 'double precision'),
  ('kpi_summary', 'avg_deal_size', 'numeric'), ('kpi_summary', 'median_deal_size', 'numeric'),
  ('kpi_summary', 'avg_sales_cycle_days', 'numeric'), ('kpi_summary', 'median_sales_cycle_days', 'numeric'),
  ('kpi_summary', 'acv', 'numeric'), ('kpi_summary', 'clv', 'numeric'),
  ('kpi_summary', 'cac', 'numeric'), ('kpi_summary', 'customer_retention', 'double precision'),
  ('kpi_summary', 'customer_churn', 'double precision'), ('kpi_summary', 'mrr', 'numeric'),
  ('kpi_summary', 'market_share', 'double precision'), ('kpi_summary', 'rep_retention', 'double precision'),
  ('kpi_summary', 'avg_ramp_time', 'interval'), ('kpi_summary', 'avg_ramp_days', 'numeric'),
  ('kpi_summary', 'referrals_per_rep', 'double precision'), ('kpi_summary', 'quota_attainment', 'double precision'),
  ('kpi_summary', 'as_of', 'date'),
  ('kpi_alerts', 'target_id', 'bigint'), ('kpi_alerts', 'kpi', 'text'), ('kpi_alerts', 'scope', 'text'),
  ('kpi_alerts', 'scope_id', 'text'), ('kpi_alerts', 'grain', 'text'), ('kpi_alerts', 'value', 'numeric'),
  ('kpi_alerts', 'threshold', 'numeric'), ('kpi_alerts', 'direction', 'text'), ('kpi_alerts', 'gap', 'numeric'),
  ('kpi_alerts', 'note', 'text'), ('kpi_alerts', 'as_of', 'date'),
  ('customer_cohorts', 'cohort_month', 'date'), ('customer_cohorts', 'months_since', 'integer'), ('customer_cohorts', 'month_start', 'date'),
  ('customer_cohorts', 'customers', 'bigint'), ('customer_cohorts', 'retained', 'bigint'), ('customer_cohorts', 'retention', 'double precision'),
  ('customer_cohorts', 'revenue', 'numeric'), ('customer_cohorts', 'as_of', 'date'), ('forecast', 'rep_id', 'text'),
  ('forecast', 'rep_name', 'text'), ('forecast', 'team', 'text'), ('forecast', 'period_start', 'date'),
  ('forecast', 'period_label', 'text'), ('forecast', 'category', 'text'), ('forecast', 'deals', 'bigint'),
  ('forecast', 'amount', 'numeric'), ('forecast', 'weighted_amount', 'numeric'), ('forecast', 'as_of', 'date'),
  ('lost_reasons', 'level', 'text'), ('lost_reasons', 'reason', 'text'), ('lost_reasons', 'lost_from_stage', 'text'),
  ('lost_reasons', 'rep_id', 'text'), ('lost_reasons', 'rep_name', 'text'), ('lost_reasons', 'deals', 'bigint'),
  ('lost_reasons', 'amount', 'numeric'), ('lost_reasons', 'share', 'double precision'), ('lost_reasons', 'period_start', 'date'),
  ('lost_reasons', 'as_of', 'date'), ('pipeline_flow', 'level', 'text'), ('pipeline_flow', 'entity_id', 'text'),
  ('pipeline_flow', 'name', 'text'), ('pipeline_flow', 'team', 'text'), ('pipeline_flow', 'opening_deals', 'bigint'),
  ('pipeline_flow', 'opening_amount', 'numeric'), ('pipeline_flow', 'created_deals', 'bigint'), ('pipeline_flow', 'created_amount', 'numeric'),
  ('pipeline_flow', 'reopened_deals', 'bigint'), ('pipeline_flow', 'reopened_amount', 'numeric'), ('pipeline_flow', 'increased_deals', 'bigint'),
  ('pipeline_flow', 'increased_amount', 'numeric'), ('pipeline_flow', 'decreased_deals', 'bigint'), ('pipeline_flow', 'decreased_amount', 'numeric'),
  ('pipeline_flow', 'won_deals', 'bigint'), ('pipeline_flow', 'won_amount', 'numeric'), ('pipeline_flow', 'lost_deals', 'bigint'),
  ('pipeline_flow', 'lost_amount', 'numeric'), ('pipeline_flow', 'removed_deals', 'bigint'), ('pipeline_flow', 'removed_amount', 'numeric'),
  ('pipeline_flow', 'closing_deals', 'bigint'), ('pipeline_flow', 'closing_amount', 'numeric'), ('pipeline_flow', 'moved_in_deals', 'bigint'),
  ('pipeline_flow', 'moved_in_amount', 'numeric'), ('pipeline_flow', 'moved_out_deals', 'bigint'), ('pipeline_flow', 'moved_out_amount', 'numeric'),
  ('pipeline_flow', 'pulled_in_deals', 'bigint'), ('pipeline_flow', 'pulled_in_amount', 'numeric'), ('pipeline_flow', 'pushed_out_deals', 'bigint'),
  ('pipeline_flow', 'pushed_out_amount', 'numeric'), ('pipeline_flow', 'period_start', 'date'), ('pipeline_flow', 'as_of', 'date'),
  ('stage_probabilities', 'pipeline', 'text'), ('stage_probabilities', 'stage', 'text'), ('stage_probabilities', 'label', 'text'),
  ('stage_probabilities', 'pipeline_order', 'integer'), ('stage_probabilities', 'catalog_probability', 'numeric'), ('stage_probabilities', 'closed_deals', 'bigint'),
  ('stage_probabilities', 'won_deals', 'bigint'), ('stage_probabilities', 'learnt_probability', 'numeric'), ('stage_probabilities', 'probability_in_use', 'numeric'),
  ('stage_probabilities', 'window_start', 'date'), ('stage_probabilities', 'as_of', 'date'),
  ('customer_value', 'customer_id', 'text'), ('customer_value', 'customer_name', 'text'), ('customer_value', 'segment', 'text'),
  ('customer_value', 'repeat_purchases', 'integer'), ('customer_value', 'recency_days', 'double precision'), ('customer_value', 'age_days', 'double precision'),
  ('customer_value', 'mean_spend', 'numeric'), ('customer_value', 'formula_clv', 'numeric'), ('customer_value', 'expected_purchases_next_year', 'numeric'),
  ('customer_value', 'p_alive', 'double precision'), ('customer_value', 'predicted_clv', 'numeric'), ('customer_value', 'as_of', 'date');

-- 14 views: each exists, has exactly these columns, in this order.
SELECT has_view('sales_kpi', v, 'dashboard view sales_kpi.' || v || ' exists')
FROM (SELECT DISTINCT view_name AS v FROM expected_columns) x ORDER BY v;
SELECT columns_are('sales_kpi', view_name, array_agg(col ORDER BY pos),
                   'sales_kpi.' || view_name || ' has exactly its documented columns')
FROM expected_columns GROUP BY view_name ORDER BY view_name;
-- 201 columns: the type of each.
SELECT col_type_is('sales_kpi', view_name, col, type, 'sales_kpi.' || view_name || '.' || col || ' is ' || type)
FROM expected_columns ORDER BY pos;

-- Live views run as the reader (row-level security applies) and every view
-- and column is commented.
SELECT is_empty($$
  SELECT c.relname FROM pg_class c
  WHERE c.relnamespace = 'sales_kpi'::regnamespace AND c.relkind = 'v'
    AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false) $$,
  'every view is security_invoker');
SELECT is_empty($$
  SELECT c.relname || '.' || a.attname FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
  WHERE c.relnamespace = 'sales_kpi'::regnamespace AND c.relkind = 'v'
    AND col_description(c.oid, a.attnum) IS NULL $$,
  'every view column has a comment');
SELECT is_empty($$
  SELECT c.relname FROM pg_class c
  WHERE c.relnamespace = 'sales_kpi'::regnamespace AND c.relkind IN ('v', 'm', 'r')
    AND obj_description(c.oid, 'pg_class') IS NULL $$,
  'every table, view and materialized view has a comment');

-- The twins: one per dashboard, with the unique index a concurrent refresh
-- needs, readable by no one until granted.
SELECT has_materialized_view('sales_kpi', v || '_mv', 'sales_kpi.' || v || '_mv exists')
FROM (VALUES ('league_status'), ('pipeline'), ('team_activity'), ('performance'), ('stage_analysis'),
             ('leaderboard'), ('kpi_summary_periods'), ('kpi_summary'), ('kpi_alerts'), ('pipeline_flow'),
             ('stage_probabilities'), ('forecast'), ('customer_cohorts'), ('lost_reasons'), ('customer_value')) AS x(v);
SELECT is_empty($$
  SELECT m.matviewname FROM pg_matviews m
  WHERE m.schemaname = 'sales_kpi' AND NOT EXISTS (
    SELECT 1 FROM pg_index i WHERE i.indrelid = format('sales_kpi.%I', m.matviewname)::regclass
      AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL) $$,
  'every twin has a plain unique index (REFRESH ... CONCURRENTLY)');
SELECT is_empty($$
  SELECT m.matviewname FROM pg_matviews m
  WHERE m.schemaname = 'sales_kpi' AND has_table_privilege('public', format('sales_kpi.%I', m.matviewname), 'SELECT') $$,
  'no twin is readable by PUBLIC (they bypass row-level security)');

-- Refresh and scheduling.
SELECT function_returns('sales_kpi', 'refresh_dashboards', ARRAY['boolean'], 'setof record',
                        'refresh_dashboards(full boolean) returns a row per view');
SELECT function_returns('sales_kpi', 'schedule_refresh', ARRAY['text'], 'bigint', 'schedule_refresh(text) returns the job id');
SELECT function_returns('sales_kpi', 'unschedule_refresh', ARRAY[]::text[], 'boolean', 'unschedule_refresh() returns boolean');
SELECT ok(NOT has_function_privilege('public', 'sales_kpi.refresh_dashboards(boolean)', 'EXECUTE'),
          'PUBLIC may not refresh the dashboards');

SELECT * FROM finish();
ROLLBACK;
