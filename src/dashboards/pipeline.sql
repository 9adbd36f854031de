-- Dashboard: Pipeline.  Per rep: open deals, pipeline value, weighted
-- pipeline, stalled deals, time in pipeline of open deals (as of the as-of
-- day), and over the deals closed this fiscal year to date: win rate,
-- average deal size, average sales cycle, pipeline velocity.  Each rep has a
-- row for all their deals (pipeline NULL) and, in a CRM with pipelines, a
-- row per pipeline they have deals in.

CREATE VIEW sales_kpi.pipeline WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
ds AS (
    SELECT ds.*, ds.outcome = 'open' OR ds.closed_at >= f.year_start AS in_scope
    FROM sales_kpi.deal_state ds CROSS JOIN f
)
SELECT r.rep_id,
       r.name AS rep_name,
       r.team,
       r.region,
       ds.pipeline,
       count(ds.deal_id) FILTER (WHERE ds.outcome = 'open') AS open_deals,
       coalesce(sum(ds.amount) FILTER (WHERE ds.outcome = 'open'), 0) AS pipeline_value,
       coalesce(round(sum(ds.amount * ds.probability) FILTER (WHERE ds.outcome = 'open'), 2), 0) AS weighted_pipeline,
       @extschema@.win_rate(ds.won) FILTER (WHERE ds.in_scope) AS win_rate,
       round(avg(ds.amount) FILTER (WHERE ds.outcome = 'won' AND ds.in_scope), 2) AS avg_deal_size,
       @extschema@.sales_cycle_length(ds.created_at, ds.closed_at)
           FILTER (WHERE ds.outcome = 'won' AND ds.in_scope) AS avg_sales_cycle,
       round((extract(epoch FROM @extschema@.sales_cycle_length(ds.created_at, ds.closed_at)
           FILTER (WHERE ds.outcome = 'won' AND ds.in_scope)) / 86400)::numeric, 2) AS avg_sales_cycle_days,
       @extschema@.avg_time_in_pipeline(ds.created_at, NULL, f.as_of_end)
           FILTER (WHERE ds.outcome = 'open') AS avg_time_in_pipeline,
       round((extract(epoch FROM @extschema@.avg_time_in_pipeline(ds.created_at, NULL, f.as_of_end)
           FILTER (WHERE ds.outcome = 'open')) / 86400)::numeric, 2) AS avg_time_in_pipeline_days,
       count(ds.deal_id) FILTER (WHERE ds.stalled) AS stalled_deals,
       round(@extschema@.pipeline_velocity(ds.pipeline, ds.stage, ds.amount, ds.created_at, ds.closed_at)
           FILTER (WHERE ds.in_scope), 2) AS pipeline_velocity,
       f.as_of
FROM sales_kpi.reps r
CROSS JOIN f
LEFT JOIN ds ON ds.rep_id = r.rep_id
WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.year_start)
GROUP BY GROUPING SETS ((r.rep_id, r.name, r.team, r.region, f.as_of, f.as_of_end, f.year_start),
                        (r.rep_id, r.name, r.team, r.region, f.as_of, f.as_of_end, f.year_start, ds.pipeline))
-- a breakdown row only for a pipeline (the total is the row without one)
HAVING GROUPING(ds.pipeline) = 1 OR ds.pipeline IS NOT NULL;
COMMENT ON VIEW sales_kpi.pipeline IS
    'Pipeline dashboard: per rep (and per rep and pipeline), open pipeline as of sales_kpi.as_of() and conversion over the fiscal year to date';
COMMENT ON COLUMN sales_kpi.pipeline.rep_id IS 'Rep';
COMMENT ON COLUMN sales_kpi.pipeline.rep_name IS 'Rep name';
COMMENT ON COLUMN sales_kpi.pipeline.team IS 'Team';
COMMENT ON COLUMN sales_kpi.pipeline.region IS 'Region';
COMMENT ON COLUMN sales_kpi.pipeline.pipeline IS 'Pipeline of the row''s deals; NULL: the rep''s deals in every pipeline';
COMMENT ON COLUMN sales_kpi.pipeline.open_deals IS 'Open deals';
COMMENT ON COLUMN sales_kpi.pipeline.pipeline_value IS 'Sum of open deal amounts';
COMMENT ON COLUMN sales_kpi.pipeline.weighted_pipeline IS 'Sum of open deal amounts x probability';
COMMENT ON COLUMN sales_kpi.pipeline.win_rate IS 'Won / (won + lost), deals closed this fiscal year';
COMMENT ON COLUMN sales_kpi.pipeline.avg_deal_size IS 'Mean amount of deals won this fiscal year';
COMMENT ON COLUMN sales_kpi.pipeline.avg_sales_cycle IS 'Mean created-to-won time of deals won this fiscal year';
COMMENT ON COLUMN sales_kpi.pipeline.avg_sales_cycle_days IS 'avg_sales_cycle in days';
COMMENT ON COLUMN sales_kpi.pipeline.avg_time_in_pipeline IS 'Mean time open deals have been in the pipeline';
COMMENT ON COLUMN sales_kpi.pipeline.avg_time_in_pipeline_days IS 'avg_time_in_pipeline in days';
COMMENT ON COLUMN sales_kpi.pipeline.stalled_deals IS 'Open deals longer in their stage than its stalled_after_days';
COMMENT ON COLUMN sales_kpi.pipeline.pipeline_velocity IS 'Revenue per day: open deals x mean won amount x win rate / mean won cycle';
COMMENT ON COLUMN sales_kpi.pipeline.as_of IS 'The as-of day';
