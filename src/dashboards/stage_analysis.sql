-- Dashboard: Stage analysis.  Per pipeline and stage, from the stage history
-- (sales_kpi.deal_stage_history) up to the end of the as-of day: visits (a
-- deal entering the stage; a deal that comes back counts again), distinct
-- deals, deals in it now, visits that moved on, visits that went straight
-- to a lost stage, the average time in the stage (open stages; a visit in
-- progress counts up to the as-of day, and a visit ends when its deal was
-- deleted), the conversion to a later stage of the pipeline, and stalled
-- deals in it now.  Stages are keyed as the catalog names them, and labelled
-- as it labels them.

-- Per pipeline and stage, the sums and counts the dashboard is made of.
-- Every one is a sum over visits, so the refresh keeps a copy of it
-- (sales_kpi.stage_visit_totals_store, incremental.sql) by subtracting the
-- changed deals' old visits and adding their new ones.  A stage's label and
-- order come from the catalog, the same for every visit of the stage.
-- The query over a relation of visits (alias v): the view runs it over the
-- visits the caller sees, the refresh over the stored visits of all or some
-- deals (incremental.sql).
CREATE FUNCTION sales_kpi.stage_visit_totals_query(visits text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
SELECT format($q$
SELECT v.pipeline,
       v.stage,
       min(v.label) AS label,
       min(v.pipeline_order) AS pipeline_order,
       count(*) AS entered,
       count(*) FILTER (WHERE v.first_visit) AS deals_entered,
       count(*) FILTER (WHERE v.current) AS in_stage_now,
       count(*) FILTER (WHERE v.next_stage IS NOT NULL) AS moved_on,
       count(*) FILTER (WHERE v.next_outcome = 'lost') AS lost_from_stage,
       sum(v.in_stage) FILTER (WHERE v.outcome = 'open') AS open_time,
       count(v.in_stage) FILTER (WHERE v.outcome = 'open') AS open_visits,
       count(*) FILTER (WHERE v.next_stage IS NOT NULL AND v.next_outcome <> 'lost'
                          AND (v.next_order > v.pipeline_order OR v.next_order IS NULL OR v.pipeline_order IS NULL))
           AS converted,
       count(*) FILTER (WHERE v.current AND v.outcome = 'open' AND v.stalled_after_days IS NOT NULL
                          AND v.in_stage > v.stalled_after_days * interval '1 day') AS stalled_deals
FROM %s v
GROUP BY v.pipeline, v.stage
$q$, visits)
$f$;
COMMENT ON FUNCTION sales_kpi.stage_visit_totals_query(text) IS
    'The query of sales_kpi.stage_visit_totals over the given relation of stage visits';

-- The totals over the visits sales_kpi.stage_visits shows the caller,
-- aggregated in the statement that reads them (stage_visits_plan(),
-- 00_stage_visits.sql): the visits are summed as they are read from the
-- store instead of being returned one by one first (a manager of 10's
-- 152,239 visits at 1M deals).
CREATE FUNCTION sales_kpi.stage_visit_totals_rows()
RETURNS TABLE (pipeline text, stage text, label text, pipeline_order integer, entered bigint,
               deals_entered bigint, in_stage_now bigint, moved_on bigint, lost_from_stage bigint,
               open_time interval, open_visits bigint, converted bigint, stalled_deals bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
ROWS 20
AS $$
DECLARE
    p record;
BEGIN
    SELECT * INTO p FROM sales_kpi.stage_visits_plan(NULL);
    RETURN QUERY EXECUTE sales_kpi.stage_visit_totals_query('(' || p.query_text || ')') USING p.changed, p.one_rep, NULL::text[];
END
$$;
COMMENT ON FUNCTION sales_kpi.stage_visit_totals_rows() IS
    'The rows of sales_kpi.stage_visit_totals: the totals of the stage visits the caller sees, aggregated as they are read';

CREATE VIEW sales_kpi.stage_visit_totals WITH (security_invoker = true) AS
SELECT * FROM sales_kpi.stage_visit_totals_rows();
COMMENT ON VIEW sales_kpi.stage_visit_totals IS
    'Per pipeline and stage, the counts and sums of the stage visits that sales_kpi.stage_analysis is made of';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.pipeline IS 'Pipeline (NULL in a single-pipeline CRM)';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.stage IS 'Stage (the catalog''s name when catalogued, else as recorded)';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.label IS 'The stage''s label in the catalog, else its name';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.pipeline_order IS 'Position in the pipeline (catalog)';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.entered IS 'Visits';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.deals_entered IS 'Distinct deals (first visits)';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.in_stage_now IS 'Visits in progress at the end of the as-of day';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.moved_on IS 'Visits that moved to another stage';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.lost_from_stage IS 'Visits that moved to a lost stage';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.open_time IS 'Sum of the visits'' durations (open stages)';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.open_visits IS 'Visits summed in open_time';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.converted IS 'Visits that moved on to a later, not lost, stage';
COMMENT ON COLUMN sales_kpi.stage_visit_totals.stalled_deals IS 'Visits in progress longer than the stage''s stalled_after_days (open stages)';

-- The mean time in a stage is the sum over the count, as avg() computes it.
CREATE VIEW sales_kpi.stage_analysis WITH (security_invoker = true) AS
SELECT t.pipeline,
       t.stage,
       t.label,
       t.pipeline_order,
       t.entered,
       t.deals_entered,
       t.in_stage_now,
       t.moved_on,
       t.lost_from_stage,
       justify_hours(t.open_time / nullif(t.open_visits, 0)) AS avg_time_in_stage,
       round((extract(epoch FROM t.open_time / nullif(t.open_visits, 0)) / 86400)::numeric, 2) AS avg_time_in_stage_days,
       t.converted::float8 / nullif(t.entered, 0) AS conversion_to_next,
       t.stalled_deals,
       (SELECT as_of FROM sales_kpi.fiscal_now) AS as_of
FROM sales_kpi.stage_visit_totals t
WHERE t.entered > 0;
COMMENT ON VIEW sales_kpi.stage_analysis IS
    'Stage analysis dashboard: per pipeline and stage, deals entered, in it now, moved on, lost from it, time in stage, conversion to a later stage, stalled';
COMMENT ON COLUMN sales_kpi.stage_analysis.pipeline IS 'Pipeline (NULL in a single-pipeline CRM)';
COMMENT ON COLUMN sales_kpi.stage_analysis.stage IS 'Stage (the catalog''s name when catalogued, else as recorded)';
COMMENT ON COLUMN sales_kpi.stage_analysis.label IS 'The stage''s label in the catalog, else its name';
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
