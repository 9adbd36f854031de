--
-- Every dashboard on a small hand-built data set (fixtures/dashboard_data.sql),
-- as of 2024-06-30, calendar fiscal year.  The comments give each number
-- worked out by hand.  The data is removed at the end.
--
\i sql/fixtures/dashboard_data.sql

-- As of 2024-06-30, deal 7 (won on 2024-07-10) is still in Proposal; deal 6
-- was lost, reopened and won; deals 3 and 7 sit in Proposal longer than its
-- 10 days (stalled), deal 5 in Prospecting 11 of its 30 days.
SELECT deal_id, stage, stage_entered_at::date, outcome, closed_at::date, probability, stalled
FROM sales_kpi.deal_state ORDER BY deal_id;

-- Pipeline.  Ann: open deals 3 and 7 (2000 + 800, weighted 0.5 each: 1400);
-- won 1 of 2 closed this year (0.5), deal size 1000, cycle 30 days; open
-- deals in the pipeline 61 and 16 days (38 days 12 hours); velocity
-- 2 x 1000 x 0.5 / 30 = 33.33.  Bob: open deal 5 (400 x 0.25 = 100), won 1
-- of 1 (3000 in 30 days), open 11 days, velocity 1 x 3000 x 1 / 30 = 100.
-- Cid (left 2024-05-15, still shown for the year): deal 6, 161 days,
-- nothing open: velocity 0.  Each rep won one deal: its amount and cycle
-- are the medians too.
SELECT rep_id, rep_name, open_deals, pipeline_value, weighted_pipeline, win_rate, avg_deal_size,
       median_deal_size, avg_sales_cycle, avg_sales_cycle_days, median_sales_cycle, median_sales_cycle_days,
       avg_time_in_pipeline, avg_time_in_pipeline_days,
       stalled_deals, pipeline_velocity
FROM sales_kpi.pipeline ORDER BY rep_id;

-- League status.  Won this year: 1000 + 3000 + 600 = 4600 against the
-- quotas of Q1 and Q2 (3000 + 3000 + 2000 + 1000 + 1000 = 10000): 0.46.
-- Forecast: 4600 + weighted pipeline 1000 + 100 + 400 = 6100 against the
-- full-year quotas (10000 + Q3's 3000 + 2000 = 15000).  Top reps (those
-- still employed): Bob 3000 / 2000 = 1.5, Ann 1000 / 6000.
SELECT section, rank, item_id, label, amount, target, attainment, period_start
FROM sales_kpi.league_status ORDER BY section, rank;

-- Team activity, April-June.  Ann: tasks 3, 4 and 9 (task 9 was completed
-- only after the as-of day), completed 1; overdue 4, 5 (from March) and 9;
-- 1 call, 1 email; 5 activities.  Bob: 1 task (due in July: not overdue),
-- 1 meeting.  Cid: his call was in January.
SELECT rep_id, rep_name, tasks_this_quarter, tasks_completed_this_quarter, tasks_overdue_any_age, calls, emails, meetings,
       activities_total, period_start
FROM sales_kpi.team_activity ORDER BY rep_id;

-- Performance, deals closed this year: 1 (won 1000, North, Enterprise,
-- Suite), 2 (lost, North, SMB, Setup), 4 (won 3000, North, SMB, Suite),
-- 6 (won 600, South, SMB, Suite).  The data has no pipelines, so the
-- pipeline dimension is one (none) row of all four.  Won cycles: deals 1
-- and 4 30 days, deal 6 161 days.  North: median of 1000 and 3000 = 2000,
-- cycles 30 and 30; all deals (pipeline, Suite, SMB has 3000 and 600): the
-- median of 600, 1000, 3000 = 1000, cycles (30 + 30 + 161) / 3 = 73.67
-- days, median 30.
SELECT dimension, dimension_value, won_deals, won_revenue, win_rate, avg_deal_size,
       median_deal_size, avg_sales_cycle_days, median_sales_cycle_days
FROM sales_kpi.performance ORDER BY dimension, dimension_value;

