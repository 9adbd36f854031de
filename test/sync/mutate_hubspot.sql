-- Changes a share (:fraction) of a Fivetran HubSpot schema :schema as the
-- connector would land a day's edits, all synced at :synced: each change
-- is a row of deal_property_history and the deal's current row:
-- amounts, stages (within the deal's pipeline), owners, close dates, a
-- move to the other pipeline, deletions, new deals; tasks completed; an
-- owner and a company renamed; new tasks.  Random with the seed :seed.
--
--   psql -v schema=hs -v synced='2026-07-02 06:00+00' -v seed=0.3 -v fraction=0.01 -f mutate_hubspot.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;
SELECT setseed(:seed) \gset

CREATE TEMP TABLE stages ON COMMIT DROP AS
SELECT pipeline_id AS pipeline, stage_id AS stage, display_order, is_closed, closed_won FROM :"schema".deal_pipeline_stage;
CREATE TEMP TABLE owners ON COMMIT DROP AS
SELECT owner_id, row_number() OVER (ORDER BY owner_id) AS n FROM :"schema".owner;

CREATE TEMP TABLE picked ON COMMIT DROP AS
SELECT d.deal_id, d.deal_pipeline_id, d.deal_pipeline_stage_id, d.property_amount, d.property_closedate, d.owner_id,
       (ARRAY['amount', 'amount', 'stage', 'stage', 'stage', 'owner', 'close_date', 'pipeline', 'delete'])
         [1 + floor(random() * 9)::int] AS change,
       timestamptz :'synced' - random() * interval '50 minutes' AS at,
       random() AS roll
FROM :"schema".deal d
-- (not the dirty rows the test corrects: check_dirty.sql counts them loaded)
WHERE NOT d.is_deleted AND random() < :fraction AND d.deal_id NOT BETWEEN 9700000000 AND 9700000099;

CREATE TEMP TABLE changed ON COMMIT DROP AS
SELECT p.deal_id, p.at, p.change,
       CASE WHEN p.change = 'pipeline'
            THEN (SELECT min(s.pipeline) FROM stages s WHERE s.pipeline <> p.deal_pipeline_id)
            ELSE p.deal_pipeline_id END AS pipeline,
       CASE WHEN p.change = 'amount' THEN round(coalesce(p.property_amount, 1000) * (0.5 + p.roll)::numeric, 2)
            ELSE p.property_amount END AS amount,
       CASE WHEN p.change = 'stage' THEN
                 coalesce((SELECT s.stage FROM stages s, stages c
                           WHERE c.pipeline = p.deal_pipeline_id AND c.stage = p.deal_pipeline_stage_id
                             AND s.pipeline = c.pipeline AND s.display_order > c.display_order AND NOT c.is_closed
                           ORDER BY s.display_order LIMIT 1),
                          (SELECT s.stage FROM stages s WHERE s.pipeline = p.deal_pipeline_id AND NOT s.is_closed
                           ORDER BY s.display_order LIMIT 1))
            WHEN p.change = 'pipeline' THEN
                 (SELECT s.stage FROM stages s
                  WHERE s.pipeline = (SELECT min(x.pipeline) FROM stages x WHERE x.pipeline <> p.deal_pipeline_id)
                    AND NOT s.is_closed ORDER BY s.display_order LIMIT 1)
            ELSE p.deal_pipeline_stage_id END AS stage,
       CASE WHEN p.change = 'owner'
            THEN (SELECT o.owner_id FROM owners o WHERE o.n = 1 + floor(p.roll * (SELECT count(*) FROM owners))::int)
            ELSE p.owner_id END AS owner_id,
       CASE WHEN p.change = 'close_date'
            THEN date_trunc('day', greatest(p.property_closedate, p.at)) + interval '14 days'
            ELSE p.property_closedate END AS closedate
FROM picked p;
UPDATE changed c SET closedate = date_trunc('day', c.at)
FROM stages s WHERE s.pipeline = c.pipeline AND s.stage = c.stage AND s.is_closed AND c.change = 'stage';

CREATE TEMP TABLE added ON COMMIT DROP AS
SELECT 9800000000 + (extract(epoch FROM timestamptz :'synced')::bigint % 100000) * 10000 + g AS deal_id,
       timestamptz :'synced' - random() * interval '50 minutes' AS at,
       (SELECT o.owner_id FROM owners o WHERE o.n = 1 + floor(r.pick * (SELECT count(*) FROM owners))::int) AS owner_id,
       (SELECT c.id FROM :"schema".company c ORDER BY c.id OFFSET floor(random() * 50 + 0 * g)::int LIMIT 1) AS company_id,
       round((500 + random() * 20000)::numeric, 2) AS amount,
       CASE WHEN random() < 0.7 THEN 'default' ELSE (SELECT max(pipeline) FROM stages) END AS pipeline
FROM generate_series(1, greatest(1, (SELECT count(*) FROM picked) / 5)::int) AS g
CROSS JOIN LATERAL (SELECT random() + 0 * g AS pick) AS r;

-- Property history: one row per property each change set.
INSERT INTO :"schema".deal_property_history (deal_id, timestamp, _fivetran_synced, source, name, value)
SELECT c.deal_id, c.at, :'synced', 'CRM_UI', p.name, p.value
FROM changed c
CROSS JOIN LATERAL (VALUES
    ('amount', c.amount::text, c.change = 'amount'),
    ('dealstage', c.stage, c.change IN ('stage', 'pipeline')),
    ('pipeline', c.pipeline, c.change = 'pipeline'),
    ('hubspot_owner_id', c.owner_id::text, c.change = 'owner'),
    ('closedate', to_char(c.closedate, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), c.change IN ('close_date', 'stage')))
    AS p(name, value, set)
WHERE p.set;
INSERT INTO :"schema".deal_property_history (deal_id, timestamp, _fivetran_synced, source, name, value)
SELECT a.deal_id, a.at, :'synced', 'CRM_UI', p.name, p.value
FROM added a
CROSS JOIN LATERAL (SELECT s.stage FROM stages s WHERE s.pipeline = a.pipeline AND NOT s.is_closed
                    ORDER BY s.display_order LIMIT 1) s
CROSS JOIN LATERAL (VALUES ('amount', a.amount::text), ('dealstage', s.stage), ('pipeline', a.pipeline),
                           ('hubspot_owner_id', a.owner_id::text), ('dealname', 'New deal ' || a.deal_id),
                           ('closedate', ((extract(epoch FROM a.at) + 30 * 86400) * 1000)::bigint::text))
    AS p(name, value);

-- The current rows.
UPDATE :"schema".deal d
SET deal_pipeline_id = c.pipeline, deal_pipeline_stage_id = c.stage, property_amount = c.amount, owner_id = c.owner_id,
    property_closedate = c.closedate, is_deleted = c.change = 'delete', _fivetran_synced = :'synced'
FROM changed c WHERE d.deal_id = c.deal_id;
INSERT INTO :"schema".deal (deal_id, is_deleted, deal_pipeline_id, deal_pipeline_stage_id, owner_id, property_dealname,
                            property_amount, property_closedate, property_createdate, _fivetran_synced)
SELECT a.deal_id, false, a.pipeline, s.stage, a.owner_id, 'New deal ' || a.deal_id, a.amount,
       to_timestamp(((extract(epoch FROM a.at) + 30 * 86400) * 1000)::bigint / 1000.0), a.at, :'synced'
FROM added a
CROSS JOIN LATERAL (SELECT s.stage FROM stages s WHERE s.pipeline = a.pipeline AND NOT s.is_closed
                    ORDER BY s.display_order LIMIT 1) s;
INSERT INTO :"schema".deal_company (deal_id, company_id, type_id, category, _fivetran_synced)
SELECT a.deal_id, a.company_id, 5, 'HUBSPOT_DEFINED', :'synced' FROM added a;

-- Tasks: some open ones completed.
UPDATE :"schema".engagement_task t
SET property_hs_task_status = 'COMPLETED', property_hs_task_completion_date = timestamptz :'synced' - interval '5 minutes',
    _fivetran_synced = :'synced'
WHERE t.property_hs_task_status <> 'COMPLETED' AND t.property_hs_createdate < timestamptz :'synced' - interval '1 hour'
  AND random() < :fraction * 5;

-- New tasks on the changed deals.
INSERT INTO :"schema".engagement (id, type, _fivetran_synced)
SELECT c.deal_id * 100 + extract(day FROM timestamptz :'synced')::int, 'TASK', :'synced' FROM changed c WHERE c.change <> 'delete';
INSERT INTO :"schema".engagement_deal (deal_id, engagement_id, engagement_type, _fivetran_synced)
SELECT c.deal_id, c.deal_id * 100 + extract(day FROM timestamptz :'synced')::int, 'TASK', :'synced' FROM changed c WHERE c.change <> 'delete';
INSERT INTO :"schema".engagement_task (engagement_id, _fivetran_deleted, _fivetran_synced, property_hs_createdate,
                                       property_hs_timestamp, type, property_hubspot_owner_id, property_hs_task_subject,
                                       property_hs_task_status)
SELECT c.deal_id * 100 + extract(day FROM timestamptz :'synced')::int, false, :'synced', c.at, c.at + interval '3 days', 'TASK', c.owner_id, 'Follow up',
       'NOT_STARTED'
FROM changed c WHERE c.change <> 'delete';

-- An owner and a company renamed.
UPDATE :"schema".owner o SET last_name = o.last_name || '-Smith', _fivetran_synced = :'synced'
WHERE o.owner_id = (SELECT owner_id FROM owners ORDER BY n OFFSET floor(random() * (SELECT count(*) FROM owners))::int LIMIT 1);
UPDATE :"schema".company c SET property_name = c.property_name || ' Inc', _fivetran_synced = :'synced'
WHERE c.id = (SELECT c2.id FROM :"schema".company c2 ORDER BY c2.id OFFSET floor(random() * 50)::int LIMIT 1);

COMMIT;
