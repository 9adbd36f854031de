-- Incremental refresh: what the dashboards' twins are computed from, kept
-- at the cost of what changed.
--
-- Rebuilding each deal's state and its stage visits from the history
-- (deal_versions, the catalog, window functions over every version) is most
-- of what a full refresh costs.  Both depend on one deal's own versions, the
-- stage catalog, the as-of day and the time zone only, so the refresh keeps
-- them per deal in two stores and recomputes the rows of the deals that
-- changed:
--
--   sales_kpi.deal_state_store    sales_kpi.deal_state, one row per deal
--   sales_kpi.stage_visits_store  sales_kpi.stage_visits, one row per visit
--
-- The twins (refresh.sql) run their live view's own query over the stores,
-- and kpi_summary rolls fiscal months' summaries up into quarters and years.
--
-- What changed is recorded by statement triggers into
-- sales_kpi.dashboard_changes: the deal ids a statement wrote to deals or
-- deal_history, and one row per statement on the other model tables, so
-- that a twin none of whose tables changed is not recomputed at all
-- (sales_kpi.dashboard_sources says which tables each twin reads).  A change
-- of the as-of day, time zone, fiscal year start or stage catalog is
-- detected by comparing sales_kpi.dashboard_refresh_state and rebuilds
-- everything.

CREATE TABLE sales_kpi.dashboard_changes (
    source   text NOT NULL,
    deal_id  text,
    rep_id   text
);
COMMENT ON TABLE sales_kpi.dashboard_changes IS
    'Writes to the model since the last refresh (statement triggers): the deals written, and one row per statement on the other tables; consumed by sales_kpi.refresh_dashboards()';
COMMENT ON COLUMN sales_kpi.dashboard_changes.source IS 'The model table written';
COMMENT ON COLUMN sales_kpi.dashboard_changes.deal_id IS 'The deal written (deals and deal_history); NULL for the other tables, and for a TRUNCATE';
COMMENT ON COLUMN sales_kpi.dashboard_changes.rep_id IS
    'The rep of a row written of that deal (one row per rep: before and after an owner change); the rep security policies show a rep the changes of their deals';
CREATE INDEX dashboard_changes_rep_id ON sales_kpi.dashboard_changes (rep_id);

-- What each twin is computed from, besides the stores and the settings: the
-- model tables it reads ('deals': the stores), 'first_deal' (the first
-- deal's creation, where the summary's months begin), and the twins it reads
-- (refreshed before it in the same refresh).
CREATE TABLE sales_kpi.dashboard_sources (
    view_name  text NOT NULL,
    source     text NOT NULL,
    PRIMARY KEY (view_name, source)
);
COMMENT ON TABLE sales_kpi.dashboard_sources IS
    'What each dashboard twin reads (model tables, and the twins refreshed before it): the refresh recomputes a twin only when one of them changed';
INSERT INTO sales_kpi.dashboard_sources (view_name, source)
SELECT v, s
FROM (VALUES ('sales_kpi.league_status_mv', ARRAY['deals', 'quotas', 'reps', 'customers']),
             ('sales_kpi.pipeline_mv', ARRAY['deals', 'reps']),
             ('sales_kpi.team_activity_mv', ARRAY['activities', 'reps']),
             ('sales_kpi.performance_mv', ARRAY['deals', 'reps', 'customers', 'products']),
             ('sales_kpi.stage_analysis_mv', ARRAY['deals']),
             ('sales_kpi.leaderboard_mv', ARRAY['deals', 'reps', 'quotas', 'activities']),
             ('sales_kpi.kpi_summary_periods_mv', ARRAY['customers', 'reps', 'subscriptions', 'marketing_spend',
                                                        'market_size', 'quotas', 'first_deal']),
             ('sales_kpi.kpi_summary_mv', ARRAY['deals', 'customers', 'reps', 'sales_kpi.kpi_summary_periods_mv']),
             ('sales_kpi.pipeline_flow_mv', ARRAY['deals', 'reps']),
             ('sales_kpi.stage_probabilities_mv', ARRAY['deals']),
             ('sales_kpi.forecast_mv', ARRAY['deals', 'reps']),
             ('sales_kpi.customer_cohorts_mv', ARRAY['deals', 'customers']),
             ('sales_kpi.lost_reasons_mv', ARRAY['deals', 'reps']),
             ('sales_kpi.customer_value_mv', ARRAY['deals', 'customers']),
             ('sales_kpi.kpi_alerts_mv', ARRAY['kpi_targets', 'sales_kpi.kpi_summary_mv', 'sales_kpi.pipeline_mv',
                                               'sales_kpi.leaderboard_mv'])) x(v, sources)
