-- Seeded demo data for the sales_kpi data model, shaped like a real CRM.
--
--   psql -v reps=50 -v customers=20000 -v deals=200000 -v seed=0.42 -v crm=hubspot -f demo/generate.sql
--
-- Replaces every row of the sales_kpi tables.  The data runs from 2023-01-01
-- to the day :as_of (default 2026-06-30): reps hired and leaving over time,
-- customers acquired and churned, subscriptions, products, deals moving
-- through the stages with the exact history of every field (backward moves,
-- reopened deals, stalled deals, amount edits, owner changes, pushed close
-- dates, a few deleted deals), activities with overdue tasks, quarterly
-- quotas, marketing spend, market size and KPI targets, some breached.
--
-- :crm chooses the CRM the data looks like:
--   salesforce  18-character ids (005..., 001..., 006...), one pipeline
--               (deals.pipeline NULL), stages named as Salesforce names them;
--   hubspot     numeric ids, two pipelines ('default' and '2000001'), deals
--               recording HubSpot stage ids, labelled in the stage catalog.
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
\if :{?crm}
\else
\set crm hubspot
\endif
SET client_min_messages = warning;

BEGIN;
TRUNCATE sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.leads, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages, sales_kpi.exchange_rates;
SELECT setseed(:seed) \gset

CREATE TEMP TABLE demo_params ON COMMIT DROP AS
SELECT date :'as_of' AS as_of, (date :'as_of' + 1)::timestamptz AS as_of_end, date '2023-01-01' AS first_day,
       :'crm' AS crm;

