-- Dashboard: Stage analysis.  Per stage, from the stage history up to the
-- end of the as-of day: visits (a deal entering the stage; a deal that comes
-- back counts again), distinct deals, deals in it now, visits that moved on,
-- visits that went straight to a lost stage, the average time in the stage
-- (open stages; a visit still in progress counts up to the as-of day), the
-- conversion to a later stage of the pipeline, and stalled deals in it now.
-- Stages are named as in the catalog when it has them.

CREATE VIEW sales_kpi.stage_analysis WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
h AS (
    SELECT h.deal_id, h.stage, h.entered_at,
           lead(h.stage) OVER w AS next_stage,
           @extschema@.time_in_stage(h.entered_at, f.as_of_end) OVER w AS in_stage
    FROM sales_kpi.deal_stage_history h CROSS JOIN f
    WHERE h.entered_at < f.as_of_end
    WINDOW w AS (PARTITION BY h.deal_id ORDER BY h.entered_at)
),
v AS (
    SELECT coalesce(s.name, h.stage) AS stage, s.pipeline_order, s.stalled_after_days,
           h.deal_id, h.in_stage, h.next_stage,
           @extschema@.stage_outcome(h.stage) AS outcome,
           @extschema@.stage_outcome(h.next_stage) AS next_outcome,
           ns.pipeline_order AS next_order
    FROM h
    LEFT JOIN sales_kpi.stages s ON @extschema@.stage_normalize(s.name) = @extschema@.stage_normalize(h.stage)
    LEFT JOIN sales_kpi.stages ns ON @extschema@.stage_normalize(ns.name) = @extschema@.stage_normalize(h.next_stage)
)
SELECT v.stage,
       min(v.pipeline_order) AS pipeline_order,
       count(*) AS entered,
       count(DISTINCT v.deal_id) AS deals_entered,
       count(*) FILTER (WHERE v.next_stage IS NULL) AS in_stage_now,
       count(*) FILTER (WHERE v.next_stage IS NOT NULL) AS moved_on,
       count(*) FILTER (WHERE v.next_outcome = 'lost') AS lost_from_stage,
       justify_hours(avg(v.in_stage) FILTER (WHERE v.outcome = 'open')) AS avg_time_in_stage,
       round((extract(epoch FROM avg(v.in_stage) FILTER (WHERE v.outcome = 'open')) / 86400)::numeric, 2)
           AS avg_time_in_stage_days,
       (count(*) FILTER (WHERE v.next_stage IS NOT NULL AND v.next_outcome <> 'lost'
                           AND (v.next_order > v.pipeline_order OR v.next_order IS NULL OR v.pipeline_order IS NULL)))::float8
           / nullif(count(*), 0) AS conversion_to_next,
       count(*) FILTER (WHERE v.next_stage IS NULL AND v.outcome = 'open' AND v.stalled_after_days IS NOT NULL
                          AND v.in_stage > v.stalled_after_days * interval '1 day') AS stalled_deals,
       (SELECT as_of FROM f) AS as_of
FROM v
GROUP BY v.stage;
COMMENT ON VIEW sales_kpi.stage_analysis IS
    'Stage analysis dashboard: per stage, deals entered, in it now, moved on, lost from it, time in stage, conversion to a later stage, stalled';
COMMENT ON COLUMN sales_kpi.stage_analysis.stage IS 'Stage (catalog name when catalogued)';
COMMENT ON COLUMN sales_kpi.stage_analysis.pipeline_order IS 'Position in the pipeline (catalog)';
COMMENT ON COLUMN sales_kpi.stage_analysis.entered IS 'Times a deal entered the stage';
COMMENT ON COLUMN sales_kpi.stage_analysis.deals_entered IS 'Distinct deals that entered the stage';
COMMENT ON COLUMN sales_kpi.stage_analysis.in_stage_now IS 'Deals in the stage at the end of the as-of day';
COMMENT ON COLUMN sales_kpi.stage_analysis.moved_on IS 'Visits that moved to another stage';
COMMENT ON COLUMN sales_kpi.stage_analysis.lost_from_stage IS 'Visits that moved to a lost stage';
COMMENT ON COLUMN sales_kpi.stage_analysis.avg_time_in_stage IS 'Mean time of a visit (open stages)';
COMMENT ON COLUMN sales_kpi.stage_analysis.avg_time_in_stage_days IS 'avg_time_in_stage in days';
COMMENT ON COLUMN sales_kpi.stage_analysis.conversion_to_next IS 'Visits that moved on to a later, not lost, stage / visits';
COMMENT ON COLUMN sales_kpi.stage_analysis.stalled_deals IS 'Open deals in the stage longer than its stalled_after_days';
COMMENT ON COLUMN sales_kpi.stage_analysis.as_of IS 'The as-of day';
