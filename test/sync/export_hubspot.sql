-- Writes the model's data (sales_kpi.*) as Fivetran's HubSpot connector
-- would land it, with the history of every deal property, in the schema
-- :schema made by fivetran_hubspot.sql.  Rows are synced at :synced; a
-- deleted deal at the moment it was deleted (HubSpot says no more).  What
-- HubSpot has no field for here (teams, managers, a rep's region and
-- dates, a customer's segment, churn and referrer, leads, products on a
-- deal, contract terms, stall thresholds) is not written: the test keeps
-- it beside the sync, as a user would.
--
--   psql -v schema=hs -v synced='2026-07-01 06:00+00' -f export_hubspot.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;

-- HubSpot spells a forecast category in capitals, OMIT for omitted.
CREATE FUNCTION pg_temp.hs_forecast(category text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE category WHEN 'omitted' THEN 'OMIT' ELSE upper(category) END
$$;
-- Times in the property history are epoch milliseconds.
CREATE FUNCTION pg_temp.hs_millis(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(epoch FROM t) * 1000)::bigint::text
$$;

INSERT INTO :"schema".owner (owner_id, email, first_name, last_name, created_at, type, _fivetran_synced)
SELECT r.rep_id::bigint, r.email, split_part(r.name, ' ', 1), split_part(r.name, ' ', 2),
       r.hired_on::timestamp AT TIME ZONE 'UTC', 'PERSON', :'synced'
FROM sales_kpi.reps r;

INSERT INTO :"schema".deal_pipeline (pipeline_id, label, active, display_order, _fivetran_deleted, _fivetran_synced)
SELECT pipeline, CASE pipeline WHEN 'default' THEN 'Sales Pipeline' ELSE 'Pipeline ' || pipeline END, true,
       row_number() OVER (ORDER BY pipeline) - 1, false, :'synced'
FROM (SELECT DISTINCT pipeline FROM sales_kpi.stages WHERE pipeline IS NOT NULL) p;

INSERT INTO :"schema".deal_pipeline_stage (pipeline_id, stage_id, label, display_order, probability, is_closed,
                                           closed_won, active, _fivetran_deleted, _fivetran_synced)
SELECT s.pipeline, s.name, coalesce(s.label, s.name), s.pipeline_order, s.default_probability, s.is_closed, s.is_won,
       true, false, :'synced'
FROM sales_kpi.stages s WHERE s.pipeline IS NOT NULL;

INSERT INTO :"schema".company (id, property_name, property_country, property_createdate, is_deleted, _fivetran_synced)
SELECT c.customer_id::bigint, c.name, c.region, c.acquired_on::timestamp AT TIME ZONE 'UTC', false, :'synced'
FROM sales_kpi.customers c;

-- Every version of every deal; a deleted deal's versions end when it was
-- deleted.
CREATE TEMP TABLE versions ON COMMIT DROP AS
SELECT v.deal_id, lower(v.valid) AS since, upper(v.valid) AS until, v.rep_id, v.customer_id, v.pipeline, v.name,
       v.stage, v.amount, v.forecast_category, v.close_date, v.created_at, v.currency, v.lost_reason,
       row_number() OVER (PARTITION BY v.deal_id ORDER BY lower(v.valid)) AS n
FROM sales_kpi.deal_versions v;
CREATE TEMP TABLE last_versions ON COMMIT DROP AS
SELECT DISTINCT ON (deal_id) * FROM versions ORDER BY deal_id, since DESC;

INSERT INTO :"schema".deal (deal_id, is_deleted, deal_pipeline_id, deal_pipeline_stage_id, owner_id, portal_id,
                            property_dealname, property_amount, property_closedate, property_createdate,
                            property_hs_forecast_category, _fivetran_synced, property_deal_currency_code,
                            property_closed_lost_reason)
SELECT v.deal_id::bigint, v.until IS NOT NULL, v.pipeline, v.stage, v.rep_id::bigint, 4700000, v.name, v.amount,
       v.close_date::timestamp AT TIME ZONE 'UTC', v.created_at, pg_temp.hs_forecast(v.forecast_category),
       coalesce(v.until, :'synced'), v.currency, v.lost_reason
FROM last_versions v;

INSERT INTO :"schema".deal_company (deal_id, company_id, type_id, category, _fivetran_synced)
SELECT v.deal_id::bigint, v.customer_id::bigint, 5, 'HUBSPOT_DEFINED', :'synced'
FROM last_versions v WHERE v.customer_id IS NOT NULL;

-- One history row per property a version changed (all of them in the
-- first), at the moment the version began.
INSERT INTO :"schema".deal_property_history (deal_id, timestamp, _fivetran_synced, source, name, value)
SELECT v.deal_id::bigint, v.since, :'synced', 'CRM_UI', p.name, p.value
FROM (SELECT v.*, lag(v.stage) OVER w AS p_stage, lag(v.pipeline) OVER w AS p_pipeline,
             lag(v.amount) OVER w AS p_amount, lag(v.close_date) OVER w AS p_close_date,
             lag(v.rep_id) OVER w AS p_rep_id, lag(v.name) OVER w AS p_name,
             lag(v.forecast_category) OVER w AS p_forecast_category,
             lag(v.currency) OVER w AS p_currency, lag(v.lost_reason) OVER w AS p_lost_reason
      FROM versions v WINDOW w AS (PARTITION BY v.deal_id ORDER BY v.since)) v
CROSS JOIN LATERAL (VALUES
    ('dealstage', v.stage, v.p_stage),
    ('pipeline', v.pipeline, v.p_pipeline),
    ('amount', v.amount::text, v.p_amount::text),
    ('closedate', pg_temp.hs_millis(v.close_date::timestamp AT TIME ZONE 'UTC'),
                  pg_temp.hs_millis(v.p_close_date::timestamp AT TIME ZONE 'UTC')),
    ('hubspot_owner_id', v.rep_id, v.p_rep_id),
    ('dealname', v.name, v.p_name),
    ('hs_forecast_category', pg_temp.hs_forecast(v.forecast_category), pg_temp.hs_forecast(v.p_forecast_category)),
    ('deal_currency_code', v.currency, v.p_currency),
    ('closed_lost_reason', v.lost_reason, v.p_lost_reason))
    AS p(name, value, previous)
WHERE (v.n = 1 AND p.value IS NOT NULL) OR (v.n > 1 AND p.value IS DISTINCT FROM p.previous);

-- Engagements: the common row, the row of its type, its deal.
INSERT INTO :"schema".engagement (id, type, _fivetran_synced, portal_id)
SELECT a.activity_id::bigint, upper(a.kind), :'synced', 4700000 FROM sales_kpi.activities a;
INSERT INTO :"schema".engagement_deal (deal_id, engagement_id, engagement_type, type_id, _fivetran_synced, category)
SELECT a.deal_id::bigint, a.activity_id::bigint, upper(a.kind), 206, :'synced', 'HUBSPOT_DEFINED'
FROM sales_kpi.activities a WHERE a.deal_id IS NOT NULL;
INSERT INTO :"schema".engagement_call (engagement_id, _fivetran_deleted, _fivetran_synced, property_hs_createdate,
                                       property_hs_timestamp, type, property_hubspot_owner_id, property_hs_call_title)
SELECT a.activity_id::bigint, false, :'synced', a.created_at, a.completed_at, 'CALL', a.rep_id::bigint, a.subject
FROM sales_kpi.activities a WHERE a.kind = 'call';
INSERT INTO :"schema".engagement_email (engagement_id, _fivetran_deleted, _fivetran_synced, property_hs_createdate,
                                        property_hs_timestamp, type, property_hubspot_owner_id, property_hs_email_subject)
SELECT a.activity_id::bigint, false, :'synced', a.created_at, a.completed_at, 'EMAIL', a.rep_id::bigint, a.subject
FROM sales_kpi.activities a WHERE a.kind = 'email';
INSERT INTO :"schema".engagement_meeting (engagement_id, _fivetran_deleted, _fivetran_synced, property_hs_createdate,
                                          property_hs_timestamp, start_time, end_time, title, source,
                                          property_hubspot_owner_id)
SELECT a.activity_id::bigint, false, :'synced', a.created_at, a.completed_at, a.completed_at, a.completed_at,
       a.subject, 'CRM_UI', a.rep_id::bigint
FROM sales_kpi.activities a WHERE a.kind = 'meeting';
INSERT INTO :"schema".engagement_task (engagement_id, _fivetran_deleted, _fivetran_synced, property_hs_createdate,
                                       property_hs_timestamp, type, property_hubspot_owner_id, property_hs_task_subject,
                                       property_hs_task_status, property_hs_task_completion_date)
SELECT a.activity_id::bigint, false, :'synced', a.created_at, a.due_at, 'TASK', a.rep_id::bigint, a.subject,
       CASE WHEN a.completed_at IS NOT NULL THEN 'COMPLETED' ELSE 'NOT_STARTED' END, a.completed_at
FROM sales_kpi.activities a WHERE a.kind = 'task';

COMMIT;
