-- The dashboard reader role of the README ("BI tools and privileges"): it may
-- read the dashboards' materialized twins and nothing else.  Run as the
-- extension's owner; the role is created without a password here (the test
-- cluster trusts loopback), give it one in production.
CREATE ROLE dashboard_reader LOGIN;
GRANT USAGE ON SCHEMA sales_kpi TO dashboard_reader;
GRANT SELECT ON sales_kpi.league_status_mv, sales_kpi.pipeline_mv, sales_kpi.team_activity_mv,
      sales_kpi.performance_mv, sales_kpi.stage_analysis_mv, sales_kpi.leaderboard_mv,
      sales_kpi.kpi_summary_mv, sales_kpi.kpi_alerts_mv, sales_kpi.pipeline_flow_mv,
      sales_kpi.forecast_mv, sales_kpi.stage_probabilities_mv, sales_kpi.customer_cohorts_mv,
      sales_kpi.lost_reasons_mv, sales_kpi.customer_value_mv TO dashboard_reader;
