-- Materialized twins of the dashboards, refreshed by
-- sales_kpi.refresh_dashboards() and scheduled with pg_cron.
--
-- Each twin has a unique index so that REFRESH MATERIALIZED VIEW
-- CONCURRENTLY can run: readers are never blocked by a refresh.  A
-- materialized view holds the rows its owner could see when it was
-- refreshed: row-level security on the tables does NOT apply to it, so no
-- one may read the twins until granted (see the README).

CREATE MATERIALIZED VIEW sales_kpi.league_status_mv AS SELECT * FROM sales_kpi.league_status;
CREATE UNIQUE INDEX league_status_mv_key ON sales_kpi.league_status_mv (section, rank);
CREATE MATERIALIZED VIEW sales_kpi.pipeline_mv AS SELECT * FROM sales_kpi.pipeline;
CREATE UNIQUE INDEX pipeline_mv_key ON sales_kpi.pipeline_mv (rep_id, pipeline);
CREATE MATERIALIZED VIEW sales_kpi.team_activity_mv AS SELECT * FROM sales_kpi.team_activity;
CREATE UNIQUE INDEX team_activity_mv_key ON sales_kpi.team_activity_mv (rep_id);
CREATE MATERIALIZED VIEW sales_kpi.performance_mv AS SELECT * FROM sales_kpi.performance;
CREATE UNIQUE INDEX performance_mv_key ON sales_kpi.performance_mv (dimension, dimension_value);
CREATE MATERIALIZED VIEW sales_kpi.stage_analysis_mv AS SELECT * FROM sales_kpi.stage_analysis;
CREATE UNIQUE INDEX stage_analysis_mv_key ON sales_kpi.stage_analysis_mv (pipeline, stage);
CREATE MATERIALIZED VIEW sales_kpi.leaderboard_mv AS SELECT * FROM sales_kpi.leaderboard;
CREATE UNIQUE INDEX leaderboard_mv_key ON sales_kpi.leaderboard_mv (level, entity_id);
CREATE MATERIALIZED VIEW sales_kpi.kpi_summary_mv AS SELECT * FROM sales_kpi.kpi_summary;
CREATE UNIQUE INDEX kpi_summary_mv_key ON sales_kpi.kpi_summary_mv (grain, period_start);
CREATE MATERIALIZED VIEW sales_kpi.kpi_alerts_mv AS SELECT * FROM sales_kpi.kpi_alerts;
CREATE UNIQUE INDEX kpi_alerts_mv_key ON sales_kpi.kpi_alerts_mv (target_id, scope_id);

COMMENT ON MATERIALIZED VIEW sales_kpi.league_status_mv IS 'Snapshot of sales_kpi.league_status (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.pipeline_mv IS 'Snapshot of sales_kpi.pipeline (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.team_activity_mv IS 'Snapshot of sales_kpi.team_activity (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.performance_mv IS 'Snapshot of sales_kpi.performance (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.stage_analysis_mv IS 'Snapshot of sales_kpi.stage_analysis (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.leaderboard_mv IS 'Snapshot of sales_kpi.leaderboard (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_summary_mv IS 'Snapshot of sales_kpi.kpi_summary (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_alerts_mv IS 'Snapshot of sales_kpi.kpi_alerts (no row-level security)';

CREATE FUNCTION sales_kpi.refresh_dashboards()
RETURNS TABLE (view_name text, duration interval, rows bigint, error text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mv text;
    started timestamptz;
BEGIN
    FOREACH mv IN ARRAY ARRAY['league_status_mv', 'pipeline_mv', 'team_activity_mv', 'performance_mv',
                              'stage_analysis_mv', 'leaderboard_mv', 'kpi_summary_mv', 'kpi_alerts_mv']
    LOOP
        view_name := 'sales_kpi.' || mv;
        started := clock_timestamp();
        rows := NULL;
        error := NULL;
        -- Each refresh is a subtransaction: a failure rolls back only this
        -- view, which keeps its last snapshot, and the others go on.
        BEGIN
            IF (SELECT m.ispopulated FROM pg_matviews m
                 WHERE m.schemaname = 'sales_kpi' AND m.matviewname = mv) THEN
                EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY sales_kpi.%I', mv);
            ELSE
                EXECUTE format('REFRESH MATERIALIZED VIEW sales_kpi.%I', mv);
            END IF;
            EXECUTE format('SELECT count(*) FROM sales_kpi.%I', mv) INTO rows;
        EXCEPTION WHEN OTHERS THEN
            error := SQLSTATE || ': ' || SQLERRM;
            RAISE WARNING 'refreshing % failed: %', view_name, error;
        END;
        duration := clock_timestamp() - started;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.refresh_dashboards() IS
    'Refreshes every dashboard''s materialized twin (concurrently once populated); one row per view: name, duration, rows, error (a failed view keeps its last snapshot)';

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
REVOKE ALL ON FUNCTION sales_kpi.refresh_dashboards() FROM PUBLIC;
REVOKE ALL ON FUNCTION sales_kpi.schedule_refresh(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sales_kpi.unschedule_refresh() FROM PUBLIC;
