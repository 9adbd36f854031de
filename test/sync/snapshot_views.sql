-- Saves every dashboard (and deal_state, which they all read) as of the day
-- :day in schema expect, as tables <view>_<:tag>; compare_views.sql then
-- compares the views with them, value by value.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET sales_kpi.as_of = :'day';
CREATE SCHEMA IF NOT EXISTS expect;
SELECT format('DROP TABLE IF EXISTS expect.%1$I; CREATE TABLE expect.%1$I AS SELECT * FROM sales_kpi.%2$I',
              v || '_' || :'tag', v)
FROM unnest(ARRAY['deal_state', 'league_status', 'pipeline', 'team_activity', 'performance', 'stage_analysis',
                  'leaderboard', 'kpi_summary', 'kpi_alerts']) AS v
\gexec