CROSS JOIN unnest(x.sources) s;

-- Settings and catalog the stores and twins were computed under.
CREATE TABLE sales_kpi.dashboard_refresh_state (
    singleton               boolean PRIMARY KEY DEFAULT true CONSTRAINT dashboard_refresh_state_one_row CHECK (singleton),
    as_of                   date NOT NULL,
    time_zone               text NOT NULL,
    fiscal_year_start_month integer NOT NULL,
    catalog                 text NOT NULL,
    first_deal_at           timestamptz,
    built_at                timestamptz NOT NULL
);
COMMENT ON TABLE sales_kpi.dashboard_refresh_state IS
    'The as-of day, time zone, fiscal year start, and the stage catalog, exchange rates, corporate currency and probability settings (md5 in catalog) the stores and twins were last computed under: any change makes the next refresh a full one';

-- The deal ids a statement wrote to deals or deal_history.
-- The change-capture triggers run as the extension's owner (SECURITY
-- DEFINER): a role granted writes on a model table needs no privilege on the
-- change log, which only the owner and sales_kpi_all_reps may read.
CREATE FUNCTION sales_kpi.dashboard_deals_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO sales_kpi.dashboard_changes (source, deal_id, rep_id) SELECT DISTINCT 'deals', deal_id, rep_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO sales_kpi.dashboard_changes (source, deal_id, rep_id) SELECT DISTINCT 'deals', deal_id, rep_id FROM old_rows;
    ELSE
        INSERT INTO sales_kpi.dashboard_changes (source, deal_id, rep_id)
        SELECT 'deals', deal_id, rep_id FROM new_rows UNION SELECT 'deals', deal_id, rep_id FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.dashboard_deals_changed() IS
    'Statement trigger on sales_kpi.deals and sales_kpi.deal_history: records the deals written, for the next incremental refresh';
REVOKE ALL ON FUNCTION sales_kpi.dashboard_deals_changed() FROM PUBLIC;

-- Any other write: one row per statement (a TRUNCATE of deal_history, whose
-- rows no transition table shows, makes the next refresh a full one).
CREATE FUNCTION sales_kpi.dashboard_table_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO sales_kpi.dashboard_changes (source, deal_id)
    VALUES (CASE WHEN TG_TABLE_NAME IN ('deals', 'deal_history') THEN 'deals' ELSE TG_TABLE_NAME END, NULL);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.dashboard_table_changed() IS
    'Statement trigger on the model tables: records that the table was written, for the next incremental refresh';
REVOKE ALL ON FUNCTION sales_kpi.dashboard_table_changed() FROM PUBLIC;

-- An UPDATE of activities counts only when it changed what the dashboards
-- read of them (deleting a deal sets its activities' deal_id to NULL, which
-- none of them reads).
CREATE FUNCTION sales_kpi.dashboard_activities_updated()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO sales_kpi.dashboard_changes (source, deal_id)
    SELECT 'activities', NULL
    WHERE EXISTS (SELECT o.rep_id, o.kind, o.created_at, o.due_at, o.completed_at FROM old_rows o
                  EXCEPT ALL
                  SELECT n.rep_id, n.kind, n.created_at, n.due_at, n.completed_at FROM new_rows n);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.dashboard_activities_updated() IS
    'Statement trigger on sales_kpi.activities (UPDATE): records the write when it changed the rep, kind or any time of an activity (what the dashboards read)';
