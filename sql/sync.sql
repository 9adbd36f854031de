--
-- The connector syncs on small hand-made schemas: the errors that name what
-- is missing, a Salesforce schema with only the required columns (outcomes
-- from the source's flags whatever the stages are called, a deal won on the
-- day it was created, an open deal's expected close date, deletions,
-- increments, quarantine and release), a minimal HubSpot schema, and the
-- functions' security.  test/sync/run checks the syncs end to end.
--
SET TimeZone = 'UTC';
-- (the errors' CONTEXT, which names lines of the functions, is not shown)
\set SHOW_CONTEXT never

-- Errors.
SELECT * FROM sales_kpi.sync_salesforce('no_such_schema');
CREATE SCHEMA sf;
SELECT * FROM sales_kpi.sync_salesforce('sf');
CREATE TABLE sf.opportunity (id text, owner_id text, stage_name text, amount numeric);
SELECT * FROM sales_kpi.sync_salesforce('sf');
DROP TABLE sf.opportunity;
SELECT * FROM sales_kpi.sync_hubspot('sf');
SELECT sales_kpi.schedule_sync('sf', 'pipedrive');
SELECT sales_kpi.schedule_sync('sf', 'salesforce');
SELECT sales_kpi.sync_create_indexes('sf', 'pipedrive');

-- A Salesforce org with only the required columns; its won stage is called
-- Signed Contract, its lost stage Dead.
CREATE TABLE sf."user" (id text, name text);
CREATE TABLE sf.opportunity (id text, owner_id text, account_id text, stage_name text, amount numeric,
                             created_date timestamptz, close_date date, is_closed boolean, is_won boolean,
                             is_deleted boolean, _fivetran_synced timestamptz);
INSERT INTO sf."user" VALUES ('005A00000000000001', 'Ann Lee'), ('005A00000000000002', 'Bo Chen');
INSERT INTO sf.opportunity VALUES
  -- won on the day it was created
  ('006A00000000000001', '005A00000000000001', '001A00000000000001', 'Signed Contract', 1000,
   '2026-03-02 18:30+00', '2026-03-02', true, true, false, '2026-03-10 00:00+00'),
  -- won days later
  ('006A00000000000002', '005A00000000000001', '001A00000000000001', 'Signed Contract', 2000,
   '2026-03-01 09:00+00', '2026-03-05', true, true, false, '2026-03-10 00:00+00'),
  ('006A00000000000003', '005A00000000000002', NULL, 'Dead', 300,
   '2026-03-01 09:00+00', '2026-03-04', true, false, false, '2026-03-10 00:00+00'),
  -- open: its close_date is the expected close
  ('006A00000000000004', '005A00000000000002', NULL, 'Discovery', 400,
   '2026-03-03 09:00+00', '2026-04-30', false, false, false, '2026-03-10 00:00+00'),
  -- deleted in Salesforce
  ('006A00000000000005', '005A00000000000002', NULL, 'Discovery', 500,
   '2026-03-03 09:00+00', '2026-04-30', false, false, true, '2026-03-10 00:00+00'),
  -- dirty: a negative amount
  ('006A00000000000006', '005A00000000000002', NULL, 'Discovery', -1,
   '2026-03-03 09:00+00', '2026-04-30', false, false, false, '2026-03-10 00:00+00');
SELECT * FROM sales_kpi.sync_salesforce('sf');
-- (no account table: the deals have no customer)
SELECT deal_id, rep_id, customer_id, stage, amount, created_at, close_date, closed_at FROM sales_kpi.deals ORDER BY 1;
SELECT name, pipeline_order, is_closed, is_won FROM sales_kpi.stages ORDER BY pipeline_order;
SELECT stage, stage_outcome(stage) FROM (VALUES ('Signed Contract'), ('Dead'), ('Discovery')) AS s(stage);
SELECT source_table, source_key, rule, row_data ->> 'amount' AS amount FROM sales_kpi.quarantine;
SELECT rep_id, name, email, hired_on FROM sales_kpi.reps ORDER BY 1;
SELECT source_table, watermark, rows_read FROM sales_kpi.sync_state ORDER BY 1;
SELECT source, source_schema, newest_row_synced_at, rows_read, quarantined_rows FROM sales_kpi.sync_status;

-- Nothing changed: nothing written.
SELECT * FROM sales_kpi.sync_salesforce('sf');

-- The open deal is won, the dirty one corrected, one deal deleted: only
-- the rows synced since are read (the lookback reads none of the others).
UPDATE sf.opportunity SET stage_name = 'Signed Contract', is_closed = true, is_won = true, close_date = '2026-03-20',
                          _fivetran_synced = '2026-03-21 00:00+00'
WHERE id = '006A00000000000004';
UPDATE sf.opportunity SET amount = 1, _fivetran_synced = '2026-03-21 00:00+00' WHERE id = '006A00000000000006';
UPDATE sf.opportunity SET is_deleted = true, _fivetran_synced = '2026-03-21 00:00+00' WHERE id = '006A00000000000003';
SELECT * FROM sales_kpi.sync_salesforce('sf');
SELECT source_table, rows_read FROM sales_kpi.sync_state WHERE source_table = 'opportunity';
SELECT deal_id, stage, amount, closed_at FROM sales_kpi.deals ORDER BY 1;
SELECT count(*) AS quarantined FROM sales_kpi.quarantine;
-- The triggers recorded the changes: the won deal's history holds both stages.
SELECT deal_id, stage, upper_inf(valid) AS current FROM sales_kpi.deal_history
WHERE deal_id = '006A00000000000004' ORDER BY lower(valid);
-- The deleted deal's history stays, ended.
SELECT deal_id, stage, upper_inf(valid) AS current FROM sales_kpi.deal_history WHERE deal_id = '006A00000000000003';

-- A deal whose flags disagree with the catalog's for its stage is dirty.
UPDATE sf.opportunity SET is_closed = true, _fivetran_synced = '2026-03-22 00:00+00' WHERE id = '006A00000000000006';
SELECT * FROM sales_kpi.sync_salesforce('sf');
SELECT source_key, rule FROM sales_kpi.quarantine;

-- A row the connector commits late, its _fivetran_synced older than rows a
-- sync already read: read if at most sales_kpi.sync_lookback late (times
-- here are relative to now, as the connector writes them).
CREATE SCHEMA sflate;
CREATE TABLE sflate."user" (LIKE sf."user");
CREATE TABLE sflate.opportunity (LIKE sf.opportunity);
INSERT INTO sflate."user" VALUES ('005A00000000000001', 'Ann Lee');
INSERT INTO sflate.opportunity VALUES ('006L00000000000001', '005A00000000000001', NULL, 'Discovery', 1,
    '2026-03-01', '2026-05-01', false, false, false, now() - interval '1 minute');
SELECT model_table, inserted FROM sales_kpi.sync_salesforce('sflate') WHERE model_table = 'deals';
INSERT INTO sflate.opportunity VALUES ('006L00000000000002', '005A00000000000001', NULL, 'Discovery', 1,
    '2026-03-01', '2026-05-01', false, false, false, now() - interval '5 minutes');
SELECT model_table, inserted FROM sales_kpi.sync_salesforce('sflate') WHERE model_table = 'deals';
-- With no lookback, a late row is missed ...
SET sales_kpi.sync_lookback = 0;
INSERT INTO sflate.opportunity VALUES ('006L00000000000003', '005A00000000000001', NULL, 'Discovery', 1,
    '2026-03-01', '2026-05-01', false, false, false, now() - interval '3 minutes');
SELECT model_table, inserted FROM sales_kpi.sync_salesforce('sflate') WHERE model_table = 'deals';
-- ... until a sync with the lookback reads again what was synced since.
RESET sales_kpi.sync_lookback;
SELECT model_table, inserted FROM sales_kpi.sync_salesforce('sflate') WHERE model_table = 'deals';
SET sales_kpi.sync_lookback = '8 days';
SET sales_kpi.sync_lookback = -1;
RESET sales_kpi.sync_lookback;
DROP SCHEMA sflate CASCADE;
DELETE FROM sales_kpi.deals WHERE deal_id LIKE '006L%';
DELETE FROM sales_kpi.deal_history WHERE deal_id LIKE '006L%';
DELETE FROM sales_kpi.sync_state WHERE source_schema = 'sflate';

-- A minimal HubSpot schema: two pipelines, outcome from the stages' flags.
CREATE SCHEMA hs;
CREATE TABLE hs.owner (owner_id bigint, email text, first_name text, last_name text);
CREATE TABLE hs.deal_pipeline (pipeline_id text);
CREATE TABLE hs.deal_pipeline_stage (stage_id text, label text, pipeline_id text, closed_won boolean, is_closed boolean,
                                     probability numeric, display_order integer);
CREATE TABLE hs.deal (deal_id bigint, is_deleted boolean, deal_pipeline_id text, deal_pipeline_stage_id text,
                      owner_id bigint, property_amount numeric, property_createdate timestamptz,
                      property_closedate timestamptz, _fivetran_synced timestamptz);
INSERT INTO hs.owner VALUES (30000001, 'cy@example.com', 'Cy', 'Ng'), (30000002, 'dee@example.com', NULL, NULL);
INSERT INTO hs.deal_pipeline VALUES ('default'), ('renewals');
INSERT INTO hs.deal_pipeline_stage VALUES
  ('appointmentscheduled', 'Appointment', 'default', false, false, 0.2, 1),
  ('closedwon', 'Closed won', 'default', true, true, 1, 2),
  ('closedlost', 'Closed lost', 'default', false, true, 0, 3),
  ('101', 'Renewal due', 'renewals', false, false, 0.8, 1),
  ('102', 'Renewed', 'renewals', true, true, 1, 2);
INSERT INTO hs.deal VALUES
  (9000000001, false, 'default', 'closedwon', 30000001, 100, '2026-03-02 10:00+00', '2026-03-02 09:00+00', '2026-03-10'),
  (9000000002, false, 'renewals', '102', 30000002, 200, '2026-03-01 10:00+00', '2026-03-06 16:00+00', '2026-03-10'),
  (9000000003, false, 'renewals', 'closedwon', 30000002, 300, '2026-03-01 10:00+00', NULL, '2026-03-10');
SELECT * FROM sales_kpi.sync_hubspot('hs');
SELECT deal_id, rep_id, pipeline, stage, created_at, closed_at FROM sales_kpi.deals WHERE deal_id LIKE '9%' ORDER BY 1;
SELECT pipeline, name, label, pipeline_order, default_probability, is_closed, is_won FROM sales_kpi.stages
WHERE pipeline IS NOT NULL ORDER BY 1, 4;
SELECT source_key, rule FROM sales_kpi.quarantine WHERE source = 'hubspot';
SELECT rep_id, name FROM sales_kpi.reps WHERE rep_id LIKE '3%' ORDER BY 1;

-- A multi-currency Salesforce org: each deal's currency_iso_code and
-- loss_reason, and its dated exchange rates (units per corporate unit:
-- 0.8 EUR per USD is 1.25 USD per EUR).  A malformed currency code is a
-- dirty deal; a currency with a dirty rate keeps the model's rates.
CREATE SCHEMA sfmc;
CREATE TABLE sfmc."user" (id text, name text);
CREATE TABLE sfmc.opportunity (id text, owner_id text, account_id text, stage_name text, amount numeric, created_date timestamptz,
                               close_date date, is_closed boolean, is_won boolean, is_deleted boolean,
                               currency_iso_code text, loss_reason text, _fivetran_synced timestamptz);
CREATE TABLE sfmc.dated_conversion_rate (id text, iso_code text, start_date date, next_start_date date,
                                         conversion_rate numeric, _fivetran_synced timestamptz);
INSERT INTO sfmc."user" VALUES ('005M00000000000001', 'Mo Ito');
INSERT INTO sfmc.opportunity VALUES
  ('006M00000000000001', '005M00000000000001', NULL, 'Closed Won', 1000, '2026-02-01', '2026-02-10', true, true, false,
   'eur', NULL, '2026-03-10'),
  ('006M00000000000002', '005M00000000000001', NULL, 'Closed Lost', 500, '2026-02-01', '2026-02-12', true, false, false,
   'GBP', ' Price ', '2026-03-10'),
  ('006M00000000000003', '005M00000000000001', NULL, 'Prospecting', 70, '2026-02-01', '2026-04-01', false, false, false,
   NULL, NULL, '2026-03-10'),
  ('006M00000000000004', '005M00000000000001', NULL, 'Prospecting', 70, '2026-02-01', '2026-04-01', false, false, false,
   'EURO', NULL, '2026-03-10');
INSERT INTO sfmc.dated_conversion_rate VALUES
  ('04w1', 'EUR', '2026-01-01', '2026-03-01', 0.8, '2026-03-10'),
  ('04w2', 'EUR', '2026-03-01', NULL, 0.9, '2026-03-10'),
  ('04w3', 'GBP', '2026-01-01', NULL, 0.75, '2026-03-10'),
  ('04w4', 'JPY', '2026-01-01', '2026-02-01', 150, '2026-03-10'),
  ('04w5', 'JPY', '2026-01-15', NULL, 151, '2026-03-10');   -- overlaps the one before
INSERT INTO sales_kpi.exchange_rates VALUES ('JPY', '[2020-01-01,)', 0.0066);
SELECT * FROM sales_kpi.sync_salesforce('sfmc') WHERE model_table IN ('deals', 'exchange_rates');
SELECT deal_id, stage, amount, currency, lost_reason FROM sales_kpi.deals WHERE deal_id LIKE '006M%' ORDER BY 1;
SELECT currency, valid, rate FROM sales_kpi.exchange_rates ORDER BY 1, 2;
SELECT source_table, source_key, rule FROM sales_kpi.quarantine WHERE source_schema = 'sfmc' ORDER BY 1, 2;
-- The won deal counts 1000 / 0.8 = 1250 corporate units.
SET sales_kpi.as_of = '2026-03-05';
SELECT deal_id, deal_amount, amount FROM sales_kpi.deal_state WHERE deal_id LIKE '006M%' ORDER BY 1;
RESET sales_kpi.as_of;
DROP SCHEMA sfmc CASCADE;
DELETE FROM sales_kpi.deals WHERE deal_id LIKE '006M%';
DELETE FROM sales_kpi.deal_history WHERE deal_id LIKE '006M%';
DELETE FROM sales_kpi.exchange_rates;
DELETE FROM sales_kpi.quarantine WHERE source_schema = 'sfmc';

-- Manager links that go round in a circle in the CRM (Ka -> Li -> Ka) would
-- make a rep their own manager: those links are left unset, with a warning,
-- and the rest loads (Mi keeps Ka as manager).
CREATE SCHEMA sfmg;
CREATE TABLE sfmg."user" (id text, name text, manager_id text);
CREATE TABLE sfmg.opportunity (id text, owner_id text, account_id text, stage_name text, amount numeric,
                               created_date timestamptz, close_date date, is_closed boolean, is_won boolean,
                               is_deleted boolean, _fivetran_synced timestamptz);
INSERT INTO sfmg."user" VALUES ('005G1', 'Ka', '005G2'), ('005G2', 'Li', '005G1'), ('005G3', 'Mi', '005G1');
SELECT * FROM sales_kpi.sync_salesforce('sfmg') WHERE model_table = 'reps';
SELECT rep_id, name, manager_id FROM sales_kpi.reps WHERE rep_id LIKE '005G%' ORDER BY 1;
-- corrected in the CRM, the next sync loads them
UPDATE sfmg."user" SET manager_id = NULL WHERE id = '005G1';
SELECT * FROM sales_kpi.sync_salesforce('sfmg') WHERE model_table = 'reps';
SELECT rep_id, name, manager_id FROM sales_kpi.reps WHERE rep_id LIKE '005G%' ORDER BY 1;
DROP SCHEMA sfmg CASCADE;
DELETE FROM sales_kpi.reps WHERE rep_id LIKE '005G%' AND manager_id IS NOT NULL;
DELETE FROM sales_kpi.reps WHERE rep_id LIKE '005G%';
DELETE FROM sales_kpi.sync_state WHERE source_schema = 'sfmg';

-- HubSpot: deal_currency_code and closed_lost_reason, current and in the
-- property history (the reason given when the deal was lost, then edited).
CREATE SCHEMA hsmc;
CREATE TABLE hsmc.owner (LIKE hs.owner);
CREATE TABLE hsmc.deal_pipeline (LIKE hs.deal_pipeline);
CREATE TABLE hsmc.deal_pipeline_stage (LIKE hs.deal_pipeline_stage);
CREATE TABLE hsmc.deal (LIKE hs.deal);
ALTER TABLE hsmc.deal ADD COLUMN property_deal_currency_code text, ADD COLUMN property_closed_lost_reason text;
CREATE TABLE hsmc.deal_property_history (deal_id bigint, "timestamp" timestamptz, name text, value text);
INSERT INTO hsmc.owner SELECT * FROM hs.owner;
INSERT INTO hsmc.deal_pipeline SELECT * FROM hs.deal_pipeline;
INSERT INTO hsmc.deal_pipeline_stage SELECT * FROM hs.deal_pipeline_stage;
INSERT INTO hsmc.deal VALUES
  (9100000001, false, 'default', 'closedlost', 30000001, 100, '2026-03-02 10:00+00', '2026-03-04 09:00+00', '2026-03-10',
   'EUR', 'Went with a competitor');
INSERT INTO hsmc.deal_property_history VALUES
  (9100000001, '2026-03-02 10:00+00', 'dealstage', 'appointmentscheduled'),
  (9100000001, '2026-03-02 10:00+00', 'deal_currency_code', 'eur'),
  (9100000001, '2026-03-04 09:00+00', 'dealstage', 'closedlost'),
  (9100000001, '2026-03-04 09:00+00', 'closed_lost_reason', 'Budget'),
  (9100000001, '2026-03-05 09:00+00', 'closed_lost_reason', 'Went with a competitor');
SELECT * FROM sales_kpi.sync_hubspot('hsmc') WHERE model_table = 'deals';
SELECT deal_id, stage, currency, lost_reason FROM sales_kpi.deals WHERE deal_id LIKE '91%';
SELECT lower(valid) AS since, stage, currency, lost_reason FROM sales_kpi.deal_history WHERE deal_id LIKE '91%' ORDER BY 1;
DROP SCHEMA hsmc CASCADE;

-- Security: the syncs run as the extension's owner, with a fixed search
-- path, and nobody else may run them (or their parts) unless granted.
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer,
       array_to_string(p.proconfig, ', ') AS settings
FROM pg_proc p WHERE p.pronamespace = 'sales_kpi'::regnamespace AND p.prosecdef ORDER BY p.proname;
SELECT count(*) AS functions_without_search_path FROM pg_proc p
WHERE p.pronamespace = 'sales_kpi'::regnamespace AND p.proname LIKE '%sync%' AND p.prolang <> 13
  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');
CREATE ROLE regress_sync_outsider;
SELECT p.oid::regprocedure AS executable_by_anyone
FROM pg_proc p WHERE p.pronamespace = 'sales_kpi'::regnamespace AND p.proname LIKE '%sync%'
  AND has_function_privilege('regress_sync_outsider', p.oid, 'EXECUTE') ORDER BY p.oid::regprocedure::text;
SET ROLE regress_sync_outsider;
SELECT * FROM sales_kpi.sync_salesforce('sf');
SELECT count(*) FROM sales_kpi.quarantine;
RESET ROLE;
DROP ROLE regress_sync_outsider;

-- Clean up.
DROP SCHEMA sf CASCADE;
DROP SCHEMA hs CASCADE;
TRUNCATE sales_kpi.deals CASCADE;
TRUNCATE sales_kpi.deal_history, sales_kpi.customers, sales_kpi.reps, sales_kpi.sync_state, sales_kpi.quarantine CASCADE;
DELETE FROM sales_kpi.stages;
