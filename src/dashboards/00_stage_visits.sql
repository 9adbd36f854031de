-- Stage visits: every stage every deal entered, up to the end of the as-of
-- day, with the catalog's view of it and of the stage entered next.  What
-- the stage analysis, the learnt stage probabilities and the lost reasons
-- read.

-- Every stage visit up to the end of the as-of day, one row per visit,
-- with what the dashboard needs from the catalog: the stage as the catalog
-- names it, its label and order, and the outcome and order of the stage the
-- deal moved to next.  A visit depends on its own deal's versions and the
-- catalog only, so the refresh keeps a per-deal copy of it
-- (sales_kpi.stage_visits_store, incremental.sql) for the deals that changed.
CREATE VIEW sales_kpi.stage_visits WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
ends AS (
    -- when each deal's history ends (infinity while it exists)
    SELECT h.deal_id, max(CASE WHEN upper_inf(h.valid) THEN 'infinity'::timestamptz ELSE upper(h.valid) END) AS last_end
    FROM sales_kpi.deal_versions h CROSS JOIN f
    WHERE lower(h.valid) < f.as_of_end
    GROUP BY h.deal_id
),
h AS (
    SELECT h.deal_id, h.pipeline, h.stage, h.entered_at,
           lead(h.stage) OVER w AS next_stage, lead(h.pipeline) OVER w AS next_pipeline,
           @extschema@.stage_normalize(h.stage) AS normalized,
           @extschema@.stage_normalize(lead(h.stage) OVER w) AS next_normalized,
           coalesce(lead(h.entered_at) OVER w, least(e.last_end, f.as_of_end)) - h.entered_at AS in_stage,
           lead(h.entered_at) OVER w IS NULL AND e.last_end >= f.as_of_end AS current
    FROM sales_kpi.deal_stage_history h
    JOIN ends e ON e.deal_id = h.deal_id
    CROSS JOIN f
    WHERE h.entered_at < f.as_of_end
    WINDOW w AS (PARTITION BY h.deal_id ORDER BY h.entered_at)
),
v AS (
    SELECT h.deal_id, h.entered_at, h.pipeline,
           coalesce(sp.name, sa.name, h.stage) AS stage,
           coalesce(sp.label, sa.label, sp.name, sa.name, h.stage) AS label,
           coalesce(sp.pipeline_order, sa.pipeline_order) AS pipeline_order,
           coalesce(sp.stalled_after_days, sa.stalled_after_days) AS stalled_after_days,
           h.in_stage, h.next_stage, h.current,
           @extschema@.stage_outcome(h.pipeline, h.stage) AS outcome,
           @extschema@.stage_outcome(h.next_pipeline, h.next_stage) AS next_outcome,
           coalesce(np.pipeline_order, na.pipeline_order) AS next_order
    FROM h
    LEFT JOIN sales_kpi.stages sp ON sp.pipeline = h.pipeline AND sp.normalized = h.normalized
    LEFT JOIN sales_kpi.stages sa ON sa.pipeline IS NULL AND sa.normalized = h.normalized
    LEFT JOIN sales_kpi.stages np ON np.pipeline = h.next_pipeline AND np.normalized = h.next_normalized
    LEFT JOIN sales_kpi.stages na ON na.pipeline IS NULL AND na.normalized = h.next_normalized
)
SELECT v.deal_id, v.entered_at, v.pipeline, v.stage, v.label, v.pipeline_order, v.stalled_after_days,
       v.in_stage, v.next_stage, v.current, v.outcome, v.next_outcome, v.next_order,
       row_number() OVER (PARTITION BY v.deal_id, v.pipeline, v.stage ORDER BY v.entered_at) = 1 AS first_visit,
       (SELECT f.as_of FROM f) AS as_of
FROM v;
COMMENT ON VIEW sales_kpi.stage_visits IS
    'Every stage visit of every deal up to the end of the as-of day, with the catalog''s name, label and order of the stage and of the next one (what stage_analysis aggregates)';
COMMENT ON COLUMN sales_kpi.stage_visits.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.stage_visits.entered_at IS 'When the deal entered the stage';
COMMENT ON COLUMN sales_kpi.stage_visits.pipeline IS 'Pipeline of the deal when it entered the stage';
COMMENT ON COLUMN sales_kpi.stage_visits.stage IS 'Stage (the catalog''s name when catalogued, else as recorded)';
COMMENT ON COLUMN sales_kpi.stage_visits.label IS 'The stage''s label in the catalog, else its name';
COMMENT ON COLUMN sales_kpi.stage_visits.pipeline_order IS 'Position of the stage in the pipeline (catalog)';
COMMENT ON COLUMN sales_kpi.stage_visits.stalled_after_days IS 'The stage''s stalled_after_days (catalog)';
COMMENT ON COLUMN sales_kpi.stage_visits.in_stage IS 'How long the visit lasted (up to the end of the as-of day, or the deal''s deletion)';
COMMENT ON COLUMN sales_kpi.stage_visits.next_stage IS 'The stage entered next, as recorded (NULL: none by the end of the as-of day)';
COMMENT ON COLUMN sales_kpi.stage_visits.current IS 'The deal is still in this stage at the end of the as-of day';
COMMENT ON COLUMN sales_kpi.stage_visits.outcome IS 'won, lost or open, of this stage';
COMMENT ON COLUMN sales_kpi.stage_visits.next_outcome IS 'won, lost or open, of the next stage';
COMMENT ON COLUMN sales_kpi.stage_visits.next_order IS 'Position of the next stage in its pipeline (catalog)';
COMMENT ON COLUMN sales_kpi.stage_visits.first_visit IS 'The deal''s first visit to this pipeline and stage';
COMMENT ON COLUMN sales_kpi.stage_visits.as_of IS 'The as-of day';