-- How each CRM spells ids: an 18-character Salesforce id (a key prefix, 'A',
-- 14 digits) or a HubSpot number.  (Inlined: a plain expression.)
CREATE FUNCTION pg_temp.demo_id(prefix text, n bigint, crm text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN crm = 'salesforce'
                THEN prefix || 'A' || lpad(n::text, 14, '0')
                ELSE (CASE prefix WHEN '005' THEN 30000000 WHEN '001' THEN 5000000000 WHEN '006' THEN 9000000000
                                  WHEN '01t' THEN 70000 ELSE 20000000000 END + n)::text END
$$;

-- The stages: the path every deal walks (index 1-6), named per pipeline.
CREATE TEMP TABLE demo_stages ON COMMIT DROP AS
SELECT p.pipeline, s.idx, s.label,
       CASE WHEN p.pipeline IS NULL THEN s.label
            WHEN p.pipeline = 'default' THEN s.hubspot_default_id
            ELSE (p.pipeline::bigint * 10 + s.idx)::text END AS name,
       s.probability, s.is_closed, s.is_won, s.stalled, s.forecast
FROM (SELECT NULL::text AS pipeline FROM demo_params WHERE crm = 'salesforce'
      UNION ALL SELECT 'default' FROM demo_params WHERE crm = 'hubspot'
      UNION ALL SELECT '2000001' FROM demo_params WHERE crm = 'hubspot') AS p
CROSS JOIN (VALUES
  (1, 'Prospecting', 'appointmentscheduled', 0.10, false, false, 30, 'pipeline'),
  (2, 'Qualification', 'qualifiedtobuy', 0.20, false, false, 30, 'pipeline'),
  (3, 'Proposal', 'presentationscheduled', 0.50, false, false, 21, 'best_case'),
  (4, 'Negotiation', 'decisionmakerboughtin', 0.75, false, false, 14, 'commit'),
  (5, 'Closed Won', 'closedwon', 1, true, true, NULL, 'closed'),
  (6, 'Closed Lost', 'closedlost', 0, true, false, NULL, 'omitted'))
  AS s(idx, label, hubspot_default_id, probability, is_closed, is_won, stalled, forecast);

INSERT INTO sales_kpi.stages (pipeline, name, label, pipeline_order, default_probability, is_closed, is_won,
                              stalled_after_days, forecast_category)
SELECT pipeline, name, CASE WHEN name <> label THEN label END, idx, probability, is_closed, is_won, stalled, forecast
FROM demo_stages;

-- Exchange rates: one deal in seven is in euros, one in eleven in pounds,
-- at monthly rates (corporate units per unit) from the first day on; the
-- last month's rate holds from then on.
INSERT INTO sales_kpi.exchange_rates (currency, valid, rate)
SELECT c.currency,
       daterange(m::date, CASE WHEN m + interval '1 month' > p.as_of THEN NULL ELSE (m + interval '1 month')::date END),
       round(c.base + c.swing * sin(extract(epoch FROM m)::float8 / 2.6e6)::numeric, 4)
FROM demo_params p
CROSS JOIN (VALUES ('EUR', 1.08, 0.04), ('GBP', 1.26, 0.05)) AS c(currency, base, swing)
CROSS JOIN LATERAL generate_series(p.first_day - interval '1 year', date_trunc('month', p.as_of), interval '1 month') AS m;

-- Reps: six teams in four regions; the first rep of a team manages it.
-- Two thirds were hired before the data starts; about one in six leaves.
INSERT INTO sales_kpi.reps (rep_id, name, email, team, region, manager_id, hired_on, left_on, first_contact_at)
SELECT pg_temp.demo_id('005', r, :'crm'), 'Rep ' || lpad(r::text, 3, '0'), 'rep' || r || '@example.com',
       t.team, t.region, CASE WHEN r > 6 THEN pg_temp.demo_id('005', (r - 1) % 6 + 1, :'crm') END,
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
SELECT pg_temp.demo_id('001', c, :'crm'), 'Customer ' || c,
       CASE WHEN s < 0.6 THEN 'SMB' WHEN s < 0.9 THEN 'Mid-Market' ELSE 'Enterprise' END,
       (ARRAY['North America', 'EMEA', 'APAC', 'LATAM'])[1 + floor(random() * 4)::int],
       a.acquired_on,
       CASE WHEN random() < 0.33 AND a.acquired_on + a.life < p.as_of THEN a.acquired_on + a.life END,
       CASE WHEN random() < 0.1 THEN pg_temp.demo_id('005', 1 + floor(random() * :reps)::bigint, :'crm') END
FROM generate_series(1, :customers) AS c
CROSS JOIN demo_params p
CROSS JOIN LATERAL (SELECT random() + 0 * c AS s) AS seg
CROSS JOIN LATERAL (SELECT date '2022-01-03' + floor(random() * (p.as_of - date '2022-01-03') + 0 * c)::int AS acquired_on,
                           90 + floor(random() * 900)::int AS life) AS a;

INSERT INTO sales_kpi.products (product_id, name, family, list_price)
SELECT pg_temp.demo_id('01t', n, :'crm'), name, family, price
FROM (VALUES (1, 'Starter', 'Subscription', 1200), (2, 'Professional', 'Subscription', 6000),
             (3, 'Enterprise', 'Subscription', 30000), (4, 'Onboarding', 'Services', 5000),
             (5, 'Training', 'Services', 2000), (6, 'Hardware Kit', 'Hardware', 800)) AS v(n, name, family, price);

ANALYZE sales_kpi.reps, sales_kpi.customers, sales_kpi.products, sales_kpi.stages;

-- Deals: each rep's deals fall within their tenure.  A deal's intended path
-- goes up the pipeline for 1-4 stages (one in ten steps back once), then
-- all but 3 % close as won or lost (those stay open: stale deals); one lost
-- deal in twelve is reopened into Negotiation and closes again.  Steps last
-- 1-45 days, one in twenty much longer (a stalled deal).  The path is cut at
-- the end of the as-of day, so recent deals are still open.  In the HubSpot
-- data seven deals in ten are in the default pipeline.
CREATE TEMP TABLE demo_deals ON COMMIT DROP AS
SELECT d AS n, pg_temp.demo_id('006', d, :'crm') AS deal_id, r.rep_id, r.team_manager,
       pg_temp.demo_id('001', 1 + floor(random() * :customers + 0 * d)::bigint, :'crm') AS customer_id,
       1 + floor(random() * 6)::bigint AS product_n,
       r.from_ts + random() * (r.to_ts - r.from_ts) AS created_at,
       1 + floor(random() * 4)::int AS reached,
       random() < 0.1 AS backward,
       CASE WHEN u < 0.40 THEN 5 WHEN u < 0.97 THEN 6 END AS final_idx,
       random() < 0.08 AS reopened,
       random() AS size_roll,
       CASE WHEN p.crm = 'hubspot' THEN CASE WHEN random() < 0.7 THEN 'default' ELSE '2000001' END END AS pipeline,
       random() AS change_roll
FROM generate_series(1, :deals) AS d
CROSS JOIN demo_params p
CROSS JOIN LATERAL (SELECT 1 + floor(random() * :reps + 0 * d)::bigint AS pick, random() AS u) AS k
JOIN (SELECT rep_id, pg_temp.demo_id('005', (substring(name, 5)::int - 1) % 6 + 1, :'crm') AS team_manager,
             greatest(hired_on, p.first_day)::timestamptz AS from_ts,
             least(coalesce(left_on, p.as_of), p.as_of)::timestamptz AS to_ts
      FROM sales_kpi.reps, demo_params p) AS r ON r.rep_id = pg_temp.demo_id('005', k.pick, :'crm');
ANALYZE demo_deals;

-- The stage path: (deal, seq, stage index, entered_at).
CREATE TEMP TABLE demo_steps ON COMMIT DROP AS
WITH path AS (
    SELECT n, created_at, s AS seq, s AS idx FROM demo_deals, generate_series(1, reached) AS s
    UNION ALL  -- a step back and forward again
    SELECT n, created_at, reached + b, reached - 2 + b
    FROM demo_deals, generate_series(1, 2) AS b WHERE backward AND reached >= 3
    UNION ALL  -- closing
    SELECT n, created_at, 10, final_idx FROM demo_deals WHERE final_idx IS NOT NULL
    UNION ALL  -- reopened into Negotiation, then closed again
    SELECT n, created_at, 11, 4 FROM demo_deals WHERE reopened AND final_idx = 6
    UNION ALL
    SELECT n, created_at, 12, CASE WHEN n % 2 = 0 THEN 5 ELSE 6 END
    FROM demo_deals WHERE reopened AND final_idx = 6
), timed AS (
    SELECT n, seq, idx,
           created_at + sum(CASE WHEN seq = 1 THEN interval '0'
                                 WHEN random() < 0.05 THEN (60 + random() * 150) * interval '1 day'
                                 ELSE (1 + random() * 44) * interval '1 day' END)
                        OVER (PARTITION BY n ORDER BY seq) AS entered_at
    FROM path
)
SELECT t.* FROM timed t, demo_params p WHERE t.entered_at < p.as_of_end;
ANALYZE demo_steps;

-- How long each deal was first open: from its creation to its first close,
-- or to the end of the as-of day (amount edits, pushed close dates and owner
-- changes happen then).
CREATE TEMP TABLE demo_span ON COMMIT DROP AS
SELECT d.n, d.created_at, d.rep_id, d.team_manager, d.product_n, d.size_roll,
       coalesce(min(s.entered_at) FILTER (WHERE s.idx >= 5), p.as_of_end) AS open_until
FROM demo_deals d JOIN demo_steps s USING (n) CROSS JOIN demo_params p
GROUP BY d.n, d.created_at, d.rep_id, d.team_manager, d.product_n, d.size_roll, p.as_of_end;
ANALYZE demo_span;

-- A few deals are deleted from the CRM (one in two hundred), some time after
-- they were created.
CREATE TEMP TABLE demo_deleted ON COMMIT DROP AS
SELECT s.n, s.created_at + random() * (p.as_of_end - s.created_at) AS deleted_at
FROM demo_span s, demo_params p
WHERE random() < 0.005;
ANALYZE demo_deleted;

-- Every change, one field per event: stage entries, the first amount and
-- expected close date, amount edits and pushed close dates while open (one
-- deal in three, one in ten twice), owner changes (one deal in twenty goes
-- to the team's manager), the close date of each closing.
CREATE TEMP TABLE demo_events ON COMMIT DROP AS
SELECT n, entered_at AS at, idx, NULL::numeric AS amount, NULL::text AS rep_id, NULL::date AS close_date
FROM demo_steps
UNION ALL
SELECT d.n, d.created_at, NULL,
       round(pr.list_price * (0.5 + d.size_roll * 2.5)::numeric
             * CASE c.segment WHEN 'Enterprise' THEN 4 WHEN 'Mid-Market' THEN 2 ELSE 1 END, 2),
       d.rep_id, (d.created_at + (30 + floor(d.size_roll * 60)) * interval '1 day')::date
FROM demo_deals d
JOIN sales_kpi.products pr ON pr.product_id = pg_temp.demo_id('01t', d.product_n, :'crm')
JOIN sales_kpi.customers c ON c.customer_id = d.customer_id
UNION ALL  -- amount edits
SELECT s.n, s.created_at + k.f * (s.open_until - s.created_at), NULL,
       round(pr.list_price * (0.4 + k.f * 2 + s.size_roll)::numeric, 2), NULL, NULL
FROM demo_span s
JOIN sales_kpi.products pr ON pr.product_id = pg_temp.demo_id('01t', s.product_n, :'crm')
CROSS JOIN LATERAL (SELECT f FROM (VALUES (0.3), (0.7)) AS v(f)
                    WHERE (f = 0.3 AND (s.n::bigint * 7919) % 3 = 0) OR (f = 0.7 AND (s.n::bigint * 7919) % 10 = 0)) AS k
WHERE s.open_until > s.created_at
UNION ALL  -- pushed close dates
SELECT s.n, s.created_at + k.f * (s.open_until - s.created_at), NULL, NULL, NULL,
       (s.created_at + (60 + floor(k.f * 100)) * interval '1 day')::date
FROM demo_span s
CROSS JOIN LATERAL (SELECT f FROM (VALUES (0.4), (0.8)) AS v(f)
                    WHERE (f = 0.4 AND (s.n::bigint * 104729) % 5 < 2) OR (f = 0.8 AND (s.n::bigint * 104729) % 7 = 0)) AS k
WHERE s.open_until > s.created_at
UNION ALL  -- owner changes
SELECT s.n, s.created_at + 0.5 * (s.open_until - s.created_at), NULL, NULL, s.team_manager, NULL
FROM demo_span s
WHERE (s.n::bigint * 15485863) % 20 = 0 AND s.team_manager <> s.rep_id AND s.open_until > s.created_at
UNION ALL  -- the close date of each closing, and a new expected date at a reopening
SELECT n, entered_at, NULL, NULL, NULL,
       CASE WHEN idx >= 5 THEN (entered_at AT TIME ZONE 'UTC')::date
            ELSE (entered_at + interval '30 days')::date END
FROM demo_steps WHERE idx >= 5 OR seq = 11;
ANALYZE demo_events;

-- Versions: one per distinct change time, every field carried forward from
-- its last change (with when the stage was entered and when the deal last
-- closed); cut at deletion, if any.
CREATE TEMP TABLE demo_versions ON COMMIT DROP AS
WITH t AS (
    SELECT n, at, max(idx) AS idx, max(amount) AS amount, max(rep_id) AS rep_id, max(close_date) AS close_date
    FROM demo_events GROUP BY n, at
), g AS (
    SELECT t.*, count(idx) OVER w AS gi, count(amount) OVER w AS ga, count(rep_id) OVER w AS gr,
           count(close_date) OVER w AS gc, count(*) FILTER (WHERE idx >= 5) OVER w AS gx
    FROM t WINDOW w AS (PARTITION BY n ORDER BY at)
), f AS (
    SELECT n, at,
           first_value(idx) OVER (PARTITION BY n, gi ORDER BY at) AS idx,
           first_value(at) OVER (PARTITION BY n, gi ORDER BY at) AS stage_entered_at,
           first_value(amount) OVER (PARTITION BY n, ga ORDER BY at) AS amount,
           first_value(rep_id) OVER (PARTITION BY n, gr ORDER BY at) AS rep_id,
           first_value(close_date) OVER (PARTITION BY n, gc ORDER BY at) AS close_date,
           first_value(at) OVER (PARTITION BY n, gx ORDER BY at) AS closed_at
    FROM g
)
SELECT f.*, lead(f.at) OVER (PARTITION BY f.n ORDER BY f.at) AS until
FROM f;
DELETE FROM demo_versions v USING demo_deleted x WHERE v.n = x.n AND v.at >= x.deleted_at;
UPDATE demo_versions v SET until = x.deleted_at
FROM demo_deleted x WHERE v.n = x.n AND (v.until IS NULL OR v.until > x.deleted_at);
ANALYZE demo_versions;

INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, customer_id, product_id, pipeline, name, stage,
                                    amount, probability, forecast_category, close_date, created_at,
                                    closed_at, contract_term, currency, lost_reason, stage_entered_at)
SELECT d.deal_id, tstzrange(v.at, v.until), v.rep_id, d.customer_id, pr.product_id, d.pipeline,
       c.name || ' / ' || pr.name, st.name, v.amount, NULL, st.forecast, v.close_date, d.created_at,
       CASE WHEN st.is_closed THEN v.closed_at END,
       CASE WHEN st.is_won AND pr.family = 'Subscription'
            THEN daterange(v.closed_at::date, (v.closed_at::date + CASE WHEN d.n % 3 = 0 THEN interval '2 years'
                                                                      ELSE interval '1 year' END)::date) END,
       CASE WHEN d.n % 7 = 3 THEN 'EUR' WHEN d.n % 11 = 5 THEN 'GBP' END,
       CASE WHEN st.is_closed AND NOT st.is_won
            THEN (ARRAY['Price', 'Competitor', 'No budget', 'Timing', 'No decision', 'Price', 'Competitor', NULL])
                 [1 + (d.n::bigint * 7919) % 8] END,
       v.stage_entered_at
FROM demo_versions v
JOIN demo_deals d USING (n)
JOIN sales_kpi.products pr ON pr.product_id = pg_temp.demo_id('01t', d.product_n, :'crm')
JOIN sales_kpi.customers c ON c.customer_id = d.customer_id
JOIN demo_stages st ON st.pipeline IS NOT DISTINCT FROM d.pipeline AND st.idx = v.idx;

-- The deals as they are now: their current versions (deleted deals are not
-- among them).  Their history is already written, so the trigger adds none.
INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, product_id, pipeline, name, stage, amount, probability,
                             forecast_category, close_date, created_at, closed_at, contract_term, currency, lost_reason)
