-- Materialized twins of the dashboards, refreshed by
-- sales_kpi.refresh_dashboards() and scheduled with pg_cron.
--
-- Each twin has a unique index so that REFRESH MATERIALIZED VIEW
-- CONCURRENTLY can run: readers are never blocked by a refresh.  A
-- materialized view holds the rows its owner could see when it was
-- refreshed: row-level security on the tables does NOT apply to it, so no
-- one may read the twins until granted (see the README).
--
-- A twin runs its live view's own query (sales_kpi.twin_query()) over the
-- per-deal stores of incremental.sql, which the refresh keeps at the cost of
-- the deals that changed; a twin none of whose tables changed is left as it
-- is (sales_kpi.dashboard_sources).

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('league_status', 'section, rank'), ('pipeline', 'rep_id, pipeline'),
                                   ('team_activity', 'rep_id'), ('performance', 'dimension, dimension_value'),
                                   ('stage_analysis', 'pipeline, stage'), ('leaderboard', 'level, entity_id'),
                                   ('kpi_summary_periods', 'grain, period_start'),
                                   ('kpi_summary', 'grain, period_start'),
                                   ('pipeline_flow', 'level, entity_id'),
                                   ('stage_probabilities', 'pipeline, stage'),
                                   ('forecast', 'rep_id, period_start, category'),
                                   ('customer_cohorts', 'cohort_month, months_since'),
                                   ('lost_reasons', 'level, reason, lost_from_stage, rep_id'),
                                   ('customer_value', 'customer_id')) x(live, key)
    LOOP
        EXECUTE format('CREATE MATERIALIZED VIEW sales_kpi.%I AS %s', t.live || '_mv',
                       sales_kpi.twin_query(('sales_kpi.' || t.live)::regclass));
        -- (NULL in a key column is a value like any other: one row per key)
        EXECUTE format('CREATE UNIQUE INDEX %I ON sales_kpi.%I (%s) NULLS NOT DISTINCT', t.live || '_mv_key', t.live || '_mv', t.key);
    END LOOP;
END
$$;
-- The alerts' twin reads the twins refreshed before it (refresh_dashboards()
-- refreshes it last): the same rows as sales_kpi.kpi_alerts once they are
-- fresh, without computing the summary, pipeline and leaderboard again.
DO $$
BEGIN
    EXECUTE 'CREATE VIEW sales_kpi.kpi_values_of_twins WITH (security_invoker = true) AS '
            || sales_kpi.kpi_values_query('sales_kpi.kpi_summary_mv', 'sales_kpi.pipeline_mv', 'sales_kpi.leaderboard_mv');
    EXECUTE 'CREATE VIEW sales_kpi.kpi_alerts_of_twins WITH (security_invoker = true) AS '
            || sales_kpi.kpi_alerts_query('sales_kpi.kpi_values_of_twins');
    -- the live views' column comments
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN %s.%I IS %L', t.twin, a.attname,
                                      col_description(t.live, a.attnum)), '; ')
             FROM (VALUES ('sales_kpi.kpi_values'::regclass, 'sales_kpi.kpi_values_of_twins'),
                          ('sales_kpi.kpi_alerts'::regclass, 'sales_kpi.kpi_alerts_of_twins')) t(live, twin)
             JOIN pg_attribute a ON a.attrelid = t.live AND a.attnum > 0 AND NOT a.attisdropped);
END
$$;
COMMENT ON VIEW sales_kpi.kpi_values_of_twins IS 'sales_kpi.kpi_values over the twins (what the alerts'' twin reads)';
COMMENT ON VIEW sales_kpi.kpi_alerts_of_twins IS 'sales_kpi.kpi_alerts over the twins (the query of kpi_alerts_mv)';
CREATE MATERIALIZED VIEW sales_kpi.kpi_alerts_mv AS SELECT * FROM sales_kpi.kpi_alerts_of_twins;
CREATE UNIQUE INDEX kpi_alerts_mv_key ON sales_kpi.kpi_alerts_mv (target_id, scope_id);

