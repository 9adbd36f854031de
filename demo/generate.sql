-- Seeded demo data for the sales_kpi data model, shaped like a real CRM.
--
--   psql -v reps=50 -v customers=20000 -v deals=200000 -v seed=0.42 -f demo/generate.sql
--
-- Replaces every row of the sales_kpi tables.  The data runs from 2023-01-01
-- to the day :as_of (default 2026-06-30): reps hired and leaving over time,
-- customers acquired and churned, subscriptions, products, deals moving
-- through the stages with their history (backward moves, reopened deals,
-- deals stalled in a stage), activities with overdue tasks, quarterly
-- quotas, marketing spend, market size and KPI targets, some breached.
-- The same parameters give the same rows.
\set ON_ERROR_STOP on
\if :{?reps}
\else
\set reps 50
\endif
\if :{?customers}
\else
\set customers 20000
\endif
\if :{?deals}
\else
\set deals 200000
\endif
\if :{?seed}
\else
\set seed 0.42
\endif
\if :{?as_of}
\else
\set as_of 2026-06-30
\endif
SET client_min_messages = warning;

BEGIN;
TRUNCATE sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_stage_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages;
SELECT setseed(:seed) \gset

CREATE TEMP TABLE demo_params ON COMMIT DROP AS
SELECT date :'as_of' AS as_of, (date :'as_of' + 1)::timestamptz AS as_of_end, date '2023-01-01' AS first_day;

INSERT INTO sales_kpi.stages (name, pipeline_order, default_probability, is_closed, is_won, stalled_after_days) VALUES
  ('Prospecting', 1, 0.10, false, false, 30),
  ('Qualification', 2, 0.20, false, false, 30),
  ('Proposal', 3, 0.50, false, false, 21),
  ('Negotiation', 4, 0.75, false, false, 14),
  ('Closed Won', 5, 1, true, true, NULL),
  ('Closed Lost', 6, 0, true, false, NULL);

-- Reps: six teams in four regions; the first rep of a team manages it.
-- Two thirds were hired before the data starts; about one in six leaves.
INSERT INTO sales_kpi.reps (rep_id, name, email, team, region, manager_id, hired_on, left_on, first_contact_at)
SELECT r, 'Rep ' || lpad(r::text, 3, '0'), 'rep' || r || '@example.com',
       t.team, t.region, CASE WHEN r > 6 THEN (r - 1) % 6 + 1 END,
       h.hired_on,
       CASE WHEN r > 6 AND h.leave_roll < 0.17 AND h.hired_on + h.stay < p.as_of THEN h.hired_on + h.stay END,
       CASE WHEN h.hired_on + h.ramp < p.as_of THEN (h.hired_on + h.ramp)::timestamptz + interval '10 hours' END
FROM generate_series(1, :reps) AS r
CROSS JOIN demo_params p
CROSS JOIN LATERAL (SELECT (ARRAY['NA East', 'NA West', 'EMEA North', 'EMEA South', 'APAC', 'LATAM'])[(r - 1) % 6 + 1] AS team) AS t0
CROSS JOIN LATERAL (SELECT t0.team, CASE WHEN t0.team LIKE 'NA%' THEN 'North America'
                                        WHEN t0.team LIKE 'EMEA%' THEN 'EMEA' ELSE t0.team END AS region) AS t
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.67 OR r <= 6
                                THEN date '2021-01-04' + floor(random() * 700 + 0 * r)::int
                                ELSE date '2023-01-02' + floor(random() * 1200)::int END AS hired_on,
                           random() AS leave_roll,
                           200 + floor(random() * 600)::int AS stay,
                           5 + floor(random() * 55)::int AS ramp) AS h;

-- Customers: segments, regions, acquisition over time, a third churned, one
-- in ten referred by a rep.
INSERT INTO sales_kpi.customers (customer_id, name, segment, region, acquired_on, churned_on, referred_by_rep_id)
SELECT c, 'Customer ' || c,
       CASE WHEN s < 0.6 THEN 'SMB' WHEN s < 0.9 THEN 'Mid-Market' ELSE 'Enterprise' END,
       (ARRAY['North America', 'EMEA', 'APAC', 'LATAM'])[1 + floor(random() * 4)::int],
       a.acquired_on,
       CASE WHEN random() < 0.33 AND a.acquired_on + a.life < p.as_of THEN a.acquired_on + a.life END,
       CASE WHEN random() < 0.1 THEN 1 + floor(random() * :reps)::bigint END
FROM generate_series(1, :customers) AS c
CROSS JOIN demo_params p
CROSS JOIN LATERAL (SELECT random() + 0 * c AS s) AS seg
CROSS JOIN LATERAL (SELECT date '2022-01-03' + floor(random() * (p.as_of - date '2022-01-03') + 0 * c)::int AS acquired_on,
                           90 + floor(random() * 900)::int AS life) AS a;

