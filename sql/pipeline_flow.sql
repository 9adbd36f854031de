--
-- pipeline_flow(from_day, to_day): a hand-checked waterfall, then the
-- identities on generated CRM-shaped data over many random date pairs:
-- every rep reconciles exactly, chained periods agree, and the closing
-- equals the pipeline dashboard's pipeline_value as of to_day.
--
SET sales_kpi.fiscal_year_start_month = 1;
INSERT INTO sales_kpi.reps (rep_id, name, team) VALUES ('A', 'Ann', 'East'), ('B', 'Bob', 'East');

-- Deals as their versions say (from 2024-03-31 to 2024-06-30, the second
-- calendar quarter):
--   d1  A, open throughout, 100 raised to 150 on 04-15        A: +50 increased
--   d2  A, 180 raised to 200 on 05-01, won 05-10              A: +20 increased, 200 won
--   d3  A, 300, lost 04-20                                     A: 300 lost
--   d4  B, created 04-05, 400, open                           B: 400 created
--   d5  B, created 04-10, 50, won 05-01                       B: 50 created, 50 won
--   d6  B, 70, lost 02-01, reopened 05-05, open               B: 70 reopened
--   d7  A, 500, given to B on 05-15, open                     A: 500 removed (moved out); B: 500 created (moved in)
--   d8  B, 60, deleted 06-01                                  B: 60 removed
--   d9  B, 90, close date 07-20 moved to 06-25                B: pulled in
--   d10 B, 40, close date 05-30 moved to 09-01                B: pushed out
-- (d2, d3 and d5 closed in the quarter, but had no expected close date to
-- move: not pulled in.)
-- A: 1080 + 70 - 200 - 300 - 500 = 150 (d1).  B: 190 + 950 + 70 - 50 - 60
-- = 1100 (d4 400, d6 70, d7 500, d9 90, d10 40).
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, amount, close_date, created_at, closed_at)
VALUES
  ('d1', '[2024-01-10,2024-04-15)', 'A', 'Prospecting', 100, NULL, '2024-01-10', NULL),
  ('d1', '[2024-04-15,)', 'A', 'Prospecting', 150, NULL, '2024-01-10', NULL),
  ('d2', '[2024-02-01,2024-05-01)', 'A', 'Prospecting', 180, NULL, '2024-02-01', NULL),
  ('d2', '[2024-05-01,2024-05-10)', 'A', 'Prospecting', 200, NULL, '2024-02-01', NULL),
  ('d2', '[2024-05-10,)', 'A', 'Closed Won', 200, '2024-05-10', '2024-02-01', '2024-05-10'),
  ('d3', '[2024-02-01,2024-04-20)', 'A', 'Prospecting', 300, NULL, '2024-02-01', NULL),
  ('d3', '[2024-04-20,)', 'A', 'Closed Lost', 300, '2024-04-20', '2024-02-01', '2024-04-20'),
  ('d4', '[2024-04-05,)', 'B', 'Prospecting', 400, NULL, '2024-04-05', NULL),
  ('d5', '[2024-04-10,2024-05-01)', 'B', 'Prospecting', 50, NULL, '2024-04-10', NULL),
  ('d5', '[2024-05-01,)', 'B', 'Closed Won', 50, '2024-05-01', '2024-04-10', '2024-05-01'),
  ('d6', '[2024-01-01,2024-02-01)', 'B', 'Prospecting', 70, NULL, '2024-01-01', NULL),
  ('d6', '[2024-02-01,2024-05-05)', 'B', 'Closed Lost', 70, '2024-02-01', '2024-01-01', '2024-02-01'),
  ('d6', '[2024-05-05,)', 'B', 'Prospecting', 70, NULL, '2024-01-01', NULL),
  ('d7', '[2024-01-01,2024-05-15)', 'A', 'Prospecting', 500, NULL, '2024-01-01', NULL),
  ('d7', '[2024-05-15,)', 'B', 'Prospecting', 500, NULL, '2024-01-01', NULL),
  ('d8', '[2024-01-01,2024-06-01)', 'B', 'Prospecting', 60, NULL, '2024-01-01', NULL),
  ('d9', '[2024-01-01,2024-06-10)', 'B', 'Prospecting', 90, '2024-07-20', '2024-01-01', NULL),
  ('d9', '[2024-06-10,)', 'B', 'Prospecting', 90, '2024-06-25', '2024-01-01', NULL),
  ('d10', '[2024-01-01,2024-06-10)', 'B', 'Prospecting', 40, '2024-05-30', '2024-01-01', NULL),
  ('d10', '[2024-06-10,)', 'B', 'Prospecting', 40, '2024-09-01', '2024-01-01', NULL);
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, amount, close_date, created_at, closed_at)
SELECT deal_id, rep_id, stage, amount, close_date, created_at, closed_at FROM sales_kpi.deal_history WHERE upper_inf(valid);