REVOKE ALL ON FUNCTION sales_kpi.dashboard_activities_updated() FROM PUBLIC;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['deals', 'deal_history'] LOOP
        EXECUTE format('CREATE TRIGGER dashboard_inserted AFTER INSERT ON sales_kpi.%I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_deals_changed()', t);
        EXECUTE format('CREATE TRIGGER dashboard_updated AFTER UPDATE ON sales_kpi.%I REFERENCING OLD TABLE AS old_rows '
                       'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_deals_changed()', t);
        EXECUTE format('CREATE TRIGGER dashboard_deleted AFTER DELETE ON sales_kpi.%I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_deals_changed()', t);
    END LOOP;
    -- (a TRUNCATE of deals closes their history, which the trigger on
    -- deal_history records; a TRUNCATE of deal_history is recorded as such)
    EXECUTE 'CREATE TRIGGER dashboard_truncated AFTER TRUNCATE ON sales_kpi.deal_history '
            'FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_table_changed()';
    FOREACH t IN ARRAY ARRAY['reps', 'customers', 'products', 'quotas', 'marketing_spend',
                             'market_size', 'subscriptions', 'kpi_targets'] LOOP
        EXECUTE format('CREATE TRIGGER dashboard_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sales_kpi.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_table_changed()', t);
    END LOOP;
    EXECUTE 'CREATE TRIGGER dashboard_changed AFTER INSERT OR DELETE OR TRUNCATE ON sales_kpi.activities '
            'FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_table_changed()';
    EXECUTE 'CREATE TRIGGER dashboard_updated AFTER UPDATE ON sales_kpi.activities '
            'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.dashboard_activities_updated()';
END
$$;

CREATE TABLE sales_kpi.deal_state_store (LIKE sales_kpi.deal_state_computed);
CREATE UNIQUE INDEX deal_state_store_key ON sales_kpi.deal_state_store (deal_id);
CREATE INDEX deal_state_store_rep_id ON sales_kpi.deal_state_store (rep_id);
COMMENT ON TABLE sales_kpi.deal_state_store IS
    'sales_kpi.deal_state as of the last refresh, kept per deal by sales_kpi.refresh_dashboards() (what the twins read, and sales_kpi.deal_state for the deals not written since)';
CREATE TABLE sales_kpi.deal_state_quarter_open_store (LIKE sales_kpi.deal_state_quarter_open_computed);
CREATE INDEX deal_state_quarter_open_store_rep_id ON sales_kpi.deal_state_quarter_open_store (rep_id);
CREATE UNIQUE INDEX deal_state_quarter_open_store_key ON sales_kpi.deal_state_quarter_open_store (deal_id);
COMMENT ON TABLE sales_kpi.deal_state_quarter_open_store IS
    'sales_kpi.deal_state_quarter_open (the deals when the quarter began) as of the last refresh, kept per deal like deal_state_store (what the pipeline flow twin reads, and deal_state_quarter_open for the deals not written since)';
CREATE TABLE sales_kpi.stage_visits_store (LIKE sales_kpi.stage_visits_computed, rep_id text);
CREATE INDEX stage_visits_store_deal ON sales_kpi.stage_visits_store (deal_id);
CREATE INDEX stage_visits_store_rep_id ON sales_kpi.stage_visits_store (rep_id);
COMMENT ON TABLE sales_kpi.stage_visits_store IS
    'sales_kpi.stage_visits as of the last refresh, kept per deal by sales_kpi.refresh_dashboards() (what the twins read, and sales_kpi.stage_visits for the deals not written since)';
COMMENT ON COLUMN sales_kpi.stage_visits_store.rep_id IS
    'The rep of every version of the deal (sales_kpi.deal_owners.sole_rep; NULL: several reps, or a version without one)';
CREATE TABLE sales_kpi.stage_visit_reps_store (deal_id text NOT NULL, rep_id text NOT NULL, PRIMARY KEY (deal_id, rep_id));
CREATE INDEX stage_visit_reps_store_rep_id ON sales_kpi.stage_visit_reps_store (rep_id);
COMMENT ON TABLE sales_kpi.stage_visit_reps_store IS
    'The reps of each deal whose versions name several reps, or some none (sales_kpi.deal_owners), as of the last refresh: whose stage visits sales_kpi.stage_visits computes for a role that sees some of them';