INSERT INTO sales_kpi.products (product_id, name, family, list_price) VALUES
  (1, 'Starter', 'Subscription', 1200), (2, 'Professional', 'Subscription', 6000),
  (3, 'Enterprise', 'Subscription', 30000), (4, 'Onboarding', 'Services', 5000),
  (5, 'Training', 'Services', 2000), (6, 'Hardware Kit', 'Hardware', 800);

-- Deals: each rep's deals fall within their tenure.  A deal's intended path
-- goes up the pipeline for 1-4 stages (one in ten steps back once), then
-- all but 3 % close as won or lost (those stay open: stale deals); one lost deal in twelve is reopened into
-- Negotiation and closes again.  Steps last 1-45 days, one in twenty much
-- longer (a stalled deal).  The path is cut at the end of the as-of day, so
-- recent deals are still open.
CREATE TEMP TABLE demo_deals ON COMMIT DROP AS
SELECT d AS deal_id, r.rep_id,
       1 + floor(random() * :customers + 0 * d)::bigint AS customer_id,
       1 + floor(random() * 6)::bigint AS product_id,
       r.from_ts + random() * (r.to_ts - r.from_ts) AS created_at,
       1 + floor(random() * 4)::int AS reached,
       random() < 0.1 AS backward,
       CASE WHEN u < 0.40 THEN 'Closed Won' WHEN u < 0.97 THEN 'Closed Lost' END AS final_stage,
       random() < 0.08 AS reopened,
       random() AS size_roll
FROM generate_series(1, :deals) AS d
CROSS JOIN LATERAL (SELECT 1 + floor(random() * :reps + 0 * d)::bigint AS pick, random() AS u) AS k
JOIN (SELECT rep_id, greatest(hired_on, p.first_day)::timestamptz AS from_ts,
             least(coalesce(left_on, p.as_of), p.as_of)::timestamptz AS to_ts
      FROM sales_kpi.reps, demo_params p) AS r ON r.rep_id = k.pick;

CREATE TEMP TABLE demo_steps ON COMMIT DROP AS
WITH path AS (
    SELECT deal_id, created_at, s AS seq, (ARRAY['Prospecting', 'Qualification', 'Proposal', 'Negotiation'])[s] AS stage
    FROM demo_deals, generate_series(1, reached) AS s
    UNION ALL  -- a step back and forward again
    SELECT deal_id, created_at, reached + b, (ARRAY['Prospecting', 'Qualification', 'Proposal', 'Negotiation'])[reached - 2 + b]
    FROM demo_deals, generate_series(1, 2) AS b WHERE backward AND reached >= 3
    UNION ALL  -- closing
    SELECT deal_id, created_at, 10, final_stage FROM demo_deals WHERE final_stage IS NOT NULL
    UNION ALL  -- reopened into Negotiation, then closed again
    SELECT deal_id, created_at, 11, 'Negotiation' FROM demo_deals WHERE reopened AND final_stage = 'Closed Lost'
    UNION ALL
    SELECT deal_id, created_at, 12, CASE WHEN deal_id % 2 = 0 THEN 'Closed Won' ELSE 'Closed Lost' END
    FROM demo_deals WHERE reopened AND final_stage = 'Closed Lost'
), timed AS (
    SELECT deal_id, seq, stage,
           created_at + sum(CASE WHEN seq = 1 THEN interval '0'
                                 WHEN random() < 0.05 THEN (60 + random() * 150) * interval '1 day'
                                 ELSE (1 + random() * 44) * interval '1 day' END)
                        OVER (PARTITION BY deal_id ORDER BY seq) AS entered_at
    FROM path
)
SELECT t.* FROM timed t, demo_params p WHERE t.entered_at < p.as_of_end;

CREATE TEMP TABLE demo_last ON COMMIT DROP AS
SELECT DISTINCT ON (deal_id) deal_id, stage, entered_at FROM demo_steps ORDER BY deal_id, seq DESC;

INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, product_id, name, stage, amount, probability,
                             created_at, closed_at, contract_term)
SELECT d.deal_id, d.rep_id, d.customer_id, d.product_id, c.name || ' / ' || pr.name, last.stage,
       round(pr.list_price * (0.5 + d.size_roll * 2.5)::numeric
             * CASE c.segment WHEN 'Enterprise' THEN 4 WHEN 'Mid-Market' THEN 2 ELSE 1 END, 2),
       NULL, d.created_at,
       CASE WHEN last.stage LIKE 'Closed%' THEN last.entered_at END,
       CASE WHEN last.stage = 'Closed Won' AND pr.family = 'Subscription'
            THEN daterange(last.entered_at::date, (last.entered_at::date + CASE WHEN d.deal_id % 3 = 0 THEN interval '2 years'
                                                                                ELSE interval '1 year' END)::date) END
FROM demo_deals d
JOIN sales_kpi.products pr USING (product_id)
JOIN sales_kpi.customers c USING (customer_id)
JOIN demo_last last USING (deal_id);