-- Stage analysis.  Prospecting: 7 visits, deal 5 still in it, 6 moved on,
-- 2 of them to Closed Lost (deals 2 and 6); time in stage 10, 10 days less
-- the hour of the start of daylight saving time (deal 2), 40, 10, 11 (deal
-- 5, so far), 30 days 1 hour (deal 6 across the end of daylight saving
-- time) and 5 days: 2784 hours / 7 = 16 days 13:42:51.428571;
-- 4 of 7 moved on to Proposal.  Proposal: deals 1 (20 days), 3 (21 so far),
-- 4 (20), 6 (40 days less the hour of the start of daylight saving time) and
-- 7 (11 so far): 2687 hours / 5 = 22 days 09:24; 3 of 5 moved on to Closed
-- Won; deals 3 and 7 are stalled.  Closed Lost: deal 2 is in it, deal 6 was
-- reopened (moved on, but not to a later stage).
SELECT stage, pipeline_order, entered, deals_entered, in_stage_now, moved_on, lost_from_stage,
       avg_time_in_stage, avg_time_in_stage_days, conversion_to_next, stalled_deals
FROM sales_kpi.stage_analysis ORDER BY pipeline_order;

-- Leaderboard, April-June.  Bob: won 3000 of quota 2000 (1.5), deals 4 and 5
-- generated 3400, deal 5 open (400), 2 activities.  Cid: won deal 6 (600 of
-- 1000, 161 days).  Ann: nothing won, generated and open 2800 (deals 3, 7),
-- 5 activities.  East: 3000 of 5000, West 600 of 1000: both 0.6, East first
-- on revenue.
SELECT level, entity_id, name, team, rank, quota_attainment, won_revenue, quota, deals_won,
       avg_sales_cycle, avg_sales_cycle_days, pipeline_generated, open_pipeline, activities
FROM sales_kpi.leaderboard ORDER BY level, rank;

-- KPI summary by fiscal quarter and year.  As of 2024-06-30: deals 1 (won
-- 1000, closed 2024-02-09, customer Acme, 1-year term), 2 (lost, closed
-- 2024-03-11), 4 (won 3000, closed 2024-05-05, Bolt, 2-year term) and 6
-- (won 600, closed 2024-04-10, Core, no term) are closed; 3, 5 and 7 are
-- open (7 is won only on 2024-07-10).  Deals count in the period they closed
-- in; lead conversion counts them in the period they were created in.
--
--                       FY2023-Q4  FY2024-Q1  FY2024-Q2  FY2023  FY2024
--   revenue             0          1000 (1)   3600 (4,6) 0       4600
--   revenue_growth      -          -  (from 0) 2600/1000  -      - (from 0)
--                                             = 2.6
--   deals_won           0          1          2          0       3
--   win_rate            -          1 of 2     2 of 2     -       3 of 4
--   lead_conversion     1 of 1 (6) 1 of 2     1 of 4     1 of 1  2 of 6
--                                  (1, 2)     (3,4,5,7)          (1-5, 7)
--   avg_deal_size       -          1000       1800       -       4600/3
--   median_deal_size    -          1000       1800       -       1000
--   avg_sales_cycle_days -         30         (30+161)/2 -       221/3 = 73.67
--   median_sales_cycle_days -      30         95.5       -       30
--   acv                 -          1000/1 yr  3000/2 yr  -       (1000 + 1500)/2
--                                             (6: none)          = 1250
--   clv                 -          1000       (3000+600)/2 -     4600/3: each
--                                             = 1800             customer bought
--                                                                once
--   cac                 - (no      900 spend  - (nobody  - (no   1500 / 1 (Bolt)
--                       spend)     / 1 (Bolt) acquired)  spend)
--   customer_retention  2 of 2     1 of 2     2 of 2     - (no   1 of 2
--     (on the first     (Acme,     (Core      (Acme,     one on  (Core left)
--     day, still on     Core)      churned    Bolt)      Jan 1)
--     the last)                    Mar 1)
--   customer_churn      0          0.5        0          -       0.5
--   mrr (last day)      50 (Core)  100 (Acme) 100 + 125  50      225
--   market_share        - (no      1000 /     3600 /     -       4600 / 60000
--                       market)    30000 (a)  30000 (a)
--   rep_retention       2 of 2     2 of 2     2 of 3     2 of 2  1 of 2
--                       (Ann, Cid) (Ann, Cid) (Cid left  (Ann,   (Cid left)
--                                             May 15)    Cid)
--   avg_ramp_time       - (none    -          20 days    (10+30) 20 days
--     (reps hired in    hired)                (Bob)      /2 = 20 (Bob)
--     the period)                                        (Ann, Cid)
--   referrals_per_rep   0 / 2      1 / 2 (b)  0 / 2      0 / 2   1 / 2 (b)
--   quota_attainment    - (no      1000 /     3600 /     -       4600 / 10000
--                       quota)     4000 (c)   6000 (c)           (c)
--
--   (a) the half-year market of 60000 prorated by days: 91 of 182 each quarter
--   (b) Bolt, acquired 2024-02-01 through Ann's referral, over the reps
--       active on the last day (Ann and Cid on 2024-03-31, Ann and Bob on
--       2024-06-30)
--   (c) Q1: Ann 3000 + Cid 1000; Q2: Ann 3000 + Bob 2000 + Cid 1000
SELECT period_label, period_start, period_end, revenue, revenue_growth, deals_won, win_rate, lead_conversion,
       avg_deal_size, median_deal_size, avg_sales_cycle_days, median_sales_cycle_days,
       acv, clv, cac, customer_retention, customer_churn, mrr, market_share,
       rep_retention, avg_ramp_time, avg_ramp_days, referrals_per_rep, quota_attainment
