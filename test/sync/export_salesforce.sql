-- Writes the model's data (sales_kpi.*) as Fivetran's Salesforce connector
-- would land it, with History Mode on opportunity (opportunity_history), in
-- the schema :schema made by fivetran_salesforce.sql.  Every row is synced
-- at :synced.  What Salesforce has no field for (a rep's region, left_on,
-- first contact; a customer's churn and referrer; contract terms; stall
-- thresholds) is not written: the test keeps it beside the sync, as a user
-- would.
--
--   psql -v schema=sf -v synced='2026-07-01 06:00+00' -f export_salesforce.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;

-- Salesforce spells a forecast category by its API name.
CREATE FUNCTION pg_temp.sf_forecast(category text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE category WHEN 'pipeline' THEN 'Pipeline' WHEN 'best_case' THEN 'BestCase'
                         WHEN 'commit' THEN 'Forecast' WHEN 'closed' THEN 'Closed'
                         WHEN 'omitted' THEN 'Omitted' END
$$;

-- Roles: one per team.
CREATE TEMP TABLE roles ON COMMIT DROP AS
SELECT team, '00E' || 'A' || lpad(row_number() OVER (ORDER BY team)::text, 14, '0') AS role_id
FROM (SELECT DISTINCT team FROM sales_kpi.reps WHERE team IS NOT NULL) t;

INSERT INTO :"schema".user_role (id, name, developer_name, _fivetran_synced, _fivetran_deleted, _fivetran_active)
SELECT role_id, team, replace(team, ' ', '_'), :'synced', false, true FROM roles;

INSERT INTO :"schema"."user" (id, name, first_name, last_name, email, username, manager_id, user_role_id, is_active,
                              created_date, user_type, _fivetran_synced, _fivetran_deleted, _fivetran_active)
SELECT r.rep_id, r.name, split_part(r.name, ' ', 1), split_part(r.name, ' ', 2), r.email, r.email, r.manager_id,
       ro.role_id, r.left_on IS NULL, r.hired_on::timestamp AT TIME ZONE 'UTC', 'Standard', :'synced', false, true
FROM sales_kpi.reps r LEFT JOIN roles ro USING (team);

INSERT INTO :"schema".account (id, name, type, billing_country, created_date, is_deleted, _fivetran_synced, _fivetran_active)
SELECT c.customer_id, c.name, c.segment, c.region, c.acquired_on::timestamp AT TIME ZONE 'UTC', false, :'synced', true
FROM sales_kpi.customers c;

INSERT INTO :"schema".product_2 (id, name, family, is_active, is_deleted, _fivetran_synced, _fivetran_active)
SELECT p.product_id, p.name, p.family, true, false, :'synced', true FROM sales_kpi.products p;

INSERT INTO :"schema".opportunity_stage (id, api_name, master_label, sort_order, default_probability, is_active,
                                         is_closed, is_won, _fivetran_synced, _fivetran_deleted)
SELECT '01J' || 'A' || lpad(row_number() OVER (ORDER BY s.pipeline_order)::text, 14, '0'), s.name,
       coalesce(s.label, s.name), s.pipeline_order, s.default_probability * 100, true, s.is_closed, s.is_won,
       :'synced', false
FROM sales_kpi.stages s WHERE s.pipeline IS NULL;

-- Every version of every deal, as History Mode keeps them: valid from
-- _fivetran_start to _fivetran_end (the next version's start minus a
-- millisecond; 9999-12-31 while active).  A deleted deal's last version is
-- its deletion: is_deleted, from the moment it ended.
CREATE TEMP TABLE versions ON COMMIT DROP AS
SELECT v.deal_id, lower(v.valid) AS since, upper(v.valid) AS until, v.rep_id, v.customer_id, v.name, v.stage,
       v.amount, v.probability, v.forecast_category, v.close_date, v.created_at,
       stage_outcome(v.pipeline, v.stage) AS outcome, false AS is_deleted, v.currency, v.lost_reason
FROM sales_kpi.deal_versions v;
INSERT INTO versions
SELECT DISTINCT ON (v.deal_id) v.deal_id, v.until, NULL, v.rep_id, v.customer_id, v.name, v.stage, v.amount,
       v.probability, v.forecast_category, v.close_date, v.created_at, v.outcome, true, v.currency, v.lost_reason
FROM versions v
WHERE NOT EXISTS (SELECT FROM versions w WHERE w.deal_id = v.deal_id AND w.until IS NULL)
ORDER BY v.deal_id, v.since DESC;

INSERT INTO :"schema".opportunity_history (id, _fivetran_start, _fivetran_end, _fivetran_active, _fivetran_synced,
                                           owner_id, account_id, name, stage_name, amount, probability,
                                           forecast_category, forecast_category_name, close_date, created_date,
                                           is_closed, is_won, is_deleted, type, currency_iso_code, loss_reason)
SELECT v.deal_id, v.since,
       coalesce(lead(v.since) OVER w - interval '1 millisecond', timestamptz '9999-12-31 23:59:59+00'),
       lead(v.since) OVER w IS NULL, :'synced', v.rep_id, v.customer_id, v.name, v.stage, v.amount,
       v.probability * 100, pg_temp.sf_forecast(v.forecast_category), initcap(replace(v.forecast_category, '_', ' ')),
       v.close_date, v.created_at, v.outcome <> 'open', v.outcome = 'won', v.is_deleted, 'New Business',
       v.currency, v.lost_reason
FROM versions v
WINDOW w AS (PARTITION BY v.deal_id ORDER BY v.since);

-- The opportunities as they are now (a deleted one, as it was deleted).
INSERT INTO :"schema".opportunity (id, _fivetran_synced, _fivetran_active, owner_id, account_id, name, stage_name,
                                   amount, probability, forecast_category, forecast_category_name, close_date,
                                   created_date, is_closed, is_won, is_deleted, type, currency_iso_code, loss_reason)
SELECT h.id, :'synced', true, h.owner_id, h.account_id, h.name, h.stage_name, h.amount, h.probability,
       h.forecast_category, h.forecast_category_name, h.close_date, h.created_date, h.is_closed, h.is_won,
       h.is_deleted, h.type, h.currency_iso_code, h.loss_reason
FROM :"schema".opportunity_history h WHERE h._fivetran_active;

-- The org's dated rates, as Salesforce keeps them: units of the currency per
-- corporate unit.  (Deals in the corporate currency carry none here.)
INSERT INTO :"schema".dated_conversion_rate (id, iso_code, start_date, next_start_date, conversion_rate,
                                             _fivetran_synced, _fivetran_deleted)
SELECT '04w' || lpad(row_number() OVER (ORDER BY x.currency, lower(x.valid))::text, 15, '0'), x.currency,
       lower(x.valid), upper(x.valid), 1 / x.rate, :'synced', false
FROM sales_kpi.exchange_rates x;

INSERT INTO :"schema".opportunity_line_item (id, opportunity_id, product_2_id, name, quantity, unit_price,
                                             total_price, created_date, is_deleted, _fivetran_synced, _fivetran_active)
SELECT '00k' || substring(d.deal_id FROM 4), d.deal_id, d.product_id, p.name, 1, d.amount, d.amount, d.created_at,
       false, :'synced', true
FROM (SELECT DISTINCT ON (deal_id) deal_id, product_id, amount, created_at FROM sales_kpi.deal_versions
      WHERE product_id IS NOT NULL ORDER BY deal_id, lower(valid) DESC) d
JOIN sales_kpi.products p USING (product_id);

-- Calls, emails and tasks are tasks (by subtype); meetings are events.  A
-- task's due date is a date.
INSERT INTO :"schema".task (id, owner_id, what_id, subject, created_date, activity_date, completed_date_time,
                            is_closed, status, task_subtype, type, is_deleted, _fivetran_synced, _fivetran_active)
SELECT a.activity_id, a.rep_id, a.deal_id, a.subject, a.created_at, (a.due_at AT TIME ZONE 'UTC')::date,
       a.completed_at, a.completed_at IS NOT NULL,
       CASE WHEN a.completed_at IS NOT NULL THEN 'Completed' ELSE 'Not Started' END,
       initcap(a.kind), CASE WHEN a.kind <> 'task' THEN initcap(a.kind) END, false, :'synced', true
FROM sales_kpi.activities a WHERE a.kind <> 'meeting';

INSERT INTO :"schema".event (id, owner_id, what_id, subject, created_date, start_date_time, end_date_time,
                             is_deleted, _fivetran_synced, _fivetran_active)
SELECT a.activity_id, a.rep_id, a.deal_id, a.subject, a.created_at, a.completed_at, a.completed_at, false,
       :'synced', true
FROM sales_kpi.activities a WHERE a.kind = 'meeting';

INSERT INTO :"schema".lead (id, owner_id, name, company, lead_source, status, created_date, is_converted,
                            converted_date, converted_opportunity_id, is_deleted, _fivetran_synced, _fivetran_active)
SELECT l.lead_id, l.rep_id, l.name, 'Company of ' || l.name, l.source, l.status, l.created_at,
       l.converted_on IS NOT NULL, l.converted_on, l.converted_deal_id, false, :'synced', true
FROM sales_kpi.leads l;

COMMIT;
