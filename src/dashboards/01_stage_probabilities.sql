-- Learnt stage probabilities: per pipeline and stage, the share of the deals
-- that were ever in it and have closed that were won, over the deals created
-- in the window before the as-of day (setting sales_kpi.probability_window,
-- days), beside the catalog's default_probability.  The setting
-- sales_kpi.probability_source (catalog | learnt) decides which the weighted
-- pipeline (pipeline, league_status) and the forecast use.  C of the
-- settings in src/module.c.

CREATE FUNCTION sales_kpi.probability_source() RETURNS text
    AS 'MODULE_PATHNAME', 'probability_source_setting' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.probability_source() IS
    'The setting sales_kpi.probability_source: catalog or learnt';
CREATE FUNCTION sales_kpi.probability_window() RETURNS integer
    AS 'MODULE_PATHNAME', 'probability_window_setting' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.probability_window() IS
    'The setting sales_kpi.probability_window: days before the as-of day whose created deals the learnt probabilities count';

CREATE VIEW sales_kpi.stage_probabilities WITH (security_invoker = true) AS
WITH f AS (
    SELECT sales_kpi.as_of() AS as_of, (sales_kpi.as_of() + 1)::timestamptz AS as_of_end,
           sales_kpi.as_of() - sales_kpi.probability_window() + 1 AS window_start
),
-- the deals created in the window, as they are at the end of the as-of day
-- (deal_state holds one row per deal, so DISTINCT ON changes no row: it tells
-- the planner deal_id is unique here, which the function behind deal_state
-- cannot; with it the visits are hashed against the cohort instead of both
-- being sorted for a merge join, 510 -> 231 ms for a manager of 10 at 1M deals)
cohort AS (
    SELECT DISTINCT ON (ds.deal_id) ds.deal_id, ds.outcome
    FROM sales_kpi.deal_state ds CROSS JOIN f
    WHERE ds.created_at >= f.window_start::timestamptz
),
-- the stages each of them was ever in, by the as-of day: its first visit to
-- each (stages as the catalog names them, else as recorded)
learnt AS (
    SELECT v.pipeline, v.stage,
           count(*) FILTER (WHERE c.outcome <> 'open') AS closed_deals,
           count(*) FILTER (WHERE c.outcome = 'won') AS won_deals
    FROM sales_kpi.stage_visits v
    JOIN cohort c ON c.deal_id = v.deal_id
    WHERE v.first_visit
    GROUP BY v.pipeline, v.stage
),
rows_ AS (
    -- every stage deals of the window were in, with its catalog row (the
    -- pipeline's, else the one for every pipeline)
    SELECT l.pipeline, l.stage, coalesce(sp.label, sa.label) AS label,
           coalesce(sp.pipeline_order, sa.pipeline_order) AS pipeline_order,
           coalesce(sp.default_probability, sa.default_probability) AS catalog_probability,
           l.closed_deals, l.won_deals
    FROM learnt l
    LEFT JOIN sales_kpi.stages sp ON sp.pipeline = l.pipeline AND sp.normalized = @extschema@.stage_normalize(l.stage)
    LEFT JOIN sales_kpi.stages sa ON sa.pipeline IS NULL AND sa.normalized = @extschema@.stage_normalize(l.stage)
    UNION ALL
    -- and every catalog stage none was in
    SELECT s.pipeline, s.name, s.label, s.pipeline_order, s.default_probability, 0, 0
    FROM sales_kpi.stages s
    WHERE NOT EXISTS (SELECT FROM learnt l WHERE l.pipeline IS NOT DISTINCT FROM s.pipeline AND l.stage = s.name)
)
SELECT r.pipeline,
       r.stage,
       coalesce(r.label, r.stage) AS label,
       r.pipeline_order,
       r.catalog_probability,
       r.closed_deals::bigint AS closed_deals,
       r.won_deals::bigint AS won_deals,
       r.won_deals::numeric / nullif(r.closed_deals, 0) AS learnt_probability,
       CASE WHEN sales_kpi.probability_source() = 'learnt' AND r.closed_deals > 0
            THEN r.won_deals::numeric / r.closed_deals ELSE r.catalog_probability END AS probability_in_use,
       f.window_start,
       f.as_of
FROM rows_ r CROSS JOIN f;
COMMENT ON VIEW sales_kpi.stage_probabilities IS
    'Per pipeline and stage: the share of the deals created in the window (sales_kpi.probability_window days to the as-of day) that were ever in the stage and have closed that were won, beside the catalog''s probability';
COMMENT ON COLUMN sales_kpi.stage_probabilities.pipeline IS 'Pipeline (NULL: a single-pipeline CRM, or a catalog row for every pipeline)';
COMMENT ON COLUMN sales_kpi.stage_probabilities.stage IS 'Stage (the catalog''s name, else as the deals record it)';
COMMENT ON COLUMN sales_kpi.stage_probabilities.label IS 'The stage''s label in the catalog, else the stage';
COMMENT ON COLUMN sales_kpi.stage_probabilities.pipeline_order IS 'Position in the pipeline (the catalog''s; NULL for a stage not in it)';
COMMENT ON COLUMN sales_kpi.stage_probabilities.catalog_probability IS 'The catalog''s default_probability';
COMMENT ON COLUMN sales_kpi.stage_probabilities.closed_deals IS 'Deals of the window that were in the stage and are now won or lost';
COMMENT ON COLUMN sales_kpi.stage_probabilities.won_deals IS 'Of those, the deals won';
COMMENT ON COLUMN sales_kpi.stage_probabilities.learnt_probability IS 'won_deals / closed_deals (NULL without a closed deal)';
COMMENT ON COLUMN sales_kpi.stage_probabilities.probability_in_use IS
    'The probability the weighted pipeline and the forecast use for a deal in this stage without its own: learnt (when there is one and sales_kpi.probability_source is learnt) or the catalog''s';
COMMENT ON COLUMN sales_kpi.stage_probabilities.window_start IS 'First day of the window';
COMMENT ON COLUMN sales_kpi.stage_probabilities.as_of IS 'The as-of day';

-- What the weighted pipeline reads: the learnt probabilities when the
-- setting asks for them, else nothing.  A function, not a view: the
-- dashboards that join it are planned without the history behind it (whose
-- estimated cost alone would make every one of them compile with JIT).
CREATE FUNCTION sales_kpi.learnt_probabilities_in_use()
RETURNS TABLE (pipeline text, normalized text, learnt_probability numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF sales_kpi.probability_source() = 'learnt' THEN
        -- (one row per normalised stage: spellings of a stage the catalog
        -- does not list are pooled)
        RETURN QUERY
        SELECT p.pipeline, @extschema@.stage_normalize(p.stage), sum(p.won_deals)::numeric / sum(p.closed_deals)
        FROM sales_kpi.stage_probabilities p
        WHERE p.closed_deals > 0
        GROUP BY 1, 2;
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.learnt_probabilities_in_use() IS
    'The learnt stage probabilities (pipeline, normalised stage, probability) when sales_kpi.probability_source is learnt, no rows otherwise: what the weighted pipeline and the forecast join';