FROM sales_kpi.kpi_summary WHERE grain <> 'month' ORDER BY grain, period_start;
-- Monthly revenue: February 1000, April 600, May 3000.
SELECT period_label, revenue, revenue_growth FROM sales_kpi.kpi_summary WHERE grain = 'month' ORDER BY period_start;

-- Alerts.  Not breached: win rate 1 >= 0.9 (target 1), West at 0.6 >= 0.5
-- (target 5).  Breached: quota attainment 0.6 < 0.8 (2), FY revenue
-- 4600 < 5000 (3), Ann's 2 stalled deals > 1 (4), both teams at 0.6 < 0.7
-- (6), Bob's 2 activities < 5 (7).
SELECT target_id, kpi, scope, scope_id, grain, value, threshold, direction, gap
FROM sales_kpi.kpi_alerts ORDER BY target_id, scope_id;

-- The same day reproduced later: as of 2024-03-31 deal 7 did not exist yet,
-- and Cid was still there.
SET sales_kpi.as_of = '2024-03-31';
SELECT rep_id, open_deals, win_rate, stalled_deals FROM sales_kpi.pipeline ORDER BY rep_id;
SET sales_kpi.as_of = '2024-06-30';

-- The materialized twins: refreshed, they hold exactly the live rows.  (The
-- writes above reach the statistics first, as another session's would
-- within a second, so that the status below counts none as pending.)
SELECT pg_stat_force_next_flush();
SELECT view_name, mode, rows, error FROM sales_kpi.refresh_dashboards();
SELECT (SELECT count(*) FROM (SELECT * FROM sales_kpi.league_status EXCEPT SELECT * FROM sales_kpi.league_status_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.pipeline EXCEPT SELECT * FROM sales_kpi.pipeline_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.team_activity EXCEPT SELECT * FROM sales_kpi.team_activity_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.performance EXCEPT SELECT * FROM sales_kpi.performance_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.stage_analysis EXCEPT SELECT * FROM sales_kpi.stage_analysis_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.leaderboard EXCEPT SELECT * FROM sales_kpi.leaderboard_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.kpi_summary EXCEPT SELECT * FROM sales_kpi.kpi_summary_mv) x)
     + (SELECT count(*) FROM (SELECT * FROM sales_kpi.kpi_alerts EXCEPT SELECT * FROM sales_kpi.kpi_alerts_mv) x)
       AS live_rows_missing_from_twins;