-- (a role that sees one rep of such a deal sees that rep's versions of it
-- alone, and the visits they give are kept too)
CREATE TABLE sales_kpi.stage_visits_by_rep_store (LIKE sales_kpi.stage_visits_computed, rep_id text NOT NULL);
CREATE INDEX stage_visits_by_rep_store_deal ON sales_kpi.stage_visits_by_rep_store (deal_id);
CREATE INDEX stage_visits_by_rep_store_rep_id ON sales_kpi.stage_visits_by_rep_store (rep_id);
COMMENT ON TABLE sales_kpi.stage_visits_by_rep_store IS
    'The stage visits of each deal in stage_visit_reps_store as the versions of each of its reps alone give them, as of the last refresh: what sales_kpi.stage_visits reads for a role that sees one of the deal''s reps';
COMMENT ON COLUMN sales_kpi.stage_visits_by_rep_store.rep_id IS 'The rep whose versions of the deal these visits are computed from';
CREATE TABLE sales_kpi.stage_visit_totals_store (LIKE sales_kpi.stage_visit_totals);
CREATE UNIQUE INDEX stage_visit_totals_store_key ON sales_kpi.stage_visit_totals_store (pipeline, stage) NULLS NOT DISTINCT;
COMMENT ON TABLE sales_kpi.stage_visit_totals_store IS
    'sales_kpi.stage_visit_totals as of the last refresh, kept by subtracting the changed deals'' old visits and adding their new ones (what the stage analysis twin reads; no row-level security)';

-- The settings the stores depend on, now, and the start of the statement
-- (a refresh's).  STABLE: the views ask it, through
-- deal_state_store_current(), inside statements that may run in parallel
-- mode after writing (CREATE TABLE AS), where a VOLATILE SQL function would
-- have to start a command of its own and cannot.
CREATE FUNCTION sales_kpi.dashboard_settings_now()
RETURNS sales_kpi.dashboard_refresh_state
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT true, sales_kpi.as_of(), current_setting('TimeZone'),
           current_setting('sales_kpi.fiscal_year_start_month')::integer,
           -- the catalog, the rates and the settings the amounts and probabilities follow
           md5((SELECT coalesce(string_agg(s::text, ',' ORDER BY s::text), '') FROM sales_kpi.stages s)
               || '|' || (SELECT coalesce(string_agg(x::text, ',' ORDER BY x::text), '') FROM sales_kpi.exchange_rates x)
               || '|' || coalesce(sales_kpi.corporate_currency(), '') || '|' || sales_kpi.probability_source()
               || '|' || sales_kpi.probability_window()),
           (SELECT min(d.created_at) FROM sales_kpi.deals d),
           statement_timestamp()
$$;
COMMENT ON FUNCTION sales_kpi.dashboard_settings_now() IS
    'The as-of day, time zone, fiscal year start, stage catalog, exchange rates and currency and probability settings (md5), and first deal the dashboards would be computed under now';

-- Whether deal_state_store (and deal_state_quarter_open_store, kept with
-- it) holds what would be computed now, but for the deals written since
-- (sales_kpi.deal_state_rows()): built under the settings of now, compared
-- as the refresh compares them, and no TRUNCATE of the history since.
-- Reads the refresh's state, which only the owner may: says nothing else.
CREATE FUNCTION sales_kpi.deal_state_store_current()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM sales_kpi.dashboard_refresh_state s, sales_kpi.dashboard_settings_now() n
                   WHERE (s.as_of, s.time_zone, s.fiscal_year_start_month, s.catalog)
                         IS NOT DISTINCT FROM (n.as_of, n.time_zone, n.fiscal_year_start_month, n.catalog))
       AND NOT EXISTS (SELECT FROM sales_kpi.dashboard_changes c
                       WHERE c.source OPERATOR(pg_catalog.=) 'deals' AND c.deal_id IS NULL)
$$;
COMMENT ON FUNCTION sales_kpi.deal_state_store_current() IS
    'Whether sales_kpi.deal_state_store was built under the as-of day, time zone, fiscal year start, catalog, rates and settings of now, with no TRUNCATE of the history since (what sales_kpi.deal_state_rows() asks; the quarter-open store is kept with it)';
-- (granted by sales_kpi.grant_rep_access(); a role without it reads
-- deal_state computed from the versions)
REVOKE ALL ON FUNCTION sales_kpi.deal_state_store_current() FROM PUBLIC;

