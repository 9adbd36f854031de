-- Dashboard: Leaderboard.  Reps and teams for the fiscal quarter to date:
-- quota attainment (quota prorated by days), won revenue, deals won,
-- average sales cycle of those deals, pipeline generated (amount of deals
-- created this quarter), open pipeline, activities; ranked by attainment,
-- then won revenue, within reps and within teams.  Team KPIs are computed
-- over the team's deals, not averaged over its reps.

CREATE VIEW sales_kpi.leaderboard WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
reps AS (
    SELECT r.rep_id, r.name, coalesce(r.team, '(none)') AS team
    FROM sales_kpi.reps r CROSS JOIN f
    WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.quarter_start)
),
-- each rep's deals summarised once (a plain GROUP BY), then reps and teams
-- rolled up from them: team KPIs over the team's deals
per_rep AS (
    SELECT ds.rep_id,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'won' AND ds.closed_at >= f.quarter_start) AS won_revenue,
           count(*) FILTER (WHERE ds.outcome = 'won' AND ds.closed_at >= f.quarter_start) AS deals_won,
           @extschema@.sales_cycle_length_summary(ds.created_at, ds.closed_at)
               FILTER (WHERE ds.outcome = 'won' AND ds.closed_at >= f.quarter_start) AS sales_cycle,
           sum(ds.amount) FILTER (WHERE ds.created_at >= f.quarter_start) AS pipeline_generated,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'open') AS open_pipeline
    FROM sales_kpi.deal_state ds
    CROSS JOIN f
    -- the deals any of these counts: open, or won or created this quarter
    WHERE ds.outcome = 'open' OR ds.closed_at >= f.quarter_start OR ds.created_at >= f.quarter_start
    GROUP BY ds.rep_id
),
deal_kpis AS (
    SELECT GROUPING(r.rep_id) = 1 AS is_team, r.rep_id, r.team,
           coalesce(sum(p.won_revenue), 0) AS won_revenue,
           coalesce(sum(p.deals_won), 0)::bigint AS deals_won,
           @extschema@.sales_cycle_length(@extschema@.rollup(p.sales_cycle)) AS avg_sales_cycle,
           coalesce(sum(p.pipeline_generated), 0) AS pipeline_generated,
           coalesce(sum(p.open_pipeline), 0) AS open_pipeline
    FROM reps r
    LEFT JOIN per_rep p ON p.rep_id = r.rep_id
    GROUP BY GROUPING SETS ((r.team, r.rep_id), (r.team))
),
rep_quota AS (
    SELECT q.rep_id, sum(sales_kpi.prorate(q.amount, q.period, daterange(f.quarter_start, f.as_of + 1))) AS quota
    FROM sales_kpi.quotas q CROSS JOIN f
    WHERE q.period && daterange(f.quarter_start, f.as_of + 1)
    GROUP BY q.rep_id
),
-- (the quarter's start as a timestamptz, which an index on created_at can
-- compare: a date's comparison with a timestamptz depends on the time zone)
rep_activity AS (
    SELECT a.rep_id, count(*) AS activities
    FROM sales_kpi.activities a CROSS JOIN f
    WHERE a.created_at >= f.quarter_start::timestamptz AND a.created_at < f.as_of_end
    GROUP BY a.rep_id
),
per_entity AS (
    SELECT k.*,
           CASE WHEN k.is_team THEN (SELECT sum(q.quota) FROM rep_quota q JOIN reps r USING (rep_id) WHERE r.team = k.team)
                ELSE (SELECT q.quota FROM rep_quota q WHERE q.rep_id = k.rep_id) END AS quota,
           coalesce(CASE WHEN k.is_team THEN (SELECT sum(a.activities) FROM rep_activity a JOIN reps r USING (rep_id) WHERE r.team = k.team)
                         ELSE (SELECT a.activities FROM rep_activity a WHERE a.rep_id = k.rep_id) END, 0)::bigint AS activities
    FROM deal_kpis k
)
SELECT CASE WHEN e.is_team THEN 'team' ELSE 'rep' END AS level,
       CASE WHEN e.is_team THEN e.team ELSE e.rep_id END AS entity_id,
       CASE WHEN e.is_team THEN e.team ELSE r.name END AS name,
       e.team,
       rank() OVER (PARTITION BY e.is_team
                    ORDER BY @extschema@.quota_attainment(e.won_revenue, e.quota) DESC NULLS LAST,
                             e.won_revenue DESC) AS rank,
       @extschema@.quota_attainment(e.won_revenue, e.quota) AS quota_attainment,
       e.won_revenue,
       round(e.quota, 2) AS quota,
       e.deals_won,
       e.avg_sales_cycle,
       round((extract(epoch FROM e.avg_sales_cycle) / 86400)::numeric, 2) AS avg_sales_cycle_days,
       e.pipeline_generated,
       e.open_pipeline,
       e.activities,
       f.quarter_start AS period_start,
       f.as_of
FROM per_entity e
CROSS JOIN f
LEFT JOIN reps r ON r.rep_id = e.rep_id;
COMMENT ON VIEW sales_kpi.leaderboard IS
    'Leaderboard dashboard: reps and teams ranked by quota attainment this fiscal quarter, with revenue, deals, cycle, pipeline and activities';
COMMENT ON COLUMN sales_kpi.leaderboard.level IS 'rep or team';
COMMENT ON COLUMN sales_kpi.leaderboard.entity_id IS 'rep_id (as text) or team name';
COMMENT ON COLUMN sales_kpi.leaderboard.name IS 'Rep or team name';
COMMENT ON COLUMN sales_kpi.leaderboard.team IS 'Team';
COMMENT ON COLUMN sales_kpi.leaderboard.rank IS 'Rank within the level: by quota attainment, then won revenue';
COMMENT ON COLUMN sales_kpi.leaderboard.quota_attainment IS 'Won revenue / quota to date';
COMMENT ON COLUMN sales_kpi.leaderboard.won_revenue IS 'Amount won this quarter';
COMMENT ON COLUMN sales_kpi.leaderboard.quota IS 'Quota to date (prorated by days)';
COMMENT ON COLUMN sales_kpi.leaderboard.deals_won IS 'Deals won this quarter';
COMMENT ON COLUMN sales_kpi.leaderboard.avg_sales_cycle IS 'Mean sales cycle of deals won this quarter';
COMMENT ON COLUMN sales_kpi.leaderboard.avg_sales_cycle_days IS 'avg_sales_cycle in days';
COMMENT ON COLUMN sales_kpi.leaderboard.pipeline_generated IS 'Amount of deals created this quarter';
COMMENT ON COLUMN sales_kpi.leaderboard.open_pipeline IS 'Amount of open deals';
COMMENT ON COLUMN sales_kpi.leaderboard.activities IS 'Activities this quarter';
COMMENT ON COLUMN sales_kpi.leaderboard.period_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.leaderboard.as_of IS 'The as-of day';
