-- Dashboard: Pipeline.  Per rep: open deals, pipeline value, weighted
-- pipeline, stalled deals, time in pipeline of open deals (as of the as-of
-- day), and over the deals closed this fiscal year to date: win rate,
-- mean and median deal size, mean and median sales cycle, pipeline velocity.  Each rep has a
-- row for all their deals (pipeline NULL) and, in a CRM with pipelines, a
-- row per pipeline they have deals in.

--
-- In two steps: each rep's deals are summarised per pipeline (counts, sums
-- and the KPI aggregates' summaries, a plain GROUP BY that runs in parallel),
-- and a rep's row rolls its pipelines up: exactly what the aggregates give
-- over the rep's deals.
CREATE VIEW sales_kpi.pipeline WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
ds AS (
    SELECT ds.*,
           ds.outcome = 'open' OR ds.closed_at >= (SELECT year_start FROM sales_kpi.fiscal_now) AS in_scope,
           coalesce(lp.learnt_probability, ds.probability) AS weight
    FROM sales_kpi.deal_state ds
    LEFT JOIN sales_kpi.learnt_probabilities_in_use() lp
           ON lp.pipeline IS NOT DISTINCT FROM ds.pipeline AND lp.normalized = ds.normalized
),
per_pipeline AS (
    SELECT ds.rep_id, ds.pipeline,
           count(*) FILTER (WHERE ds.outcome = 'open') AS open_deals,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'open') AS pipeline_value,
           sum(ds.amount * ds.weight) FILTER (WHERE ds.outcome = 'open') AS weighted_pipeline,
           @extschema@.win_rate_summary(ds.won) FILTER (WHERE ds.in_scope) AS win_rate,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'won' AND ds.in_scope) AS won_amount,
           count(ds.amount) FILTER (WHERE ds.outcome = 'won' AND ds.in_scope) AS won_amounts,
           @extschema@.sales_cycle_length_summary(ds.created_at, ds.closed_at)
               FILTER (WHERE ds.outcome = 'won' AND ds.in_scope) AS sales_cycle,
           @extschema@.deal_size_percentile_summary(ds.amount, 0.5)
               FILTER (WHERE ds.outcome = 'won' AND ds.in_scope) AS median_deal_size,
           @extschema@.sales_cycle_percentile_summary(ds.created_at, ds.closed_at, 0.5)
               FILTER (WHERE ds.outcome = 'won' AND ds.in_scope) AS median_sales_cycle,
           @extschema@.avg_time_in_pipeline_summary(ds.created_at, NULL, ds.as_of_end)
               FILTER (WHERE ds.outcome = 'open') AS time_in_pipeline,
           count(*) FILTER (WHERE ds.stalled) AS stalled_deals,
           @extschema@.pipeline_velocity_summary(ds.pipeline, ds.stage, ds.amount, ds.created_at, ds.closed_at)
               FILTER (WHERE ds.in_scope) AS velocity
    FROM ds
    GROUP BY ds.rep_id, ds.pipeline
),
k AS (
    -- a rep's deals in every pipeline
    SELECT p.rep_id, NULL::text AS pipeline,
           sum(p.open_deals)::bigint AS open_deals, sum(p.pipeline_value) AS pipeline_value,
           sum(p.weighted_pipeline) AS weighted_pipeline, @extschema@.rollup(p.win_rate) AS win_rate,
           sum(p.won_amount) AS won_amount, sum(p.won_amounts)::bigint AS won_amounts,
           @extschema@.rollup(p.sales_cycle) AS sales_cycle,
           @extschema@.rollup(p.median_deal_size) AS median_deal_size,
           @extschema@.rollup(p.median_sales_cycle) AS median_sales_cycle,
           @extschema@.rollup(p.time_in_pipeline) AS time_in_pipeline,
           sum(p.stalled_deals)::bigint AS stalled_deals, @extschema@.rollup(p.velocity) AS velocity
    FROM per_pipeline p
    GROUP BY p.rep_id
    UNION ALL
    -- and in each pipeline (a CRM with pipelines)
    SELECT * FROM per_pipeline p WHERE p.pipeline IS NOT NULL
)
SELECT r.rep_id,
       r.name AS rep_name,
       r.team,
       r.region,
       k.pipeline,
       coalesce(k.open_deals, 0) AS open_deals,
       coalesce(k.pipeline_value, 0) AS pipeline_value,
       coalesce(round(k.weighted_pipeline, 2), 0) AS weighted_pipeline,
       @extschema@.win_rate(k.win_rate) AS win_rate,
       -- avg(amount) is sum(amount) / count(amount), as numeric's avg computes it
       round(k.won_amount / nullif(k.won_amounts, 0), 2) AS avg_deal_size,
       round(@extschema@.deal_size_percentile(k.median_deal_size), 2) AS median_deal_size,
       @extschema@.sales_cycle_length(k.sales_cycle) AS avg_sales_cycle,
       round((extract(epoch FROM @extschema@.sales_cycle_length(k.sales_cycle)) / 86400)::numeric, 2) AS avg_sales_cycle_days,
       @extschema@.sales_cycle_percentile(k.median_sales_cycle) AS median_sales_cycle,
       round((extract(epoch FROM @extschema@.sales_cycle_percentile(k.median_sales_cycle)) / 86400)::numeric, 2)
           AS median_sales_cycle_days,
       @extschema@.avg_time_in_pipeline(k.time_in_pipeline) AS avg_time_in_pipeline,
       round((extract(epoch FROM @extschema@.avg_time_in_pipeline(k.time_in_pipeline)) / 86400)::numeric, 2)
           AS avg_time_in_pipeline_days,
       coalesce(k.stalled_deals, 0) AS stalled_deals,
       round(@extschema@.pipeline_velocity(k.velocity), 2) AS pipeline_velocity,
       f.as_of