SELECT deal_id, rep_id, customer_id, product_id, pipeline, name, stage, amount, probability,
       forecast_category, close_date, created_at, closed_at, contract_term, currency, lost_reason
FROM sales_kpi.deal_history WHERE upper_inf(valid);

-- Leads: one deal in three came from a lead, converted on the day the deal
-- was created; as many leads again never converted (open or disqualified).
INSERT INTO sales_kpi.leads (lead_id, rep_id, name, source, status, created_at, converted_on, converted_deal_id)
SELECT pg_temp.demo_id('00Q', d.n, :'crm'), d.rep_id, 'Lead ' || d.n,
       (ARRAY['Web', 'Referral', 'Event', 'Partner'])[1 + d.n % 4], 'Converted',
       d.created_at - (1 + d.n % 20) * interval '1 day', (d.created_at AT TIME ZONE 'UTC')::date, d.deal_id
FROM demo_deals d WHERE d.n % 3 = 0
UNION ALL
SELECT pg_temp.demo_id('00Q', :deals + d.n, :'crm'), d.rep_id, 'Lead ' || (:deals + d.n),
       (ARRAY['Web', 'Referral', 'Event', 'Partner'])[1 + d.n % 4],
       CASE WHEN d.n % 2 = 0 THEN 'Open' ELSE 'Disqualified' END,
       d.created_at - (1 + d.n % 30) * interval '1 day', NULL, NULL
