-- Compares every dashboard as of the day :day with what snapshot_views.sql
-- saved under :tag: the rows only one side has, per view (values compared
-- as values: 0.10 equals 0.1000).  Fails naming the views that differ.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET sales_kpi.as_of = :'day';
DROP TABLE IF EXISTS pg_temp.view_diffs;
CREATE TEMP TABLE view_diffs (view text, side text, row_text text);
SELECT format($q$
    INSERT INTO view_diffs SELECT %1$L, 'expected only', x::text
    FROM (SELECT * FROM expect.%2$I EXCEPT ALL SELECT * FROM sales_kpi.%1$I) x;
    INSERT INTO view_diffs SELECT %1$L, 'actual only', x::text
    FROM (SELECT * FROM sales_kpi.%1$I EXCEPT ALL SELECT * FROM expect.%2$I) x $q$, v, v || '_' || :'tag')
FROM unnest(ARRAY['deal_state', 'league_status', 'pipeline', 'team_activity', 'performance', 'stage_analysis',
                  'leaderboard', 'kpi_summary', 'kpi_alerts']) AS v
\gexec
SELECT format('%s rows compared, %s differ', (SELECT count(*) FROM expect.deal_state_:tag), count(*)) AS deal_state
FROM view_diffs WHERE view = 'deal_state';
SELECT view, side, left(row_text, 300) AS row_text
FROM (SELECT *, row_number() OVER (PARTITION BY view, side ORDER BY row_text) AS n FROM view_diffs) d
WHERE n <= 3 ORDER BY view, row_text, side;
DO $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(DISTINCT view, ', ') INTO bad FROM view_diffs;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'views differ as of %: %', current_setting('sales_kpi.as_of'), bad;
    END IF;
END
$$;