-- The query of stage_visits_by_rep_store's rows for the deals the query
-- `deals` lists: stage_visits_computed's own query, over each (deal, rep)
-- pair's versions as a deal of its own -- the rep's versions of the deal, or
-- its current row when none of them is the rep's, as a role seeing that
-- rep alone sees them (sales_kpi.deal_versions).  A pair's key is the rep's
-- length, a colon, the rep and the deal, which no two pairs share however
-- the ids are spelt.
CREATE FUNCTION sales_kpi.stage_visits_by_rep_query(deals text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
SELECT format($q$
SELECT substr(v.deal_id, strpos(v.deal_id, ':') + 1 + split_part(v.deal_id, ':', 1)::integer) AS deal_id,
       v.entered_at, v.pipeline, v.stage, v.label, v.pipeline_order, v.stalled_after_days, v.in_stage,
       v.next_stage, v.current, v.outcome, v.next_outcome, v.next_order, v.first_visit, v.as_of,
       substr(v.deal_id, strpos(v.deal_id, ':') + 1, split_part(v.deal_id, ':', 1)::integer) AS rep_id
FROM (%s) v
$q$, sales_kpi.view_query('sales_kpi.stage_visits_computed',
                          ARRAY['sales_kpi.deal_versions', 'sales_kpi.deal_stage_history'],
                          ARRAY[format('(%s)', pv), format('(SELECT v.deal_id, v.pipeline, v.stage, v.stage_entered_at AS entered_at FROM (%s) v WHERE v.stage_entered_at OPERATOR(pg_catalog.=) lower(v.valid))', pv)]))
FROM (SELECT format($v$
    SELECT length(h.rep_id) || ':' || h.rep_id || h.deal_id AS deal_id, h.valid, h.pipeline, h.stage, h.stage_entered_at
    FROM sales_kpi.deal_history h
    WHERE h.deal_id IN (%1$s) AND h.rep_id IS NOT NULL
    UNION ALL
    SELECT length(d.rep_id) || ':' || d.rep_id || d.deal_id, tstzrange(d.created_at, NULL), d.pipeline, d.stage, d.created_at
    FROM sales_kpi.deals d
    WHERE d.deal_id IN (%1$s) AND d.rep_id IS NOT NULL
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h
                      WHERE h.deal_id OPERATOR(pg_catalog.=) d.deal_id AND h.rep_id OPERATOR(pg_catalog.=) d.rep_id)
$v$, deals) AS pv) x
$f$;
COMMENT ON FUNCTION sales_kpi.stage_visits_by_rep_query(text) IS
    'The query of sales_kpi.stage_visits_by_rep_store''s rows for the deals a query lists: each of their reps'' versions'' stage visits';
REVOKE ALL ON FUNCTION sales_kpi.stage_visits_by_rep_query(text) FROM PUBLIC;

