--
-- Forecast categories, learnt stage probabilities, the forecast, customer
-- cohorts and lost reasons on the hand-built data of dashboards.sql (as of
-- 2024-06-30, calendar fiscal year: this quarter FY2024-Q2, next FY2024-Q3),
-- with these additions:
--   the catalog's categories: Prospecting pipeline, Proposal best_case;
--   deal 3 (Ann, 2000, Proposal) expected to close 2024-06-28, its own
--     category commit;
--   deal 5 (Bob, 400, Prospecting, own probability 0.25) expected 2024-08-15;
--   deal 7 (Ann, 800, Proposal on 06-30) expected 2024-07-10;
--   deal 8 (Bob, 700): Prospecting 04-01, Proposal 04-20, lost 05-20 for
--     'Price'; deal 2 (Ann, 500, lost 03-11 from Prospecting) gave no reason.
--
\i sql/fixtures/dashboard_data.sql
UPDATE sales_kpi.stages SET forecast_category = 'pipeline' WHERE name = 'Prospecting';
UPDATE sales_kpi.stages SET forecast_category = 'best_case' WHERE name = 'Proposal';
UPDATE sales_kpi.deal_history SET close_date = '2024-06-28', forecast_category = 'commit' WHERE deal_id = '3';
UPDATE sales_kpi.deal_history SET close_date = '2024-08-15' WHERE deal_id = '5';
UPDATE sales_kpi.deal_history SET close_date = '2024-07-10' WHERE deal_id = '7';
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, customer_id, stage, amount, created_at, closed_at, lost_reason) VALUES
  ('8', '[2024-04-01,2024-04-20)', '2', '11', 'Prospecting', 700, '2024-04-01', NULL, NULL),
  ('8', '[2024-04-20,2024-05-20)', '2', '11', 'Proposal', 700, '2024-04-01', NULL, NULL),
  ('8', '[2024-05-20,)', '2', '11', 'Closed Lost', 700, '2024-04-01', '2024-05-20', 'Price');
INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, stage, amount, created_at, closed_at, lost_reason)
VALUES ('8', '2', '11', 'Closed Lost', 700, '2024-04-01', '2024-05-20', 'Price');

-- Each deal's forecast category: its own (deal 3), else its stage's, else
-- closed for won and omitted for lost.
SELECT deal_id, outcome, stage, forecast_category FROM sales_kpi.deal_state ORDER BY deal_id;

-- Learnt probabilities over the default window (365 days: deals created
-- from 2023-07-02, all eight).  Prospecting: every deal; closed 1, 2, 4, 6
-- and 8, won 1, 4 and 6: 3/5.  Proposal: 1, 3, 4, 6, 7 and 8; closed 1, 4,
-- 6, 8, won 3 of 4.  Closed Won: 3 of 3.  Closed Lost: deals 2, 6 and 8,
-- one of them (6) won in the end: 1/3.
SELECT stage, catalog_probability, closed_deals, won_deals, round(learnt_probability, 4) AS learnt,
       probability_in_use, window_start
FROM sales_kpi.stage_probabilities ORDER BY pipeline_order;
-- A window of 200 days (2023-12-14 to the as-of day) leaves deal 6 out:
-- Prospecting 2/4.
SET sales_kpi.probability_window = 200;
SELECT stage, closed_deals, won_deals, learnt_probability, window_start
FROM sales_kpi.stage_probabilities WHERE stage = 'Prospecting';
RESET sales_kpi.probability_window;

