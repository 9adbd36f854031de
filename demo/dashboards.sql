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
SELECT rep_name, team, tasks_this_quarter AS tasks, tasks_completed_this_quarter AS completed,
       tasks_overdue_any_age AS overdue_any_age, calls, emails, meetings
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
\echo '== Pipeline flow (sales_kpi.pipeline_flow_mv): this quarter to date, by team'
SELECT name AS team, round(opening_amount) AS opening, round(created_amount) AS created,
       round(reopened_amount) AS reopened, round(increased_amount - decreased_amount) AS edits, round(won_amount) AS won,
       round(lost_amount) AS lost, round(removed_amount) AS removed, round(closing_amount) AS closing,
       pulled_in_deals AS pulled_in, pushed_out_deals AS pushed_out
FROM sales_kpi.pipeline_flow_mv WHERE level = 'team' ORDER BY entity_id;
\echo '== Forecast (sales_kpi.forecast_mv): this and next quarter, all reps'
SELECT period_label AS quarter, category, sum(deals) AS deals, round(sum(amount), 2) AS amount,
       sum(weighted_amount) AS weighted
FROM sales_kpi.forecast_mv GROUP BY period_start, period_label, category
ORDER BY period_start, array_position(ARRAY['closed', 'commit', 'best_case', 'pipeline', 'omitted'], category);
\echo '== Stage probabilities (sales_kpi.stage_probabilities_mv): learnt beside the catalog'
SELECT pipeline, label AS stage, catalog_probability AS catalog, closed_deals, round(learnt_probability, 3) AS learnt
FROM sales_kpi.stage_probabilities_mv ORDER BY pipeline, pipeline_order;
\echo '== Customer cohorts (sales_kpi.customer_cohorts_mv): retention of the first four cohorts at 0, 3, 6, 12 months'
SELECT cohort_month, customers,
       max(round(retention::numeric, 3)) FILTER (WHERE months_since = 0) AS m0,
       max(round(retention::numeric, 3)) FILTER (WHERE months_since = 3) AS m3,
       max(round(retention::numeric, 3)) FILTER (WHERE months_since = 6) AS m6,
       max(round(retention::numeric, 3)) FILTER (WHERE months_since = 12) AS m12,
       round(sum(revenue), 2) AS revenue_to_date
FROM sales_kpi.customer_cohorts_mv GROUP BY cohort_month, customers ORDER BY cohort_month LIMIT 4;
\echo '== Lost reasons (sales_kpi.lost_reasons_mv): this fiscal year'
SELECT reason, deals, round(amount, 2) AS amount, round(share::numeric, 3) AS share
FROM sales_kpi.lost_reasons_mv WHERE level = 'reason' ORDER BY deals DESC;
\echo '== Customer value (sales_kpi.customer_value_mv): the five most valuable customers by predicted CLV'
SELECT customer_name, segment, repeat_purchases, recency_days, age_days, mean_spend, formula_clv,
       expected_purchases_next_year, round(p_alive::numeric, 3) AS p_alive, predicted_clv
FROM sales_kpi.customer_value_mv ORDER BY predicted_clv DESC NULLS LAST LIMIT 5;