-- Bring the stores up to date: all of them (full), or the deals in
-- pg_temp.dashboard_changed_deals.  Returns the deals recomputed.
CREATE FUNCTION sales_kpi.refresh_dashboard_stores(full boolean)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    ids text[];
    versions constant text := '(SELECT * FROM sales_kpi.deal_versions WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    stages constant text := '(SELECT * FROM sales_kpi.deal_stage_history WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    visits constant text := '(SELECT * FROM sales_kpi.stage_visits_store WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    history constant text := '(SELECT * FROM sales_kpi.deal_history WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    deals constant text := '(SELECT * FROM sales_kpi.deals WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
BEGIN
    -- the reps of the deals (each stored visit carries its deal's sole rep)
    IF to_regclass('pg_temp.dashboard_deal_owners') IS NOT NULL THEN
        DROP TABLE pg_temp.dashboard_deal_owners;
    END IF;
    IF refresh_dashboard_stores.full THEN
        -- the live dashboards read the two deal state stores (whose rows
        -- they use only while the settings are those the refresh records,
        -- in this same transaction): deleting, not truncating, keeps them
        -- readable meanwhile; only the refresh reads the others
        DELETE FROM sales_kpi.deal_state_store;
        DELETE FROM sales_kpi.deal_state_quarter_open_store;
        -- (and the stage visits' stores too, which stage_visits reads)
        DELETE FROM sales_kpi.stage_visits_store;
        DELETE FROM sales_kpi.stage_visit_reps_store;
        DELETE FROM sales_kpi.stage_visits_by_rep_store;
        TRUNCATE sales_kpi.stage_visit_totals_store;
        -- (in rep order, as the visits below: a rep's or a manager's deals
        -- then lie together -- a manager's 41,639 of a million on 1,554
        -- pages instead of 22,470)
        INSERT INTO sales_kpi.deal_state_store SELECT * FROM sales_kpi.deal_state_computed ORDER BY rep_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO sales_kpi.deal_state_quarter_open_store
        SELECT * FROM sales_kpi.deal_state_quarter_open_computed ORDER BY rep_id;
        ANALYZE sales_kpi.deal_state_quarter_open_store;
        CREATE TEMP TABLE dashboard_deal_owners ON COMMIT DROP AS SELECT * FROM sales_kpi.deal_owners;
        INSERT INTO sales_kpi.stage_visits_store
        SELECT v.*, o.sole_rep FROM sales_kpi.stage_visits_computed v
        LEFT JOIN pg_temp.dashboard_deal_owners o ON o.deal_id OPERATOR(pg_catalog.=) v.deal_id
        ORDER BY o.sole_rep;
        INSERT INTO sales_kpi.stage_visit_reps_store
        SELECT o.deal_id, unnest(o.reps) FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL;
        EXECUTE 'INSERT INTO sales_kpi.stage_visits_by_rep_store SELECT * FROM ('
                || sales_kpi.stage_visits_by_rep_query('SELECT o.deal_id FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL')
                || ') v ORDER BY v.rep_id';
        ANALYZE sales_kpi.deal_state_store;
        ANALYZE sales_kpi.stage_visits_store;
        ANALYZE sales_kpi.stage_visit_reps_store;
        ANALYZE sales_kpi.stage_visits_by_rep_store;
        EXECUTE 'INSERT INTO sales_kpi.stage_visit_totals_store '
                || sales_kpi.stage_visit_totals_query('sales_kpi.stage_visits_store');
        RETURN n;
    END IF;
    SELECT count(*) INTO n FROM pg_temp.dashboard_changed_deals;
    IF n = 0 THEN
        RETURN 0;
    END IF;
    SELECT array_agg(deal_id) INTO ids FROM pg_temp.dashboard_changed_deals;
    -- the stage totals of those deals' visits as they were
    IF to_regclass('pg_temp.dashboard_totals_delta') IS NOT NULL THEN
        DROP TABLE pg_temp.dashboard_totals_delta;
    END IF;
    EXECUTE 'CREATE TEMP TABLE dashboard_totals_delta ON COMMIT DROP AS SELECT -1 AS sign, * FROM ('
            || sales_kpi.stage_visit_totals_query(visits)
            || ') t'
    USING ids;
    DELETE FROM sales_kpi.deal_state_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.deal_state_quarter_open_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.stage_visits_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.stage_visit_reps_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.stage_visits_by_rep_store s WHERE s.deal_id = ANY (ids);
    -- the views' own queries, over the versions of those deals only
    EXECUTE 'INSERT INTO sales_kpi.deal_state_store '
            || sales_kpi.view_query('sales_kpi.deal_state_computed', ARRAY['sales_kpi.deal_versions'], ARRAY[versions])
    USING ids;
    EXECUTE 'INSERT INTO sales_kpi.deal_state_quarter_open_store '
            || sales_kpi.view_query('sales_kpi.deal_state_quarter_open_computed', ARRAY['sales_kpi.deal_versions'], ARRAY[versions])
    USING ids;
    EXECUTE 'CREATE TEMP TABLE dashboard_deal_owners ON COMMIT DROP AS '
            || sales_kpi.view_query('sales_kpi.deal_owners', ARRAY['sales_kpi.deal_history', 'sales_kpi.deals'],
                                    ARRAY[history, deals])
    USING ids;
    EXECUTE 'INSERT INTO sales_kpi.stage_visits_store SELECT v.*, o.sole_rep FROM ('
            || sales_kpi.view_query('sales_kpi.stage_visits_computed', ARRAY['sales_kpi.deal_versions', 'sales_kpi.deal_stage_history'],
                                    ARRAY[versions, stages])
            || ') v LEFT JOIN pg_temp.dashboard_deal_owners o ON o.deal_id OPERATOR(pg_catalog.=) v.deal_id'
    USING ids;
    INSERT INTO sales_kpi.stage_visit_reps_store
    SELECT o.deal_id, unnest(o.reps) FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL;
    EXECUTE 'INSERT INTO sales_kpi.stage_visits_by_rep_store '
            || sales_kpi.stage_visits_by_rep_query('SELECT o.deal_id FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL');
    -- and as they are now: the totals move by the difference (sums and
    -- counts, exact; a stage's label and order are the catalog's)
    EXECUTE 'INSERT INTO pg_temp.dashboard_totals_delta SELECT 1, * FROM ('
            || sales_kpi.stage_visit_totals_query(visits)
            || ') t'
    USING ids;
    INSERT INTO sales_kpi.stage_visit_totals_store AS s
    SELECT d.pipeline, d.stage, min(d.label) FILTER (WHERE d.sign = 1), min(d.pipeline_order) FILTER (WHERE d.sign = 1),
           sum(d.sign * d.entered), sum(d.sign * d.deals_entered), sum(d.sign * d.in_stage_now),
           sum(d.sign * d.moved_on), sum(d.sign * d.lost_from_stage),
           coalesce(sum(d.open_time) FILTER (WHERE d.sign = 1), interval '0')
             - coalesce(sum(d.open_time) FILTER (WHERE d.sign = -1), interval '0'),
           sum(d.sign * d.open_visits), sum(d.sign * d.converted), sum(d.sign * d.stalled_deals)
    FROM pg_temp.dashboard_totals_delta d
    GROUP BY d.pipeline, d.stage
    ON CONFLICT (pipeline, stage) DO UPDATE
       SET label = coalesce(s.label, excluded.label), pipeline_order = coalesce(s.pipeline_order, excluded.pipeline_order),
           entered = s.entered + excluded.entered, deals_entered = s.deals_entered + excluded.deals_entered,
           in_stage_now = s.in_stage_now + excluded.in_stage_now, moved_on = s.moved_on + excluded.moved_on,
           lost_from_stage = s.lost_from_stage + excluded.lost_from_stage,
           open_time = coalesce(s.open_time, interval '0') + excluded.open_time,
           open_visits = s.open_visits + excluded.open_visits, converted = s.converted + excluded.converted,
           stalled_deals = s.stalled_deals + excluded.stalled_deals;
    DELETE FROM sales_kpi.stage_visit_totals_store WHERE entered = 0;
    RETURN n;
END
$$;
COMMENT ON FUNCTION sales_kpi.refresh_dashboard_stores(boolean) IS
    'Recomputes the stores'' rows of the deals in pg_temp.dashboard_changed_deals, or (full) all of them; used by sales_kpi.refresh_dashboards()';
REVOKE ALL ON FUNCTION sales_kpi.refresh_dashboard_stores(boolean) FROM PUBLIC;

-- The query of a dashboard's twin: its live view's own query, reading the
-- stores (and kpi_summary_periods' twin) instead of the live views.
CREATE FUNCTION sales_kpi.twin_query(live regclass)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- (a CTE ds the live view materializes, so as not to compute deal_state
    -- twice, is a scan of the store to be read as often as needed)
    SELECT regexp_replace(sales_kpi.view_query(live, array_agg(r.rel), array_agg(r.store)),
                          '(\W)ds AS MATERIALIZED \(', '\1ds AS NOT MATERIALIZED (', 'g')
    FROM (VALUES ('sales_kpi.deal_state', 'sales_kpi.deal_state_store'),
                 ('sales_kpi.deal_state_quarter_open', 'sales_kpi.deal_state_quarter_open_store'),
                 ('sales_kpi.stage_visits', 'sales_kpi.stage_visits_store'),
                 ('sales_kpi.stage_visit_totals', 'sales_kpi.stage_visit_totals_store'),
                 ('sales_kpi.kpi_summary_periods', 'sales_kpi.kpi_summary_periods_mv')) r(rel, store)
    WHERE pg_get_viewdef(live) ~ (replace(r.rel, '.', '\.') || '(?![a-z_0-9])')
$$;
COMMENT ON FUNCTION sales_kpi.twin_query(regclass) IS
    'The query of a dashboard''s materialized twin: the live view''s query over the stores';
