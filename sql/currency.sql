--
-- Currencies: sales_kpi.exchange_rates, convert_amount(), the corporate
-- currency setting, and the dashboards' amounts in the corporate currency
-- (won and lost deals at the close day's rate, open ones at the as-of day's).
--
INSERT INTO sales_kpi.exchange_rates (currency, valid, rate) VALUES
  ('EUR', '[2024-05-01,2024-06-01)', 1.10),
  ('EUR', '[2024-06-01,)', 1.2),
  ('GBP', '[2024-01-01,2025-01-01)', 1.23456789),
  ('JPY', '[2024-01-01,2025-01-01)', 0.0067);

-- Exact: amount x rate in numeric arithmetic, every digit kept.
SELECT sales_kpi.convert_amount(1234.56, 'EUR', '2024-05-31') AS eur_may,
       sales_kpi.convert_amount(1234.56, 'EUR', '2024-06-01') AS eur_june,
       sales_kpi.convert_amount(12345678901234567890.12, 'GBP', '2024-07-01') AS gbp_20_digits,
       12345678901234567890.12 * 1.23456789 AS by_hand,
       sales_kpi.convert_amount(1000000, 'JPY', '2024-03-01') AS jpy;
-- No currency, or the corporate one: the amount itself, no rate needed.
SELECT sales_kpi.convert_amount(10, NULL, NULL) AS corporate, sales_kpi.convert_amount(NULL, 'EUR', '2024-06-01') AS null_amount;
SET sales_kpi.corporate_currency = 'USD';
SELECT sales_kpi.convert_amount(10, 'USD', '1999-01-01') AS usd_is_corporate, sales_kpi.corporate_currency();
RESET sales_kpi.corporate_currency;
SELECT sales_kpi.corporate_currency() IS NULL AS unset;

-- Errors.
\set VERBOSITY verbose
SELECT sales_kpi.convert_amount(10, 'EUR', '2024-04-30');   -- before the first rate
SELECT sales_kpi.convert_amount(10, 'CHF', '2024-06-01');   -- no rate at all
SELECT sales_kpi.convert_amount(10, 'EUR', 'infinity');
SET sales_kpi.corporate_currency = 'usd';
\set VERBOSITY terse
INSERT INTO sales_kpi.exchange_rates VALUES ('EUR', '[2024-05-15,2024-05-20)', 1.5);   -- overlaps
INSERT INTO sales_kpi.exchange_rates VALUES ('eur', '[2030-01-01,2031-01-01)', 1.5);
INSERT INTO sales_kpi.exchange_rates VALUES ('CHF', '[2030-01-01,2031-01-01)', 0);
INSERT INTO sales_kpi.exchange_rates VALUES ('CHF', 'empty', 1);
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, created_at, currency) VALUES ('x', 'x', 'Open', now(), 'Euro');
\set VERBOSITY default

-- Dashboards: a deal won on 2024-05-05 for 1000 EUR counts 1100 (May's
-- rate); an open one of 500 EUR counts 600 as of 2024-06-30 (June's) and
-- 550 as of 2024-05-31; a corporate one is unchanged.
SET sales_kpi.fiscal_year_start_month = 1;
INSERT INTO sales_kpi.reps (rep_id, name) VALUES ('r1', 'Ria');
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, amount, currency, created_at, closed_at) VALUES
  ('w', 'r1', 'Closed Won', 1000, 'EUR', '2024-04-01', '2024-05-05 12:00'),
  ('o', 'r1', 'Prospecting', 500, 'EUR', '2024-04-01', NULL),
  ('c', 'r1', 'Prospecting', 70, NULL, '2024-04-01', NULL);
SET sales_kpi.as_of = '2024-06-30';
SELECT deal_id, outcome, currency, deal_amount, amount FROM sales_kpi.deal_state ORDER BY deal_id;
SELECT rep_id, pipeline_value, avg_deal_size FROM sales_kpi.pipeline;
SET sales_kpi.as_of = '2024-05-31';
SELECT deal_id, amount FROM sales_kpi.deal_state WHERE deal_id = 'o';
-- As of a day no rate covers, the dashboards refuse rather than show a
-- wrong total.
SET sales_kpi.as_of = '2024-04-15';
\set VERBOSITY verbose
SELECT sum(amount) FROM sales_kpi.deal_state;
\set VERBOSITY default
-- A change of rates makes the next refresh a full one.
SET sales_kpi.as_of = '2024-06-30';
SELECT count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();
SELECT DISTINCT mode FROM sales_kpi.refresh_dashboards();
UPDATE sales_kpi.exchange_rates SET rate = 1.25 WHERE currency = 'EUR' AND upper_inf(valid);
SELECT DISTINCT mode FROM sales_kpi.refresh_dashboards() WHERE view_name = 'sales_kpi.deal_state_store';
SELECT pipeline_value FROM sales_kpi.pipeline_mv;

RESET sales_kpi.as_of;
TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.exchange_rates;
SELECT count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();