\x on
SELECT * FROM sales_kpi.pipeline_flow('2024-03-31', '2024-06-30');
\x off
-- The dashboard view: this quarter to date, by rep and team.
SET sales_kpi.as_of = '2024-06-30';
SELECT level, entity_id, opening_amount, created_amount, reopened_amount, increased_amount, decreased_amount,
       won_amount, lost_amount, removed_amount, closing_amount, period_start
FROM sales_kpi.pipeline_flow ORDER BY level, entity_id;
-- A day with nothing between gives opening = closing and no flow.
SELECT rep_id, opening_amount, closing_amount, created_amount + won_amount + removed_amount AS flows
FROM sales_kpi.pipeline_flow('2024-06-30', '2024-06-30');
\set VERBOSITY verbose
SELECT * FROM sales_kpi.pipeline_flow('2024-06-30', '2024-03-31');
\set VERBOSITY default
SELECT count(*) AS null_day FROM sales_kpi.pipeline_flow(NULL, '2024-03-31');
RESET sales_kpi.as_of;
TRUNCATE sales_kpi.deal_history, sales_kpi.deals CASCADE;
DELETE FROM sales_kpi.reps;

-- Generated data: 20 reps, 5,000 deals with stage moves, reopenings, amount
-- edits, owner changes, pushed close dates, deletions, and deals in euros
-- and pounds at monthly rates.
SET client_min_messages = warning;
\set reps 20
\set customers 2000
\set deals 5000
\set seed 0.23
\set crm hubspot
\set as_of 2026-06-30
\set ECHO none
\o /dev/null
\i demo/generate.sql
\o
\set ECHO all
RESET client_min_messages;
SELECT setseed(0.5);
CREATE TEMP TABLE pairs AS
SELECT i, least(a, b) AS from_day, greatest(a, b) AS to_day
FROM (SELECT i, date '2023-03-01' + (random() * 1200)::int AS a, date '2023-03-01' + (random() * 1200)::int AS b
      FROM generate_series(1, 20) AS i) x;
-- Every rep, every pair: the waterfall reconciles exactly.
SELECT count(*) AS rep_periods,
       count(*) FILTER (WHERE f.opening_amount + f.created_amount + f.reopened_amount + f.increased_amount
                              - f.decreased_amount - f.won_amount - f.lost_amount - f.removed_amount
                              <> f.closing_amount) AS not_reconciled,
       count(*) FILTER (WHERE f.moved_in_amount > f.created_amount OR f.moved_out_amount > f.removed_amount) AS parts_over_whole,
       count(*) FILTER (WHERE f.created_amount + f.won_amount + f.lost_amount + f.increased_amount > 0) AS with_flows
FROM pairs p CROSS JOIN LATERAL sales_kpi.pipeline_flow(p.from_day, p.to_day) f;
-- Company-wide, moves between reps cancel out.
SELECT count(*) AS periods, count(*) FILTER (WHERE moved_in <> moved_out OR moves_in <> moves_out) AS moves_not_balanced,
       count(*) FILTER (WHERE moves_in > 0) AS with_moves
FROM (SELECT p.i, sum(f.moved_in_amount) AS moved_in, sum(f.moved_out_amount) AS moved_out,
             sum(f.moved_in_deals) AS moves_in, sum(f.moved_out_deals) AS moves_out
      FROM pairs p CROSS JOIN LATERAL sales_kpi.pipeline_flow(p.from_day, p.to_day) f GROUP BY p.i) x;
-- Chained periods: the closing of (a, b) is the opening of (b, c).
SELECT count(*) AS chains,
       count(*) FILTER (WHERE f1.closing_amount <> f2.opening_amount OR f1.closing_deals <> f2.opening_deals) AS disagreeing
FROM pairs p
CROSS JOIN LATERAL sales_kpi.pipeline_flow(p.from_day, p.to_day) f1
JOIN LATERAL sales_kpi.pipeline_flow(p.to_day, p.to_day + 45) f2 ON f2.rep_id = f1.rep_id;
-- The closing is the pipeline dashboard's pipeline_value as of to_day (for
-- the reps it shows: the employed ones).
CREATE FUNCTION pg_temp.closing_vs_pipeline(day date) RETURNS TABLE (reps bigint, differing bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('sales_kpi.as_of', to_char(day, 'YYYY-MM-DD'), true);
    RETURN QUERY
    SELECT count(*), count(*) FILTER (WHERE p.pipeline_value <> f.closing_amount OR p.open_deals <> f.closing_deals)
    FROM sales_kpi.pipeline p JOIN sales_kpi.pipeline_flow(day - 30, day) f ON f.rep_id = p.rep_id
    WHERE p.pipeline IS NULL;
END $$;
SELECT sum(c.reps) > 100 AS many_reps, sum(c.differing) AS differing
FROM pairs p CROSS JOIN LATERAL pg_temp.closing_vs_pipeline(p.to_day) c;
RESET sales_kpi.as_of;
SET client_min_messages = warning;
TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals, sales_kpi.products,
         sales_kpi.customers, sales_kpi.reps, sales_kpi.stages, sales_kpi.exchange_rates;
RESET client_min_messages;
