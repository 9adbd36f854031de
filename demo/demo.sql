-- sales_kpi demo, run by `make demo` on the throwaway cluster (safe to run
-- again): installs the extension afresh, loads seeded CRM-shaped data (about
-- 50 reps, 20,000 customers and 200,000 deals in two HubSpot-style
-- pipelines, with the history of every field), pins the dashboards to the
-- day 2026-06-30, refreshes the materialized twins, and prints a per-rep
-- table of the KPI aggregates and the first rows of every dashboard.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

DROP EXTENSION IF EXISTS sales_kpi CASCADE;
CREATE EXTENSION sales_kpi;

\echo 'Loading demo data (50 reps, 20,000 customers, 200,000 deals) ...'
\set reps 50
\set customers 20000
\set deals 200000
\set seed 0.42
\set as_of 2026-06-30
\set crm hubspot
\ir generate.sql

-- Dashboards of this database are computed as of the last day of the data.
ALTER DATABASE sales_kpi SET sales_kpi.as_of = '2026-06-30';
SET sales_kpi.as_of = '2026-06-30';

\echo
\echo 'Refreshing the dashboards (sales_kpi.refresh_dashboards()):'
SELECT view_name, mode, round((extract(epoch FROM duration) * 1000)::numeric) AS ms, rows, error
FROM sales_kpi.refresh_dashboards();

\echo
\echo 'Editing 200 deals and refreshing again (incremental: the twins that read deals, from the per-deal stores):'
UPDATE sales_kpi.deals SET amount = round(amount * 1.05, 2)
WHERE deal_id IN (SELECT deal_id FROM sales_kpi.deals WHERE closed_at IS NULL ORDER BY deal_id LIMIT 200);
SELECT view_name, mode, round((extract(epoch FROM duration) * 1000)::numeric) AS ms, rows, error
FROM sales_kpi.refresh_dashboards();

\echo
\echo 'KPI aggregates per rep, on sales_kpi.deals (as of 2026-06-30):'
SELECT r.name AS rep,
       r.team,
       count(*) AS deals,
       round(win_rate(d.pipeline, d.stage)::numeric, 3) AS win_rate,
       round(conversion_rate(d.pipeline, d.stage)::numeric, 3) AS conversion,
       date_trunc('hour', sales_cycle_length(d.created_at, d.closed_at)) AS sales_cycle,
       date_trunc('hour', avg_time_in_pipeline(d.created_at, d.closed_at, '2026-07-01')) AS time_in_pipeline,
       avg_ramp_time(r.hired_on, r.first_contact_at) AS ramp_time,
       round(clv(d.customer_id, d.amount, d.created_at), 2) AS clv,
       round(pipeline_velocity(d.pipeline, d.stage, d.amount, d.created_at, d.closed_at), 2) AS velocity_per_day
FROM sales_kpi.deals d JOIN sales_kpi.reps r USING (rep_id)
GROUP BY r.rep_id, r.name, r.team
ORDER BY win_rate(d.pipeline, d.stage) DESC, r.rep_id
LIMIT 15;

\ir dashboards.sql