INSERT INTO sales_kpi.deal_stage_history (deal_id, stage, entered_at)
SELECT deal_id, stage, entered_at FROM demo_steps;

-- Activities: up to six per deal while it is open; tasks are due 1-14 days
-- after they are created, and one in five is never completed.
INSERT INTO sales_kpi.activities (activity_id, rep_id, deal_id, kind, subject, created_at, due_at, completed_at)
SELECT row_number() OVER (ORDER BY d.deal_id, n), d.rep_id, d.deal_id, k.kind, k.kind || ' for deal ' || d.deal_id,
       k.created_at,
       CASE WHEN k.kind = 'task' THEN k.created_at + (1 + floor(random() * 14)) * interval '1 day' END,
       CASE WHEN k.kind <> 'task' THEN k.created_at
            WHEN random() < 0.8 AND k.created_at + k.work < p.as_of_end THEN k.created_at + k.work END
FROM sales_kpi.deals d
CROSS JOIN demo_params p
CROSS JOIN LATERAL generate_series(1, floor(random() * 7 + 0 * d.deal_id)::int) AS n
CROSS JOIN LATERAL (
    SELECT (ARRAY['call', 'email', 'meeting', 'task'])[1 + floor(random() * 4 + 0 * n)::int] AS kind,
           d.created_at + random() * (least(coalesce(d.closed_at, p.as_of_end), p.as_of_end) - d.created_at) AS created_at,
           random() * interval '10 days' AS work) AS k;

-- Quarterly quotas for every calendar quarter a rep is employed in.
INSERT INTO sales_kpi.quotas (rep_id, period, amount)
SELECT r.rep_id, daterange(q::date, (q + interval '3 months')::date), 2200000 + floor(random() * 7 + 0 * r.rep_id) * 200000
FROM sales_kpi.reps r, demo_params p,
     generate_series(date_trunc('quarter', greatest(r.hired_on, p.first_day)), coalesce(r.left_on, date '2026-12-31'),
                     interval '3 months') AS q;

-- Monthly marketing spend, quarterly market size.
INSERT INTO sales_kpi.marketing_spend (period, channel, amount)
SELECT daterange(m::date, (m + interval '1 month')::date), ch, round((100000 + random() * 150000)::numeric, 2)
FROM demo_params p, generate_series(p.first_day, p.as_of, interval '1 month') AS m,
     (VALUES ('paid search'), ('events')) AS c(ch);
INSERT INTO sales_kpi.market_size (period, amount)
SELECT daterange(q::date, (q + interval '3 months')::date), round((400000000 + random() * 100000000)::numeric, -3)
FROM demo_params p, generate_series(p.first_day, p.as_of, interval '3 months') AS q;

-- Subscriptions of the won subscription deals: MRR over the contract term,
-- cut short when the customer churned.
INSERT INTO sales_kpi.subscriptions (subscription_id, customer_id, mrr, active)
SELECT d.deal_id, d.customer_id, round(d.amount / 12, 2),
       daterange(lower(d.contract_term), least(upper(d.contract_term), coalesce(c.churned_on, upper(d.contract_term))))
FROM sales_kpi.deals d JOIN sales_kpi.customers c USING (customer_id)
WHERE d.contract_term IS NOT NULL
  AND lower(d.contract_term) < least(upper(d.contract_term), coalesce(c.churned_on, upper(d.contract_term)));

-- KPI targets, some of them breached.
INSERT INTO sales_kpi.kpi_targets (target_id, kpi, scope, scope_id, grain, threshold, direction, note) VALUES
  (1, 'win_rate', 'company', NULL, 'quarter', 0.45, 'at_least', 'Win at least 45 % of closed deals'),
  (2, 'revenue_growth', 'company', NULL, 'month', 0, 'at_least', 'Revenue should not shrink month over month'),
  (3, 'cac', 'company', NULL, 'quarter', 2000, 'at_most', 'Acquisition cost per customer'),
  (4, 'customer_churn', 'company', NULL, 'year', 0.10, 'at_most', 'Keep yearly churn under 10 %'),
  (5, 'stalled_deals', 'rep', NULL, 'quarter', 150, 'at_most', 'No rep sits on more than 150 stalled deals'),
  (6, 'quota_attainment', 'team', NULL, 'quarter', 0.8, 'at_least', 'Every team at 80 % of quota to date'),
  (7, 'activities', 'rep', NULL, 'quarter', 100, 'at_least', 'At least 100 activities a quarter per rep');

COMMIT;
ANALYZE sales_kpi.reps, sales_kpi.customers, sales_kpi.products, sales_kpi.deals, sales_kpi.deal_stage_history,
        sales_kpi.activities, sales_kpi.quotas, sales_kpi.marketing_spend, sales_kpi.market_size,
        sales_kpi.subscriptions, sales_kpi.kpi_targets, sales_kpi.stages;