COMMENT ON MATERIALIZED VIEW sales_kpi.league_status_mv IS 'Snapshot of sales_kpi.league_status (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.pipeline_mv IS 'Snapshot of sales_kpi.pipeline (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.team_activity_mv IS 'Snapshot of sales_kpi.team_activity (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.performance_mv IS 'Snapshot of sales_kpi.performance (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.stage_analysis_mv IS 'Snapshot of sales_kpi.stage_analysis (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.leaderboard_mv IS 'Snapshot of sales_kpi.leaderboard (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_summary_periods_mv IS 'Snapshot of sales_kpi.kpi_summary_periods, which kpi_summary_mv reads (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_summary_mv IS 'Snapshot of sales_kpi.kpi_summary (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.pipeline_flow_mv IS 'Snapshot of sales_kpi.pipeline_flow (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.stage_probabilities_mv IS 'Snapshot of sales_kpi.stage_probabilities (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.forecast_mv IS 'Snapshot of sales_kpi.forecast (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.customer_cohorts_mv IS 'Snapshot of sales_kpi.customer_cohorts (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.lost_reasons_mv IS 'Snapshot of sales_kpi.lost_reasons (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.customer_value_mv IS 'Snapshot of sales_kpi.customer_value (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_alerts_mv IS 'Snapshot of sales_kpi.kpi_alerts, computed from the other twins (no row-level security)';

-- What each twin holds: when it was last refreshed, as of which day, how
-- long that took, its rows, and the last error; with the writes to the
-- model tables counted by the statistics system at that refresh, so that
-- sales_kpi.dashboard_status can tell how much has changed since.
CREATE TABLE sales_kpi.dashboard_refreshes (
    view_name     text PRIMARY KEY,
    refreshed_at  timestamptz,
    as_of         date,
    duration      interval,
    rows          bigint,
    mode          text,
    model_writes  bigint,
    error         text,
    failed_at     timestamptz
);
COMMENT ON TABLE sales_kpi.dashboard_refreshes IS
    'The last refresh of each dashboard twin, written by sales_kpi.refresh_dashboards(); read sales_kpi.dashboard_status';

-- Rows inserted, updated and deleted in the model's tables so far, as the
-- cumulative statistics count them (reported at commit, within a second;
-- reset by pg_stat_reset() and a crash).
CREATE FUNCTION sales_kpi.model_writes()
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del), 0)::bigint
    FROM pg_stat_user_tables s
    WHERE s.schemaname = 'sales_kpi'
      AND s.relname IN ('reps', 'customers', 'products', 'deals', 'deal_history', 'activities', 'quotas',
                        'marketing_spend', 'market_size', 'subscriptions', 'kpi_targets', 'leads', 'stages')
$$;
COMMENT ON FUNCTION sales_kpi.model_writes() IS
    'Rows written to the model tables so far, by the cumulative statistics (for sales_kpi.dashboard_status)';

CREATE FUNCTION sales_kpi.refresh_dashboards(full boolean DEFAULT false)
RETURNS TABLE (view_name text, mode text, duration interval, rows bigint, error text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    mv text;
    started timestamptz;
    writes bigint;
    now_state sales_kpi.dashboard_refresh_state;
    was sales_kpi.dashboard_refresh_state;
    rebuild boolean;
    changed_sources text[];
    store_rows bigint;
BEGIN
    -- One refresh at a time (a second one waits for the first).
    PERFORM pg_advisory_xact_lock(hashtext('sales_kpi.refresh_dashboards'));
    writes := sales_kpi.model_writes();
    now_state := sales_kpi.dashboard_settings_now();
    SELECT * INTO was FROM sales_kpi.dashboard_refresh_state;

    -- Take the changes recorded so far (a write committed from now on stays
    -- for the next refresh).
    -- (a refresh earlier in the same transaction left its tables)
    IF to_regclass('pg_temp.dashboard_taken') IS NOT NULL THEN
        DROP TABLE pg_temp.dashboard_taken, pg_temp.dashboard_changed_deals;
    END IF;
    CREATE TEMP TABLE dashboard_taken ON COMMIT DROP AS
    WITH taken AS (DELETE FROM sales_kpi.dashboard_changes RETURNING source, deal_id)
    SELECT DISTINCT source, deal_id FROM taken;
    CREATE TEMP TABLE dashboard_changed_deals ON COMMIT DROP AS
    SELECT deal_id FROM pg_temp.dashboard_taken WHERE source = 'deals' AND deal_id IS NOT NULL;
    SELECT array_agg(DISTINCT source) INTO changed_sources FROM pg_temp.dashboard_taken;
    IF was.first_deal_at IS DISTINCT FROM now_state.first_deal_at THEN
        changed_sources := changed_sources || 'first_deal'::text;
    END IF;
    SELECT count(*) INTO store_rows FROM sales_kpi.deal_state_store;

    -- Everything is recomputed when asked, on the first refresh, when the
    -- settings or the catalog the stores were built under changed, after a
    -- TRUNCATE of the history, or when so many deals changed that
    -- rebuilding costs less.
    rebuild := refresh_dashboards.full OR was IS NULL
               OR (was.as_of, was.time_zone, was.fiscal_year_start_month, was.catalog)
                  IS DISTINCT FROM (now_state.as_of, now_state.time_zone, now_state.fiscal_year_start_month, now_state.catalog)
               OR EXISTS (SELECT FROM pg_temp.dashboard_taken WHERE source = 'deals' AND deal_id IS NULL)
               OR (SELECT count(*) FROM pg_temp.dashboard_changed_deals) > greatest(store_rows / 5, 1000);

    view_name := 'sales_kpi.deal_state_store';
    started := clock_timestamp();
    error := NULL;
    rows := sales_kpi.refresh_dashboard_stores(rebuild);
    mode := CASE WHEN rebuild THEN 'full' WHEN rows > 0 THEN 'incremental' ELSE 'unchanged' END;
    duration := clock_timestamp() - started;
    RETURN NEXT;
    INSERT INTO sales_kpi.dashboard_refresh_state AS s SELECT (now_state).*
    ON CONFLICT (singleton) DO UPDATE
       SET as_of = excluded.as_of, time_zone = excluded.time_zone,
           fiscal_year_start_month = excluded.fiscal_year_start_month, catalog = excluded.catalog,
           first_deal_at = excluded.first_deal_at, built_at = excluded.built_at;

    FOREACH mv IN ARRAY ARRAY['league_status_mv', 'pipeline_mv', 'team_activity_mv', 'performance_mv',
                              'stage_analysis_mv', 'leaderboard_mv', 'kpi_summary_periods_mv', 'kpi_summary_mv',
                              'pipeline_flow_mv', 'stage_probabilities_mv', 'forecast_mv', 'customer_cohorts_mv',
                              'lost_reasons_mv', 'customer_value_mv', 'kpi_alerts_mv']
    LOOP
        view_name := 'sales_kpi.' || mv;
        started := clock_timestamp();
        rows := NULL;
        error := NULL;
        -- A twin is recomputed when everything is, when it never was or its
        -- last refresh failed, or when a table it reads changed.
        mode := CASE
            WHEN rebuild THEN 'full'
            WHEN NOT EXISTS (SELECT FROM sales_kpi.dashboard_refreshes r
                              WHERE r.view_name = 'sales_kpi.' || mv AND r.error IS NULL AND r.as_of = now_state.as_of
                                AND r.refreshed_at IS NOT NULL)
              OR NOT (SELECT m.ispopulated FROM pg_matviews m WHERE m.schemaname = 'sales_kpi' AND m.matviewname = mv)
              THEN 'full'
            WHEN EXISTS (SELECT FROM sales_kpi.dashboard_sources s
                          WHERE s.view_name = 'sales_kpi.' || mv AND s.source = ANY (changed_sources))
              THEN 'incremental'
            ELSE 'unchanged' END;
        -- Each refresh is a subtransaction: a failure rolls back only this
        -- view, which keeps its last snapshot, and the others go on.
        BEGIN
            IF mode <> 'unchanged' THEN
                IF (SELECT m.ispopulated FROM pg_matviews m
                     WHERE m.schemaname = 'sales_kpi' AND m.matviewname = mv) THEN
                    EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY sales_kpi.%I', mv);
                ELSE
                    EXECUTE format('REFRESH MATERIALIZED VIEW sales_kpi.%I', mv);
                END IF;
            END IF;
            EXECUTE format('SELECT count(*) FROM sales_kpi.%I', mv) INTO rows;
        EXCEPTION WHEN OTHERS THEN
            error := SQLSTATE || ': ' || SQLERRM;
            RAISE WARNING 'refreshing % failed: %', view_name, error;
        END;
        duration := clock_timestamp() - started;
        IF error IS NULL AND mode <> 'unchanged' THEN
            -- the twins that read this one are recomputed after it
            changed_sources := changed_sources || view_name;
        END IF;
        IF error IS NULL THEN
            INSERT INTO sales_kpi.dashboard_refreshes AS r (view_name, refreshed_at, as_of, duration, rows, mode, model_writes)
            VALUES (view_name, started, now_state.as_of, duration, rows, mode, writes)
            ON CONFLICT (view_name) DO UPDATE
               SET refreshed_at = excluded.refreshed_at, as_of = excluded.as_of, duration = excluded.duration,
                   rows = excluded.rows, mode = excluded.mode, model_writes = excluded.model_writes,
                   error = NULL, failed_at = NULL;
        ELSE
            INSERT INTO sales_kpi.dashboard_refreshes AS r (view_name, error, failed_at)
            VALUES (view_name, error, started)
            ON CONFLICT (view_name) DO UPDATE SET error = excluded.error, failed_at = excluded.failed_at;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.refresh_dashboards(boolean) IS
    'Brings every dashboard''s materialized twin up to date (concurrently once populated): incrementally from the changes recorded since the last refresh, or everything when full, on the first refresh, or after a change of as-of day, time zone, fiscal year start or stage catalog; one row per store and view: name, mode (full, incremental, unchanged), duration, rows, error (a failed view keeps its last snapshot)';

-- Monitoring, and "data as of" for BI tools.
CREATE VIEW sales_kpi.dashboard_status WITH (security_invoker = true) AS
SELECT 'sales_kpi.' || m.matviewname AS view_name,
       m.ispopulated AS populated,
       r.refreshed_at,
       r.as_of,
       r.duration,
       r.mode AS last_mode,
       r.rows,
       greatest(sales_kpi.model_writes() - r.model_writes, 0) AS changes_pending,
       now() - r.refreshed_at AS stale_for,
       r.as_of IS NOT DISTINCT FROM sales_kpi.as_of()
         AND sales_kpi.model_writes() - r.model_writes = 0 AND r.error IS NULL AS current,
       r.error AS last_error,
       r.failed_at
FROM pg_matviews m
LEFT JOIN sales_kpi.dashboard_refreshes r ON r.view_name = 'sales_kpi.' || m.matviewname
WHERE m.schemaname = 'sales_kpi';
COMMENT ON VIEW sales_kpi.dashboard_status IS
    'Per dashboard twin: last refresh, as of which day, duration, rows, model rows written since (changes_pending), staleness, last error';
COMMENT ON COLUMN sales_kpi.dashboard_status.view_name IS 'The materialized twin';
COMMENT ON COLUMN sales_kpi.dashboard_status.populated IS 'Whether it holds rows at all (false until its first refresh)';
COMMENT ON COLUMN sales_kpi.dashboard_status.refreshed_at IS 'When the last successful refresh of this twin began';
COMMENT ON COLUMN sales_kpi.dashboard_status.as_of IS 'The as-of day the twin holds (its "data as of")';
COMMENT ON COLUMN sales_kpi.dashboard_status.duration IS 'How long that refresh took';
COMMENT ON COLUMN sales_kpi.dashboard_status.last_mode IS
    'How the last refresh brought it up to date: full (recomputed from everything), incremental (from the stores, after changes to what it reads) or unchanged (nothing it reads had changed)';
COMMENT ON COLUMN sales_kpi.dashboard_status.rows IS 'Rows the twin holds';
COMMENT ON COLUMN sales_kpi.dashboard_status.changes_pending IS
    'Rows inserted, updated or deleted in the model tables since that refresh began (by the cumulative statistics)';
COMMENT ON COLUMN sales_kpi.dashboard_status.stale_for IS 'now() - refreshed_at';
COMMENT ON COLUMN sales_kpi.dashboard_status.current IS 'Refreshed for today''s as-of day, nothing written since, last refresh succeeded';
COMMENT ON COLUMN sales_kpi.dashboard_status.last_error IS 'The error of the last refresh, if it failed (the twin keeps its previous rows)';
COMMENT ON COLUMN sales_kpi.dashboard_status.failed_at IS 'When that failed refresh began';

CREATE FUNCTION sales_kpi.schedule_refresh(schedule text DEFAULT '*/15 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'sales_kpi.schedule_refresh() registers a pg_cron job that runs sales_kpi.refresh_dashboards().',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, '
                         'restart the server and run CREATE EXTENSION pg_cron; or call sales_kpi.refresh_dashboards() from another scheduler.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
        USING 'sales_kpi_refresh_dashboards', schedule, 'SELECT * FROM sales_kpi.refresh_dashboards()';
    RETURN job;
END
$$;
COMMENT ON FUNCTION sales_kpi.schedule_refresh(text) IS
    'Registers (or reschedules) the pg_cron job sales_kpi_refresh_dashboards that runs sales_kpi.refresh_dashboards(); returns the job id';

CREATE FUNCTION sales_kpi.unschedule_refresh()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    removed boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'There is no scheduled refresh to remove without pg_cron.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'sales_kpi_refresh_dashboards') THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO removed USING 'sales_kpi_refresh_dashboards';
    RETURN removed;
END
$$;
COMMENT ON FUNCTION sales_kpi.unschedule_refresh() IS
    'Removes the pg_cron job registered by sales_kpi.schedule_refresh(); false when there was none';

-- Refreshing needs ownership of the materialized views; scheduling is for
-- the same people.
REVOKE ALL ON FUNCTION sales_kpi.refresh_dashboards(boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION sales_kpi.schedule_refresh(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sales_kpi.unschedule_refresh() FROM PUBLIC;