FROM demo_deals d WHERE d.n % 3 = 1;

-- Activities: up to six per deal while it is open; tasks are due 1-14 days
-- after they are created, and one in five is never completed.
INSERT INTO sales_kpi.activities (activity_id, rep_id, deal_id, kind, subject, created_at, due_at, completed_at)
SELECT pg_temp.demo_id(CASE WHEN k.kind = 'meeting' THEN '00U' ELSE '00T' END,
                       row_number() OVER (ORDER BY d.deal_id, n), :'crm'),
       d.rep_id, d.deal_id, k.kind, k.kind || ' for deal ' || d.deal_id,
       k.created_at,
       CASE WHEN k.kind = 'task' THEN k.created_at + (1 + floor(random() * 14)) * interval '1 day' END,
       CASE WHEN k.kind <> 'task' THEN k.created_at
            WHEN random() < 0.8 AND k.created_at + k.work < p.as_of_end THEN k.created_at + k.work END
FROM sales_kpi.deals d
CROSS JOIN demo_params p
CROSS JOIN LATERAL generate_series(1, floor(random() * 7 + 0 * length(d.deal_id))::int) AS n
CROSS JOIN LATERAL (
    SELECT (ARRAY['call', 'email', 'meeting', 'task'])[1 + floor(random() * 4 + 0 * n)::int] AS kind,
           d.created_at + random() * (least(coalesce(d.closed_at, p.as_of_end), p.as_of_end) - d.created_at) AS created_at,
           random() * interval '10 days' AS work) AS k;

-- Quarterly quotas for every calendar quarter a rep is employed in.
INSERT INTO sales_kpi.quotas (rep_id, period, amount)
SELECT r.rep_id, daterange(q::date, (q + interval '3 months')::date),
       2200000 + floor(random() * 7 + 0 * length(r.rep_id)) * 200000
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
ANALYZE sales_kpi.reps, sales_kpi.customers, sales_kpi.products, sales_kpi.deals, sales_kpi.deal_history,
        sales_kpi.activities, sales_kpi.quotas, sales_kpi.marketing_spend, sales_kpi.market_size,
        sales_kpi.subscriptions, sales_kpi.kpi_targets, sales_kpi.stages, sales_kpi.exchange_rates;