-- The forecast: 3 reps x 2 quarters x 5 categories, zeros included.
-- FY2024-Q2: closed = won in the quarter: Bob's deal 4 (3000), Cid's 6
-- (600), as the KPI summary's Q2 revenue (3600); Ann's commit: deal 3, 2000
-- weighted by Proposal's 0.5; omitted: Bob's lost deal 8 (weight 0).
-- FY2024-Q3: Ann's best_case deal 7 (800 x 0.5), Bob's pipeline deal 5
-- (400 x its own 0.25).
SELECT rep_id, period_label, category, deals, amount, weighted_amount
FROM sales_kpi.forecast WHERE deals > 0 ORDER BY rep_id, period_start, category;
SELECT count(*) AS rows_, count(DISTINCT rep_id) AS reps, count(*) FILTER (WHERE deals = 0 AND amount = 0) AS zero_rows
FROM sales_kpi.forecast;
SELECT (SELECT sum(amount) FROM sales_kpi.forecast WHERE period_label = 'FY2024-Q2' AND category = 'closed')
     = (SELECT revenue FROM sales_kpi.kpi_summary WHERE period_label = 'FY2024-Q2') AS closed_is_won_revenue;

-- Learnt probabilities in use: the weighted pipeline and the forecast
-- follow.  Ann: deals 3 and 7 in Proposal at 3/4: 2100; Bob: deal 5 in
-- Prospecting at 3/5 (the learnt figure replaces its own 0.25): 240.
SET sales_kpi.probability_source = 'learnt';
SELECT rep_id, weighted_pipeline FROM sales_kpi.pipeline ORDER BY rep_id;
SELECT rep_id, period_label, category, weighted_amount
FROM sales_kpi.forecast WHERE deals > 0 AND category <> 'closed' ORDER BY rep_id, period_start, category;
SELECT amount FROM sales_kpi.league_status WHERE section = 'forecast';
RESET sales_kpi.probability_source;
\set VERBOSITY terse
SET sales_kpi.probability_source = 'gut feeling';
SET sales_kpi.probability_window = 0;
\set VERBOSITY default

-- Customer cohorts.  Core (acquired 2023-03-01, churned 2024-03-01): a
-- customer at the start of each month to February 2024, not from March;
-- its deal 6 (600) won in April 2024 (month 13).  Acme (2023-06): deal 1
-- (1000) in February 2024 (month 8).  Bolt (2024-02): deal 4 (3000) in May
-- (month 3).
SELECT cohort_month, months_since, month_start, customers, retained, retention, revenue
FROM sales_kpi.customer_cohorts
WHERE (cohort_month = '2023-03-01' AND months_since IN (0, 11, 12, 13, 15)) OR revenue > 0 OR months_since = 0
ORDER BY cohort_month, months_since;
SELECT cohort_month, max(months_since) AS last_month FROM sales_kpi.customer_cohorts GROUP BY 1 ORDER BY 1;

-- Lost reasons this fiscal year: deal 2 (Ann, 500, no reason, lost from
-- Prospecting) and deal 8 (Bob, 700, Price, lost from Proposal).
SELECT level, reason, lost_from_stage, rep_id, rep_name, deals, amount, share
FROM sales_kpi.lost_reasons ORDER BY level, reason, rep_id;

-- The twins hold the same rows.
SELECT count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();
SELECT (SELECT count(*) FROM (TABLE sales_kpi.forecast EXCEPT ALL TABLE sales_kpi.forecast_mv) x)
     + (SELECT count(*) FROM (TABLE sales_kpi.stage_probabilities EXCEPT ALL TABLE sales_kpi.stage_probabilities_mv) x)
     + (SELECT count(*) FROM (TABLE sales_kpi.customer_cohorts EXCEPT ALL TABLE sales_kpi.customer_cohorts_mv) x)
     + (SELECT count(*) FROM (TABLE sales_kpi.lost_reasons EXCEPT ALL TABLE sales_kpi.lost_reasons_mv) x)
     + (SELECT count(*) FROM (TABLE sales_kpi.pipeline_flow EXCEPT ALL TABLE sales_kpi.pipeline_flow_mv) x) AS rows_differing;

RESET sales_kpi.as_of;
SET client_min_messages = warning;
TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals, sales_kpi.products,
         sales_kpi.customers, sales_kpi.reps, sales_kpi.stages, sales_kpi.exchange_rates;
RESET client_min_messages;
SELECT count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();
