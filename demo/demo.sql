-- sales_kpi demo: 50 reps and 100,000 generated deals, seeded so that every
-- run prints the same numbers, and one table of every KPI per rep.
-- Run by `make demo` on the throwaway cluster; safe to run again.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

DROP SCHEMA IF EXISTS demo CASCADE;
DROP EXTENSION IF EXISTS sales_kpi CASCADE;
CREATE EXTENSION sales_kpi;
CREATE SCHEMA demo;

SELECT setseed(0.2026) \gset

-- Reps: hired over 2023-2024, first customer contact 3 to 60 days later
-- (a few still ramping), each with a skill that moves their win odds.
CREATE TABLE demo.reps AS
SELECT r AS rep_id,
       'Rep ' || lpad(r::text, 2, '0') AS name,
       (ARRAY['North', 'South', 'East', 'West'])[1 + r % 4] AS region,
       hired_at,
       CASE WHEN r % 17 = 0 THEN NULL
            ELSE hired_at + (3 + floor(random() * 57)) * interval '1 day' END AS first_contact_at,
       0.25 + random() * 0.3 AS skill
FROM generate_series(1, 50) AS r,
     LATERAL (SELECT timestamptz '2023-01-02' + floor(random() * 700 + 0 * r) * interval '1 day' AS hired_at) AS h;

-- Deals: created through 2024-2025; about 40 % still open, the rest won or
-- lost after a 5-180 day cycle.  Stage names as Salesforce spells them.
CREATE TABLE demo.deals AS
SELECT d AS deal_id, rep_id, customer_id, amount, created_at,
       CASE WHEN outcome = 'open' THEN NULL ELSE created_at + cycle END AS closed_at,
       CASE outcome WHEN 'won' THEN 'Closed Won' WHEN 'lost' THEN 'Closed Lost'
            ELSE (ARRAY['Prospecting', 'Qualification', 'Proposal', 'Negotiation'])[1 + floor(random() * 4)::int]
       END AS stage
FROM (
  SELECT d, rep_id, 1 + floor(random() * 20000)::bigint AS customer_id,
         round((500 + random() * random() * 50000)::numeric, 2) AS amount,
         timestamptz '2024-01-01' + random() * interval '700 days' AS created_at,
         (5 + random() * 175) * interval '1 day' AS cycle,
         CASE WHEN u < 0.4 THEN 'open' WHEN random() < skill THEN 'won' ELSE 'lost' END AS outcome
  FROM generate_series(1, 100000) AS d,
       LATERAL (SELECT 1 + floor(random() * 50 + 0 * d)::int AS rep_id, random() AS u) AS pick
  JOIN demo.reps USING (rep_id)
) AS g;
ANALYZE demo.reps, demo.deals;

\echo
\echo 'sales_kpi demo: 50 reps, 100,000 deals (seeded), KPIs per rep as of 2026-01-01'
\echo

SELECT r.name AS rep,
       r.region,
       count(*) AS deals,
       round(win_rate(d.stage)::numeric, 3) AS win_rate,
       round(conversion_rate(d.stage)::numeric, 3) AS conversion,
       date_trunc('hour', sales_cycle_length(d.created_at, d.closed_at)) AS sales_cycle,
       date_trunc('hour', avg_time_in_pipeline(d.created_at, d.closed_at, '2026-01-01')) AS time_in_pipeline,
       avg_ramp_time(r.hired_at, r.first_contact_at) AS ramp_time,
       round(clv(d.customer_id, d.amount, d.created_at), 2) AS clv,
       round(pipeline_velocity(d.stage, d.amount, d.created_at, d.closed_at), 2) AS velocity_per_day
FROM demo.deals d JOIN demo.reps r USING (rep_id)
GROUP BY r.rep_id, r.name, r.region, r.hired_at, r.first_contact_at
ORDER BY win_rate(d.stage) DESC, r.rep_id;

\echo 'All reps'
SELECT count(*) AS deals,
       round(win_rate(stage)::numeric, 3) AS win_rate,
       round(conversion_rate(stage)::numeric, 3) AS conversion,
       date_trunc('hour', sales_cycle_length(created_at, closed_at)) AS sales_cycle,
       date_trunc('hour', avg_time_in_pipeline(created_at, closed_at, '2026-01-01')) AS time_in_pipeline,
       (SELECT avg_ramp_time(hired_at, first_contact_at) FROM demo.reps) AS avg_ramp_time,
       round(clv(customer_id, amount, created_at), 2) AS clv,
       round(pipeline_velocity(stage, amount, created_at, closed_at), 2) AS velocity_per_day
FROM demo.deals;
