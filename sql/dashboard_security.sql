--
-- Row-level security: the live dashboards are security_invoker views, so a
-- policy that lets a rep's login see only their own rows makes every live
-- dashboard show only that rep's numbers.  The materialized twins hold what
-- their owner saw at refresh time: row-level security does not apply to
-- them, which is why no one may read them until granted.
--
\i sql/fixtures/dashboard_data.sql
SET client_min_messages = warning;
CREATE ROLE regress_ann LOGIN;
CREATE ROLE regress_bob LOGIN;
RESET client_min_messages;
GRANT USAGE ON SCHEMA sales_kpi TO regress_ann, regress_bob;
GRANT SELECT ON sales_kpi.reps, sales_kpi.customers, sales_kpi.products, sales_kpi.deals,
                sales_kpi.deal_history, sales_kpi.deal_versions, sales_kpi.deal_stage_history,
                sales_kpi.activities, sales_kpi.quotas,
                sales_kpi.marketing_spend, sales_kpi.market_size, sales_kpi.subscriptions,
                sales_kpi.kpi_targets,
                sales_kpi.deal_state, sales_kpi.fiscal_now, sales_kpi.stage_probabilities,
                sales_kpi.league_status, sales_kpi.pipeline,
                sales_kpi.team_activity, sales_kpi.performance, sales_kpi.stage_visits,
                sales_kpi.stage_visit_totals, sales_kpi.stage_analysis, sales_kpi.leaderboard,
                sales_kpi.kpi_summary_periods, sales_kpi.kpi_summary, sales_kpi.kpi_values, sales_kpi.kpi_alerts
   TO regress_ann, regress_bob;

-- A rep sees their own row, deals (the versions they owned), activities and
-- quotas.
ALTER TABLE sales_kpi.reps ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.deals ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.deal_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.activities ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.quotas ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_row ON sales_kpi.reps USING (login = current_user);
CREATE POLICY own_deals ON sales_kpi.deals
    USING (rep_id IN (SELECT rep_id FROM sales_kpi.reps WHERE login = current_user));
CREATE POLICY own_history ON sales_kpi.deal_history
    USING (rep_id IN (SELECT rep_id FROM sales_kpi.reps WHERE login = current_user));
CREATE POLICY own_activities ON sales_kpi.activities
    USING (rep_id IN (SELECT rep_id FROM sales_kpi.reps WHERE login = current_user));
CREATE POLICY own_quotas ON sales_kpi.quotas
    USING (rep_id IN (SELECT rep_id FROM sales_kpi.reps WHERE login = current_user));

SELECT count(*) AS refreshed_by_owner, count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();
GRANT SELECT ON sales_kpi.pipeline_mv TO regress_ann;

SET ROLE regress_ann;
-- Ann's deals only: 1, 2, 3 and 7.
SELECT array_agg(deal_id ORDER BY deal_id) AS deals_ann_sees FROM sales_kpi.deal_state;
-- Pipeline: Ann's row alone, with the same numbers as in dashboards.sql.
SELECT rep_id, open_deals, pipeline_value, weighted_pipeline, win_rate, stalled_deals, pipeline_velocity
FROM sales_kpi.pipeline;
-- League status: won this year 1000 (deal 1) against Ann's quota 6000;
-- forecast 1000 + 1000 + 400; only Ann's deals and Ann in the lists.
SELECT section, rank, item_id, amount, target, attainment FROM sales_kpi.league_status ORDER BY section, rank;
SELECT rep_id, tasks_this_quarter, tasks_overdue_any_age, activities_total FROM sales_kpi.team_activity;
-- Performance: deals 1 (won) and 2 (lost).
SELECT dimension, dimension_value, won_deals, won_revenue, win_rate FROM sales_kpi.performance
ORDER BY dimension, dimension_value;
-- Stage analysis: the history of deals 1, 2, 3 and 7.
SELECT stage, entered, in_stage_now, stalled_deals FROM sales_kpi.stage_analysis ORDER BY pipeline_order;
-- Leaderboard: Ann, and a team East of Ann alone.
SELECT level, entity_id, won_revenue, quota, pipeline_generated, activities FROM sales_kpi.leaderboard
ORDER BY level, entity_id;
-- KPI summary: Ann's revenue: February 1000, nothing else.
SELECT period_label, revenue, deals_won, win_rate, quota_attainment FROM sales_kpi.kpi_summary
WHERE grain = 'quarter' ORDER BY period_start;
SELECT target_id, scope, scope_id, value FROM sales_kpi.kpi_alerts ORDER BY target_id, scope_id;

-- The twin, once granted, shows every rep: it bypasses row-level security.
SELECT array_agg(rep_id ORDER BY rep_id) AS reps_in_twin FROM sales_kpi.pipeline_mv;
-- Twins not granted are not readable at all.
SELECT count(*) FROM sales_kpi.leaderboard_mv;
-- Nor are the stores the twins are computed from, nor the change log.
SELECT count(*) FROM sales_kpi.deal_state_store;
SELECT count(*) FROM sales_kpi.stage_visits_store;
SELECT count(*) FROM sales_kpi.stage_visit_totals_store;
SELECT count(*) FROM sales_kpi.dashboard_changes;
RESET ROLE;

-- Bob sees only Bob.
SET ROLE regress_bob;
SELECT rep_id, open_deals, pipeline_value, win_rate FROM sales_kpi.pipeline;
SELECT section, amount, target FROM sales_kpi.league_status WHERE section = 'year_to_date';
RESET ROLE;

DROP POLICY own_row ON sales_kpi.reps;
DROP POLICY own_deals ON sales_kpi.deals;
DROP POLICY own_history ON sales_kpi.deal_history;
DROP POLICY own_activities ON sales_kpi.activities;
DROP POLICY own_quotas ON sales_kpi.quotas;
ALTER TABLE sales_kpi.reps DISABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.deals DISABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.deal_history DISABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.activities DISABLE ROW LEVEL SECURITY;
ALTER TABLE sales_kpi.quotas DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON ALL TABLES IN SCHEMA sales_kpi FROM regress_ann, regress_bob;
REVOKE USAGE ON SCHEMA sales_kpi FROM regress_ann, regress_bob;
DROP ROLE regress_ann;
DROP ROLE regress_bob;
TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages;
SELECT count(*) AS rows_left FROM sales_kpi.refresh_dashboards() WHERE error IS NOT NULL;
