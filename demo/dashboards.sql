-- Prints the first rows of every dashboard (the materialized twins, just
-- refreshed), as `make demo` shows them.
\pset footer off
\pset null ''
\echo
\echo '== League status (sales_kpi.league_status_mv)'
SELECT section, rank, label, amount, target, round(attainment::numeric, 3) AS attainment
FROM sales_kpi.league_status_mv ORDER BY section <> 'year_to_date', section <> 'forecast', section, rank LIMIT 12;
\echo '== Pipeline (sales_kpi.pipeline_mv), first 8 reps'
SELECT rep_name, team, coalesce(pipeline, 'all') AS pipeline, open_deals, pipeline_value, weighted_pipeline,
       round(win_rate::numeric, 3) AS win_rate, avg_deal_size, avg_sales_cycle_days AS cycle_days,
       avg_time_in_pipeline_days AS open_days, stalled_deals AS stalled, pipeline_velocity AS velocity_per_day
FROM sales_kpi.pipeline_mv ORDER BY rep_id, pipeline NULLS FIRST LIMIT 9;
\echo '== Team activity (sales_kpi.team_activity_mv), first 8 reps'
SELECT rep_name, team, tasks_total, tasks_completed, tasks_overdue, calls, emails, meetings
FROM sales_kpi.team_activity_mv ORDER BY rep_id LIMIT 8;
\echo '== Performance (sales_kpi.performance_mv)'
SELECT dimension, dimension_value, won_deals, won_revenue, round(win_rate::numeric, 3) AS win_rate, avg_deal_size
FROM sales_kpi.performance_mv ORDER BY dimension, won_revenue DESC;
\echo '== Stage analysis (sales_kpi.stage_analysis_mv)'
SELECT pipeline, label AS stage, entered, in_stage_now, moved_on, lost_from_stage, avg_time_in_stage_days AS days_in_stage,
       round(conversion_to_next::numeric, 3) AS conversion_to_next, stalled_deals
FROM sales_kpi.stage_analysis_mv ORDER BY pipeline, pipeline_order NULLS LAST, stage;
\echo '== Leaderboard (sales_kpi.leaderboard_mv): teams, then the top 5 reps'
SELECT level, rank, name, round(quota_attainment::numeric, 3) AS attainment, won_revenue, deals_won,
       avg_sales_cycle_days AS cycle_days, pipeline_generated, open_pipeline, activities
FROM sales_kpi.leaderboard_mv WHERE level = 'team' OR rank <= 5 ORDER BY level DESC, rank LIMIT 11;
\echo '== KPI summary (sales_kpi.kpi_summary_mv): fiscal quarters'
SELECT period_label AS period, revenue, round(revenue_growth::numeric, 3) AS growth, deals_won,
       round(win_rate::numeric, 3) AS win_rate, round(lead_conversion::numeric, 3) AS conversion, avg_deal_size,
       acv, clv, cac, round(customer_churn::numeric, 3) AS churn, mrr, round(market_share::numeric, 3) AS share,
       round(quota_attainment::numeric, 3) AS attainment
FROM sales_kpi.kpi_summary_mv WHERE grain = 'quarter' ORDER BY period_start;
\echo '== Alerts (sales_kpi.kpi_alerts_mv)'
SELECT target_id, kpi, scope, scope_id, grain, round(value, 3) AS value, threshold, direction, round(gap, 3) AS gap
FROM sales_kpi.kpi_alerts_mv ORDER BY target_id, scope_id LIMIT 15;
