-- Stage visits: every stage every deal entered, up to the end of the as-of
-- day, with the catalog's view of it and of the stage entered next.  What
-- the stage analysis, the learnt stage probabilities and the lost reasons
-- read.

-- Every stage visit up to the end of the as-of day, one row per visit,
-- with what the dashboard needs from the catalog: the stage as the catalog
-- names it, its label and order, and the outcome and order of the stage the
-- deal moved to next.  A visit depends on its own deal's versions and the
-- catalog only, so the refresh keeps a per-deal copy of it
-- (sales_kpi.stage_visits_store, incremental.sql) for the deals that changed,
-- and sales_kpi.stage_visits reads that copy where it can (below).
CREATE VIEW sales_kpi.stage_visits_computed WITH (security_invoker = true) AS
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
COMMENT ON VIEW sales_kpi.stage_visits_computed IS
    'sales_kpi.stage_visits computed from the versions of every deal (what the refresh keeps in sales_kpi.stage_visits_store)';
-- (security_invoker, and granted like deal_state_computed: the roles that
-- may read the versions may read it)
GRANT SELECT ON sales_kpi.stage_visits_computed TO PUBLIC;

-- Per deal, the reps its versions name: the one rep of every version
-- (sole_rep), or NULL when they name several or some name none, and then
-- the reps named.  The rep policies show a role every version of a deal
-- with a sole rep or none of them; of another deal, maybe some only, whose
-- visits are not the deal's visits.  So the refresh records the sole rep
-- beside each stored visit and the reps of the other deals
-- (sales_kpi.stage_visit_reps_store, incremental.sql).
CREATE VIEW sales_kpi.deal_owners WITH (security_invoker = true) AS
SELECT o.deal_id,
       CASE WHEN count(DISTINCT o.rep_id) = 1 AND count(o.rep_id) = count(*) THEN min(o.rep_id) END AS sole_rep,
       array_agg(DISTINCT o.rep_id) FILTER (WHERE o.rep_id IS NOT NULL) AS reps
FROM (SELECT h.deal_id, h.rep_id FROM sales_kpi.deal_history h
      UNION ALL
      SELECT d.deal_id, d.rep_id FROM sales_kpi.deals d) o
GROUP BY o.deal_id;
COMMENT ON VIEW sales_kpi.deal_owners IS
    'Per deal, the rep named by every version (sole_rep; NULL if several or none are) and the reps its versions name';
COMMENT ON COLUMN sales_kpi.deal_owners.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.deal_owners.sole_rep IS 'The rep of every version of the deal (NULL: several reps, or a version without one)';
COMMENT ON COLUMN sales_kpi.deal_owners.reps IS 'The reps the versions name';

-- What the dashboards read: stage_visits_computed, or as much of it as the
-- refresh kept in sales_kpi.stage_visits_store when that is the same thing,
-- as for deal_state (00_deal_state.sql; the same refresh keeps both stores,
-- so sales_kpi.deal_state_store_current() says whether this one is current
-- too).  Under the rep policies a role sees a stored visit when it sees the
-- deal's sole rep, and so every version the visit was computed from.  The
-- visits of a deal with several reps whose stored rows the role does not
-- see (only roles that see every rep do), and of every deal written since
-- the refresh, are computed from the versions the role sees -- but for a
-- deal of which the role sees one rep, whose visits from that rep's versions
-- the refresh keeps too (sales_kpi.stage_visits_by_rep_store).  So a rep, or
-- a manager, reads their reps' stored visits through the rep_id index
-- instead of the versions of all their deals.
-- The same for the visits of some deals only (deals NULL: every deal),
-- which reads only those deals' stored rows, through the deal_id index:
-- the lost reasons want the visits of this year's lost deals, a few
-- thousand of a manager's 150,000 visits.
-- (its row estimate: the visits the statistics know of, src/deal_state.c)
CREATE FUNCTION sales_kpi.stage_visits_rows_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_visits_rows_support' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.stage_visits_rows_support(internal) IS
    'Planner support for sales_kpi.stage_visits_of(): estimates its rows as the visits the statistics know of, or of the deals it is given';

