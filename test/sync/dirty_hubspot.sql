-- Dirty rows in a Fivetran HubSpot schema :schema, synced at :synced.
-- With -v phase=dirty it lands rows that break the model's rules, and one
-- that looks dirty but is not (a deal won on the day it was created); with
-- -v phase=clean the connector brings the corrected rows.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;
SELECT min(owner_id) AS owner FROM :"schema".owner \gset
SELECT min(id) AS company FROM :"schema".company \gset
SELECT min(stage_id) FILTER (WHERE NOT is_closed) AS open_stage,
       min(stage_id) FILTER (WHERE closed_won) AS won_stage
FROM :"schema".deal_pipeline_stage WHERE pipeline_id = 'default' \gset

\if :{?phase}
\else
\set phase dirty
\endif
SELECT :'phase' = 'dirty' AS dirty \gset
\if :dirty
INSERT INTO :"schema".deal (deal_id, is_deleted, deal_pipeline_id, deal_pipeline_stage_id, owner_id, property_dealname,
                            property_amount, property_closedate, property_createdate, _fivetran_synced)
VALUES
  -- a stage its pipeline does not have
  (9700000001, false, 'default', 'no-such-stage', :owner, 'Lost stage', 10, '2026-08-01', '2026-07-01 09:00+00', :'synced'),
  -- closed the day before it was created
  (9700000002, false, 'default', :'won_stage', :owner, 'Closed early', 10, '2026-06-30', '2026-07-01 15:00+00', :'synced'),
  -- an owner HubSpot does not list
  (9700000003, false, 'default', :'open_stage', 99999999, 'Nobody''s', 10, '2026-08-01', '2026-07-01 09:00+00', :'synced'),
  -- won on the day it was created: it closes when it was created
  (9700000004, false, 'default', :'won_stage', :owner, 'Same day', 700, '2026-07-01', '2026-07-01 15:00+00', :'synced'),
  -- an amount in its history that is not a number
  (9700000005, false, 'default', :'open_stage', :owner, 'Bad amount', 10, '2026-08-01', '2026-07-01 09:00+00', :'synced');
INSERT INTO :"schema".deal_company (deal_id, company_id, type_id, _fivetran_synced)
SELECT d, :company, 5, :'synced' FROM generate_series(9700000001, 9700000005) AS d;
INSERT INTO :"schema".deal_property_history (deal_id, timestamp, _fivetran_synced, source, name, value)
VALUES (9700000005, '2026-07-01 09:00+00', :'synced', 'CRM_UI', 'dealstage', :'open_stage'),
       (9700000005, '2026-07-01 09:00+00', :'synced', 'CRM_UI', 'amount', 'ten thousand'),
       (9700000005, '2026-07-01 12:00+00', :'synced', 'CRM_UI', 'closedate', 'next week');
INSERT INTO :"schema".engagement_task (engagement_id, _fivetran_deleted, _fivetran_synced, property_hs_createdate,
                                       property_hs_timestamp, type, property_hubspot_owner_id, property_hs_task_status)
VALUES (29700000001, false, :'synced', '2026-07-01 10:00+00', '2026-07-03 10:00+00', 'TASK', NULL, 'NOT_STARTED');
\else
UPDATE :"schema".deal SET deal_pipeline_stage_id = :'open_stage', _fivetran_synced = :'synced' WHERE deal_id = 9700000001;
UPDATE :"schema".deal SET property_closedate = '2026-07-02', _fivetran_synced = :'synced' WHERE deal_id = 9700000002;
UPDATE :"schema".deal SET owner_id = :owner, _fivetran_synced = :'synced' WHERE deal_id = 9700000003;
INSERT INTO :"schema".deal_property_history (deal_id, timestamp, _fivetran_synced, source, name, value)
VALUES (9700000005, '2026-07-01 13:00+00', :'synced', 'CRM_UI', 'amount', '10'),
       (9700000005, '2026-07-01 13:00+00', :'synced', 'CRM_UI', 'closedate', '2026-08-01T00:00:00Z');
UPDATE :"schema".deal_property_history SET value = '10000', _fivetran_synced = :'synced'
WHERE deal_id = 9700000005 AND value = 'ten thousand';
UPDATE :"schema".deal_property_history SET value = '1785456000000', _fivetran_synced = :'synced'
WHERE deal_id = 9700000005 AND value = 'next week';
UPDATE :"schema".engagement_task SET property_hubspot_owner_id = :owner, _fivetran_synced = :'synced'
WHERE engagement_id = 29700000001;
\endif
COMMIT;