FROM sales_kpi.reps r
CROSS JOIN f
LEFT JOIN k ON k.rep_id = r.rep_id
WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.year_start);
COMMENT ON VIEW sales_kpi.pipeline IS
    'Pipeline dashboard: per rep (and per rep and pipeline), open pipeline as of sales_kpi.as_of() and conversion over the fiscal year to date';
COMMENT ON COLUMN sales_kpi.pipeline.rep_id IS 'Rep';
COMMENT ON COLUMN sales_kpi.pipeline.rep_name IS 'Rep name';
COMMENT ON COLUMN sales_kpi.pipeline.team IS 'Team';
COMMENT ON COLUMN sales_kpi.pipeline.region IS 'Region';
COMMENT ON COLUMN sales_kpi.pipeline.pipeline IS 'Pipeline of the row''s deals; NULL: the rep''s deals in every pipeline';
COMMENT ON COLUMN sales_kpi.pipeline.open_deals IS 'Open deals';
COMMENT ON COLUMN sales_kpi.pipeline.pipeline_value IS 'Sum of open deal amounts';
COMMENT ON COLUMN sales_kpi.pipeline.weighted_pipeline IS
    'Sum of open deal amounts x probability (the deal''s, else its stage''s; the learnt one when sales_kpi.probability_source is learnt)';
COMMENT ON COLUMN sales_kpi.pipeline.win_rate IS 'Won / (won + lost), deals closed this fiscal year';
COMMENT ON COLUMN sales_kpi.pipeline.avg_deal_size IS 'Mean amount of deals won this fiscal year';
COMMENT ON COLUMN sales_kpi.pipeline.median_deal_size IS 'Median amount of deals won this fiscal year (sales_kpi.deal_size_percentile, 0.5)';
COMMENT ON COLUMN sales_kpi.pipeline.avg_sales_cycle IS 'Mean created-to-won time of deals won this fiscal year';
COMMENT ON COLUMN sales_kpi.pipeline.avg_sales_cycle_days IS 'avg_sales_cycle in days';
COMMENT ON COLUMN sales_kpi.pipeline.median_sales_cycle IS 'Median created-to-won time of deals won this fiscal year (sales_cycle_percentile, 0.5)';
COMMENT ON COLUMN sales_kpi.pipeline.median_sales_cycle_days IS 'median_sales_cycle in days';
COMMENT ON COLUMN sales_kpi.pipeline.avg_time_in_pipeline IS 'Mean time open deals have been in the pipeline';
COMMENT ON COLUMN sales_kpi.pipeline.avg_time_in_pipeline_days IS 'avg_time_in_pipeline in days';
COMMENT ON COLUMN sales_kpi.pipeline.stalled_deals IS 'Open deals longer in their stage than its stalled_after_days';
COMMENT ON COLUMN sales_kpi.pipeline.pipeline_velocity IS 'Revenue per day: open deals x mean won amount x win rate / mean won cycle';
COMMENT ON COLUMN sales_kpi.pipeline.as_of IS 'The as-of day';