-- The query stage_visits_of() runs and its parameters ($1 changed, $2
-- one_rep, $3 the deals asked for): what stage_visit_totals_rows()
-- aggregates in the same statement (stage_analysis.sql).
CREATE FUNCTION sales_kpi.stage_visits_plan(deals text[], OUT query_text text, OUT changed text[], OUT one_rep text[])
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    use_store boolean := false;
    versions text;
    computed text;
BEGIN
    one_rep := '{}';
    IF sales_kpi.stores_readable(ARRAY['sales_kpi.stage_visits_store', 'sales_kpi.stage_visit_reps_store',
                                       'sales_kpi.stage_visits_by_rep_store']::regclass[]) THEN
        -- (a statement of its own: calling a function takes the privilege
        -- to, checked when the statement starts)
        use_store := sales_kpi.deal_state_store_current();
    END IF;
    IF NOT use_store AND deals IS NULL THEN
        query_text := 'SELECT * FROM sales_kpi.stage_visits_computed';
        RETURN;
    END IF;
    -- the view's own query over the versions of the deals $1 (a filter on
    -- the view would not reach the per-deal ends it joins), the versions'
    -- own query over those deals' rows: a filter on deal_versions would not
    -- reach the history its deals never recorded are looked up in, which
    -- (nested loops off, below) a manager's 186,000 versions were hashed
    -- for.  The versions are read once, for the visits and for the stage
    -- history (each reading costs the history's index scans).
    versions := sales_kpi.view_query('sales_kpi.deal_versions',
                                     ARRAY['sales_kpi.deal_history', 'sales_kpi.deals'],
                                     ARRAY['(SELECT * FROM sales_kpi.deal_history WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))',
                                           '(SELECT * FROM sales_kpi.deals WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))']);
    computed := 'WITH changed_versions AS MATERIALIZED (' || versions || ')
         SELECT * FROM ('
        || sales_kpi.view_query('sales_kpi.stage_visits_computed',
                                ARRAY['sales_kpi.deal_versions', 'sales_kpi.deal_stage_history'],
                                ARRAY['changed_versions',
                                      '(' || sales_kpi.view_query('sales_kpi.deal_stage_history',
                                                                  ARRAY['sales_kpi.deal_versions'],
                                                                  ARRAY['changed_versions']) || ')'])
        || ') c';
    IF NOT use_store THEN
        -- (a query naming no store, which the role may not read)
        query_text := computed;
        changed := deals;
        RETURN;
    END IF;
    -- the deals written since the refresh
    SELECT coalesce(array_agg(DISTINCT c.deal_id), '{}') INTO changed
    FROM sales_kpi.dashboard_changes c
    WHERE c.source OPERATOR(pg_catalog.=) 'deals' AND c.deal_id IS NOT NULL;
    -- the deals of several reps, whose stored visits (rep_id NULL) a role
    -- the rep policy restricts does not see -- the extension's policies
    -- alone decide here (stores_readable()), and show those rows to every
    -- role or to none but sales_kpi_all_reps members: of those deals, the
    -- ones it sees one rep of are kept as that rep's versions give them,
    -- the others are computed too
    IF sales_kpi.rep_policy_restricts('sales_kpi.stage_visits_store') THEN
        SELECT coalesce(array_agg(m.deal_id) FILTER (WHERE m.seen OPERATOR(pg_catalog.=) 1
                                                         AND NOT m.deal_id OPERATOR(pg_catalog.=) ANY (changed)), '{}'),
               changed OPERATOR(pg_catalog.||) coalesce(array_agg(m.deal_id) FILTER (WHERE m.seen OPERATOR(pg_catalog.>) 1), '{}')
        INTO one_rep, changed
        FROM (SELECT r.deal_id, count(*) AS seen FROM sales_kpi.stage_visit_reps_store r GROUP BY r.deal_id) m;
    END IF;
    -- of those, the deals asked for (hashed: either side may be many)
    IF deals IS NOT NULL THEN
        changed := ARRAY(SELECT unnest(deals) INTERSECT SELECT unnest(changed));
        one_rep := ARRAY(SELECT unnest(deals) INTERSECT SELECT unnest(one_rep));
    END IF;
    -- (with deals NULL, "$3 IS NULL" is a constant true and the store is
    -- read whole; else through its deal_id index.  With no deal to compute,
    -- as right after a refresh, neither the anti-join nor the computation:
    -- a manager of 10's 152,239 visits at 1M deals, 176 -> 155 ms.)
    query_text :=
        'SELECT s.deal_id, s.entered_at, s.pipeline, s.stage, s.label, s.pipeline_order, s.stalled_after_days,
                s.in_stage, s.next_stage, s.current, s.outcome, s.next_outcome, s.next_order, s.first_visit, s.as_of
         FROM sales_kpi.stage_visits_store s
         WHERE ($3 IS NULL OR s.deal_id OPERATOR(pg_catalog.=) ANY ($3))'
        || CASE WHEN changed OPERATOR(pg_catalog.=) '{}' THEN '' ELSE '
           AND NOT EXISTS (SELECT FROM unnest($1) AS x(deal_id) WHERE x.deal_id OPERATOR(pg_catalog.=) s.deal_id)' END
        || '
         UNION ALL
         SELECT p.deal_id, p.entered_at, p.pipeline, p.stage, p.label, p.pipeline_order, p.stalled_after_days,
                p.in_stage, p.next_stage, p.current, p.outcome, p.next_outcome, p.next_order, p.first_visit, p.as_of
         FROM sales_kpi.stage_visits_by_rep_store p
         WHERE p.deal_id OPERATOR(pg_catalog.=) ANY ($2)'
        || CASE WHEN changed OPERATOR(pg_catalog.=) '{}' THEN '' ELSE '
         UNION ALL
         SELECT v.* FROM (' || computed || ') v' END;
END
$$;
COMMENT ON FUNCTION sales_kpi.stage_visits_plan(text[]) IS
    'The query sales_kpi.stage_visits_of() runs for the caller and its parameters: the deals to compute ($1), those of several reps read as one rep''s ($2), the deals asked for ($3)';

-- (enable_nestloop off: the planner, estimating a few rows for the deals
-- computed, joins each visit to its deal's end one pair at a time -- 8
-- million comparisons, 1 s, for a manager's 2,000 deals of several reps)
CREATE FUNCTION sales_kpi.stage_visits_of(deals text[])
RETURNS SETOF sales_kpi.stage_visits_computed
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
SUPPORT sales_kpi.stage_visits_rows_support
AS $$
DECLARE
    p record;
BEGIN
    SELECT * INTO p FROM sales_kpi.stage_visits_plan(deals);
    RETURN QUERY EXECUTE p.query_text USING p.changed, p.one_rep, deals;
END
$$;
COMMENT ON FUNCTION sales_kpi.stage_visits_of(text[]) IS
    'The stage visits of the deals given (NULL: of every deal, as sales_kpi.stage_visits): the refresh''s per-deal store where it is current and shows the caller what the versions would, the deals written since (and those of several reps whose stored rows the caller does not see) computed from their versions; else all computed';

-- What the view reads: an SQL function the planner replaces by its body, so
-- that the view scans stage_visits_of(NULL) itself.
CREATE FUNCTION sales_kpi.stage_visits_rows()
RETURNS SETOF sales_kpi.stage_visits_computed
LANGUAGE sql STABLE PARALLEL RESTRICTED
AS $$ SELECT * FROM sales_kpi.stage_visits_of(NULL::text[]) $$;
COMMENT ON FUNCTION sales_kpi.stage_visits_rows() IS
    'The rows of sales_kpi.stage_visits: sales_kpi.stage_visits_of(NULL), every deal''s visits';

CREATE VIEW sales_kpi.stage_visits WITH (security_invoker = true) AS
SELECT * FROM sales_kpi.stage_visits_rows();
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
DO $$
BEGIN
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN sales_kpi.stage_visits_computed.%I IS %L', a.attname,
                                      col_description(a.attrelid, a.attnum)), '; ')
             FROM pg_attribute a WHERE a.attrelid = 'sales_kpi.stage_visits'::regclass AND a.attnum > 0);
END
$$;