-- A snapshot of every dashboard by CREATE TABLE AS in parallel mode: the
-- statement has written (its table) when the views ask whether the kept
-- figures are current, which must not take a command of its own (fails
-- with "cannot start commands during a parallel operation" otherwise).
-- Each snapshot holds its view's rows.
BEGIN;
SET LOCAL force_parallel_mode = on;
CREATE FUNCTION pg_temp.snapshots_differing() RETURNS TABLE (dashboards bigint, rows_differing bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v text;
    n bigint;
BEGIN
    dashboards := 0;
    rows_differing := 0;
    FOREACH v IN ARRAY ARRAY['league_status', 'pipeline', 'team_activity', 'performance', 'stage_analysis',
                             'leaderboard', 'kpi_summary_periods', 'kpi_summary', 'kpi_values', 'kpi_alerts',
                             'pipeline_flow', 'stage_probabilities', 'forecast', 'customer_cohorts',
                             'lost_reasons', 'customer_value']
    LOOP
        EXECUTE format('CREATE TEMP TABLE %I AS SELECT * FROM sales_kpi.%I', 'snapshot_' || v, v);
        EXECUTE format('SELECT count(*) FROM ((TABLE %1$I EXCEPT ALL TABLE sales_kpi.%2$I) UNION ALL (TABLE sales_kpi.%2$I EXCEPT ALL TABLE %1$I)) x',
                       'snapshot_' || v, v) INTO n;
        dashboards := dashboards + 1;
        rows_differing := rows_differing + n;
    END LOOP;
    RETURN NEXT;
END
$$;
SELECT * FROM pg_temp.snapshots_differing();
ROLLBACK;
-- Their status: every twin refreshed as of the day set, nothing written
-- since.
SELECT view_name, populated, as_of, rows, changes_pending, current, last_error,
       refreshed_at <= now() AND stale_for >= interval '0' AS times_recorded
FROM sales_kpi.dashboard_status ORDER BY view_name;

-- A refresh in which one view fails: the others refresh, the failed one
-- keeps its last snapshot.  (Dropping the unique index makes a concurrent
-- refresh impossible.)
BEGIN;
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, amount, created_at) VALUES ('8', '2', 'Proposal', 700, '2024-06-29');
DROP INDEX sales_kpi.pipeline_mv_key;
SELECT view_name, mode, rows, error FROM sales_kpi.refresh_dashboards();
SELECT pg_stat_force_next_flush();
SELECT view_name, current, changes_pending > 0 AS changed_since, last_error IS NOT NULL AS failed, as_of
FROM sales_kpi.dashboard_status WHERE view_name IN ('sales_kpi.pipeline_mv', 'sales_kpi.leaderboard_mv') ORDER BY 1;
SELECT 'pipeline_mv (kept)' AS twin, open_deals FROM sales_kpi.pipeline_mv WHERE rep_id = '2' AND pipeline IS NULL
UNION ALL
SELECT 'leaderboard_mv (refreshed)', (SELECT count(*) FROM sales_kpi.deal_state WHERE rep_id = '2' AND outcome = 'open')
WHERE (SELECT open_pipeline FROM sales_kpi.leaderboard_mv WHERE level = 'rep' AND entity_id = '2') = 1100;
ROLLBACK;
-- Writes after the refresh: every twin now has changes pending (two rows of
-- kpi_targets, and the rows written by the transaction rolled back above,
-- which the statistics count too: changes_pending errs on the side of
-- "changed").
INSERT INTO sales_kpi.kpi_targets (target_id, kpi, threshold, direction) VALUES (98, 'win_rate', 0.1, 'at_least');
DELETE FROM sales_kpi.kpi_targets WHERE target_id = 98;
SELECT pg_stat_force_next_flush();
SELECT count(*) AS twins, count(*) FILTER (WHERE changes_pending >= 2 AND NOT current) AS behind
FROM sales_kpi.dashboard_status;

-- Scheduling needs pg_cron, which this database does not have.
SELECT sales_kpi.schedule_refresh();
SELECT sales_kpi.unschedule_refresh();

-- Constraints reject impossible rows.
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, amount, created_at, closed_at) VALUES ('9', '1', 'Won', 1, '2024-02-01', '2024-01-01');
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, amount, probability, created_at) VALUES ('9', '1', 'Open', 1, 1.5, '2024-02-01');
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, amount, created_at) VALUES ('9', '1', 'Open', -1, '2024-02-01');
INSERT INTO sales_kpi.quotas (rep_id, period, amount) VALUES ('1', '[2024-03-01,2024-05-01)', 10);
INSERT INTO sales_kpi.activities (activity_id, rep_id, kind, created_at) VALUES ('99', '1', 'lunch', '2024-01-01');
INSERT INTO sales_kpi.kpi_targets (target_id, kpi, threshold, direction) VALUES (99, 'happiness', 1, 'at_least');

-- An invalid as-of day is refused when set (22007), and the day set before
-- stays: the dashboards still read 2024-06-30 (3 reps).
SET sales_kpi.as_of = 'yesterday-ish';
SELECT sales_kpi.as_of() AS as_of, count(*) AS reps FROM sales_kpi.pipeline;
RESET sales_kpi.as_of;

TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages;
SELECT view_name, mode, rows, error FROM sales_kpi.refresh_dashboards();
