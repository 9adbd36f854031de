-- Dashboard: Alerts.  Every KPI value past the threshold of a kpi_targets
-- row.  kpi_values lays the KPIs out one per row: company KPIs of the
-- current fiscal month, quarter and year (kpi_summary), rep KPIs (pipeline,
-- leaderboard) and team KPIs (leaderboard).
--
-- Both are written once, over named sources: the live views below run the
-- live dashboards' queries; the alerts' materialized twin (refresh.sql) reads the
-- twins refreshed just before it, so that a refresh does not compute the
-- summary, pipeline and leaderboard a second time.
CREATE FUNCTION sales_kpi.kpi_values_query(summary text, pipeline text, leaderboard text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
SELECT format($q$
SELECT 'company'::text AS scope, NULL::text AS scope_id, s.grain, v.kpi, v.value
FROM %1$s s
CROSS JOIN LATERAL (VALUES
    ('revenue', s.revenue), ('revenue_growth', s.revenue_growth::numeric), ('deals_won', s.deals_won::numeric),
    ('win_rate', s.win_rate::numeric), ('lead_conversion', s.lead_conversion::numeric),
    ('avg_deal_size', s.avg_deal_size), ('acv', s.acv), ('clv', s.clv), ('cac', s.cac),
    ('customer_retention', s.customer_retention::numeric), ('customer_churn', s.customer_churn::numeric),
    ('mrr', s.mrr), ('market_share', s.market_share::numeric), ('rep_retention', s.rep_retention::numeric),
    ('avg_ramp_days', s.avg_ramp_days), ('referrals_per_rep', s.referrals_per_rep::numeric),
    ('quota_attainment', s.quota_attainment::numeric)) AS v(kpi, value)
WHERE s.period_end = s.as_of + 1
UNION ALL
SELECT 'rep', p.rep_id, NULL, v.kpi, v.value
FROM %2$s p
CROSS JOIN LATERAL (VALUES
    ('open_deals', p.open_deals::numeric), ('pipeline_value', p.pipeline_value),
    ('weighted_pipeline', p.weighted_pipeline), ('win_rate', p.win_rate::numeric),
    ('avg_deal_size', p.avg_deal_size), ('avg_sales_cycle_days', p.avg_sales_cycle_days),
    ('stalled_deals', p.stalled_deals::numeric), ('pipeline_velocity', p.pipeline_velocity)) AS v(kpi, value)
WHERE p.pipeline IS NULL
UNION ALL
SELECT l.level, l.entity_id, NULL, v.kpi, v.value
FROM %3$s l
CROSS JOIN LATERAL (VALUES
    ('quota_attainment', l.quota_attainment::numeric), ('won_revenue', l.won_revenue),
    ('deals_won', l.deals_won::numeric), ('activities', l.activities::numeric),
    ('open_pipeline', l.open_pipeline), ('pipeline_generated', l.pipeline_generated)) AS v(kpi, value)
$q$, summary, pipeline, leaderboard)
$f$;
COMMENT ON FUNCTION sales_kpi.kpi_values_query(text, text, text) IS
    'The query of kpi_values over the given summary, pipeline and leaderboard relations (live views or twins)';
CREATE FUNCTION sales_kpi.kpi_alerts_query(kpi_values text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
SELECT format($q$
SELECT t.target_id,
       t.kpi,
       t.scope,
       coalesce(v.scope_id, 'company') AS scope_id,
       CASE WHEN t.scope = 'company' THEN t.grain END AS grain,
       v.value,
       t.threshold,
       t.direction,
       v.value - t.threshold AS gap,
       t.note,
       sales_kpi.as_of() AS as_of
FROM sales_kpi.kpi_targets t
JOIN %1$s v
  ON v.kpi = t.kpi AND v.scope = t.scope
 AND (t.scope_id IS NULL OR v.scope_id = t.scope_id)
 AND (t.scope <> 'company' OR v.grain = t.grain)
WHERE (t.direction = 'at_least' AND v.value < t.threshold)
   OR (t.direction = 'at_most' AND v.value > t.threshold)
$q$, kpi_values)
$f$;
COMMENT ON FUNCTION sales_kpi.kpi_alerts_query(text) IS
    'The query of kpi_alerts over the given kpi_values relation (live view or the twins'' one)';
REVOKE ALL ON FUNCTION sales_kpi.kpi_values_query(text, text, text), sales_kpi.kpi_alerts_query(text) FROM PUBLIC;

-- The live kpi_values runs the summary's, the pipeline's and the
-- leaderboard's own queries over one reading of sales_kpi.deal_state, which
-- each of them would read again: 548 -> 401 ms for the alerts of a manager
-- of 10 at 1M deals.  So it holds their queries as they are when it is
-- created: a change to one of those three views creates kpi_values again.
-- Of the summary it keeps the current month, quarter and year, whose
-- figures come from the deals closed or created in them and whose growth
-- from the period before: the summary reads only the deals closed or
-- created since the start of the previous fiscal year (a deal counts in the
-- periods its closing and creation days fall in, and every period kept
-- starts on or after that day).  Compared as timestamps from the day
-- before, so that no time zone's midnight can leave a deal of that day out;
-- the deals of the day before count only in periods the alerts leave out.
DO $$
BEGIN
    EXECUTE 'CREATE VIEW sales_kpi.kpi_values WITH (security_invoker = true) AS '
            || 'WITH deal_state_shared AS MATERIALIZED (SELECT * FROM sales_kpi.deal_state), '
            || 'deal_state_recent AS ('
            || ' SELECT d.* FROM deal_state_shared d'
            || ' WHERE greatest(d.closed_at, d.created_at)'
            || '   >= (SELECT (@extschema@.fiscal_period_start(f.year_start - 1, ''year'') - 1)::timestamptz FROM sales_kpi.fiscal_now f)) '
            || sales_kpi.kpi_values_query(
                   '(' || sales_kpi.view_query('sales_kpi.kpi_summary', ARRAY['sales_kpi.deal_state'], ARRAY['deal_state_recent']) || ')',
                   '(' || sales_kpi.view_query('sales_kpi.pipeline', ARRAY['sales_kpi.deal_state'], ARRAY['deal_state_shared']) || ')',
                   '(' || sales_kpi.view_query('sales_kpi.leaderboard', ARRAY['sales_kpi.deal_state'], ARRAY['deal_state_shared']) || ')');
    EXECUTE 'CREATE VIEW sales_kpi.kpi_alerts WITH (security_invoker = true) AS '
            || sales_kpi.kpi_alerts_query('sales_kpi.kpi_values');
END
$$;
COMMENT ON VIEW sales_kpi.kpi_values IS 'Every KPI the alerts can watch, one per row: company (current fiscal periods), team and rep';
COMMENT ON COLUMN sales_kpi.kpi_values.scope IS 'company, team or rep';
COMMENT ON COLUMN sales_kpi.kpi_values.scope_id IS 'Team name or rep_id; NULL for the company';
COMMENT ON COLUMN sales_kpi.kpi_values.grain IS 'Fiscal grain of a company KPI (current month, quarter or year)';
COMMENT ON COLUMN sales_kpi.kpi_values.kpi IS 'KPI name, as kpi_targets.kpi';
COMMENT ON COLUMN sales_kpi.kpi_values.value IS 'KPI value';

COMMENT ON VIEW sales_kpi.kpi_alerts IS 'Alerts dashboard: every kpi_targets row whose KPI is past its threshold, with the value and the gap';
COMMENT ON COLUMN sales_kpi.kpi_alerts.target_id IS 'The kpi_targets row';
COMMENT ON COLUMN sales_kpi.kpi_alerts.kpi IS 'KPI name';
COMMENT ON COLUMN sales_kpi.kpi_alerts.scope IS 'company, team or rep';
COMMENT ON COLUMN sales_kpi.kpi_alerts.scope_id IS 'Team name, rep_id, or company';
COMMENT ON COLUMN sales_kpi.kpi_alerts.grain IS 'Fiscal grain of a company target';
COMMENT ON COLUMN sales_kpi.kpi_alerts.value IS 'Current value of the KPI';
COMMENT ON COLUMN sales_kpi.kpi_alerts.threshold IS 'Target threshold';
COMMENT ON COLUMN sales_kpi.kpi_alerts.direction IS 'at_least or at_most';
COMMENT ON COLUMN sales_kpi.kpi_alerts.gap IS 'value - threshold (negative: short of an at_least target)';
COMMENT ON COLUMN sales_kpi.kpi_alerts.note IS 'The target''s note';
COMMENT ON COLUMN sales_kpi.kpi_alerts.as_of IS 'The as-of day';
