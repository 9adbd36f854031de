-- Changes a share (:fraction) of a Fivetran Salesforce schema :schema as the
-- connector would land a day's edits, all synced at :synced (History Mode:
-- the active version of a changed opportunity ends, the next begins):
-- amounts, stages (closing with the stage's own flags, reopening), owners,
-- pushed close dates, deletions, new opportunities; tasks completed and
-- new ones; a user and an account renamed.  Random with the seed :seed.
--
--   psql -v schema=sf -v synced='2026-07-02 06:00+00' -v seed=0.3 -v fraction=0.01 -f mutate_salesforce.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;
SELECT setseed(:seed) \gset

CREATE TEMP TABLE stages ON COMMIT DROP AS
SELECT api_name AS stage, sort_order, is_closed, is_won FROM :"schema".opportunity_stage;
CREATE TEMP TABLE users ON COMMIT DROP AS
SELECT id, row_number() OVER (ORDER BY id) AS n FROM :"schema"."user";

-- The opportunities to change, and how: each change happens a little
-- before :synced, after anything the schema already holds.
CREATE TEMP TABLE picked ON COMMIT DROP AS
SELECT o.id, o.stage_name, o.amount, o.close_date, o.owner_id, o.created_date,
       (ARRAY['amount', 'amount', 'stage', 'stage', 'stage', 'owner', 'close_date', 'close_date', 'delete'])
         [1 + floor(random() * 9)::int] AS change,
       timestamptz :'synced' - random() * interval '50 minutes' AS at,
       random() AS roll
FROM :"schema".opportunity o
-- (not the dirty rows the test corrects: check_dirty.sql counts them loaded)
WHERE NOT o.is_deleted AND random() < :fraction AND o.id NOT LIKE '006DIRTY%';

CREATE TEMP TABLE changed ON COMMIT DROP AS
SELECT p.id, p.at, p.change,
       CASE WHEN p.change = 'amount' THEN round(coalesce(p.amount, 1000) * (0.5 + p.roll)::numeric, 2) ELSE p.amount END AS amount,
       CASE WHEN p.change = 'stage' THEN
                 coalesce((SELECT s.stage FROM stages s, stages c
                           WHERE c.stage = p.stage_name AND s.sort_order > c.sort_order AND NOT c.is_closed
                           ORDER BY s.sort_order LIMIT 1),
                          -- a closed deal is reopened into the first open stage
                          (SELECT s.stage FROM stages s WHERE NOT s.is_closed ORDER BY s.sort_order LIMIT 1))
            ELSE p.stage_name END AS stage_name,
       CASE WHEN p.change = 'owner'
            THEN (SELECT u.id FROM users u WHERE u.n = 1 + floor(p.roll * (SELECT count(*) FROM users))::int)
            ELSE p.owner_id END AS owner_id,
       CASE WHEN p.change = 'close_date' THEN greatest(p.close_date, (p.at AT TIME ZONE 'UTC')::date) + 14
            ELSE p.close_date END AS close_date
FROM picked p;
-- A deal that closes now closes today.
UPDATE changed c SET close_date = (c.at AT TIME ZONE 'UTC')::date
FROM stages s WHERE s.stage = c.stage_name AND s.is_closed AND c.change = 'stage';

-- New opportunities, open, created just now.
CREATE TEMP TABLE added ON COMMIT DROP AS
SELECT '006N' || lpad((extract(epoch FROM timestamptz :'synced')::bigint % 100000)::text, 5, '0')
         || lpad(g::text, 9, '0') AS id,
       timestamptz :'synced' - random() * interval '50 minutes' AS at,
       (SELECT u.id FROM users u WHERE u.n = 1 + floor(r.pick * (SELECT count(*) FROM users))::int) AS owner_id,
       (SELECT a.id FROM :"schema".account a ORDER BY a.id OFFSET floor(random() * 50 + 0 * g)::int LIMIT 1) AS account_id,
       round((500 + random() * 20000)::numeric, 2) AS amount
FROM generate_series(1, greatest(1, (SELECT count(*) FROM picked) / 5)::int) AS g
CROSS JOIN LATERAL (SELECT random() + 0 * g AS pick) AS r;

-- History Mode: the active versions of the changed deals end, the next begin.
UPDATE :"schema".opportunity_history h
SET _fivetran_end = c.at - interval '1 millisecond', _fivetran_active = false, _fivetran_synced = :'synced'
FROM changed c WHERE h.id = c.id AND h._fivetran_active;
INSERT INTO :"schema".opportunity_history (id, _fivetran_start, _fivetran_end, _fivetran_active, _fivetran_synced,
                                           owner_id, account_id, name, stage_name, amount, probability,
                                           forecast_category, forecast_category_name, close_date, created_date,
                                           is_closed, is_won, is_deleted, type, currency_iso_code, loss_reason)
SELECT o.id, c.at, timestamptz '9999-12-31 23:59:59+00', true, :'synced', c.owner_id, o.account_id, o.name,
       c.stage_name, c.amount, o.probability,
       CASE WHEN c.stage_name <> o.stage_name THEN
            CASE WHEN s.is_won THEN 'Closed' WHEN s.is_closed THEN 'Omitted' ELSE 'Pipeline' END
            ELSE o.forecast_category END,
       o.forecast_category_name, c.close_date, o.created_date, s.is_closed, s.is_won, c.change = 'delete', o.type,
       o.currency_iso_code,
       -- a deal lost now gives a reason; a reopened one has none
       CASE WHEN s.is_closed AND NOT s.is_won THEN coalesce(o.loss_reason, 'No decision') END
FROM changed c JOIN :"schema".opportunity o ON o.id = c.id JOIN stages s ON s.stage = c.stage_name;
INSERT INTO :"schema".opportunity_history (id, _fivetran_start, _fivetran_end, _fivetran_active, _fivetran_synced,
                                           owner_id, account_id, name, stage_name, amount, close_date, created_date,
                                           forecast_category, is_closed, is_won, is_deleted, type)
SELECT a.id, a.at, timestamptz '9999-12-31 23:59:59+00', true, :'synced', a.owner_id, a.account_id,
       'New deal ' || a.id, s.stage, a.amount, (a.at AT TIME ZONE 'UTC')::date + 30, a.at, 'Pipeline', false, false,
       false, 'New Business'
FROM added a, (SELECT stage FROM stages WHERE NOT is_closed ORDER BY sort_order LIMIT 1) s;

-- The current rows follow their active version.
UPDATE :"schema".opportunity o
SET owner_id = h.owner_id, stage_name = h.stage_name, amount = h.amount, close_date = h.close_date,
    forecast_category = h.forecast_category, is_closed = h.is_closed, is_won = h.is_won, is_deleted = h.is_deleted,
    currency_iso_code = h.currency_iso_code, loss_reason = h.loss_reason, _fivetran_synced = :'synced'
FROM :"schema".opportunity_history h
WHERE h.id = o.id AND h._fivetran_active AND o.id IN (SELECT id FROM changed);
INSERT INTO :"schema".opportunity (id, _fivetran_synced, _fivetran_active, owner_id, account_id, name, stage_name,
                                   amount, close_date, created_date, forecast_category, is_closed, is_won, is_deleted, type)
SELECT h.id, :'synced', true, h.owner_id, h.account_id, h.name, h.stage_name, h.amount, h.close_date, h.created_date,
       h.forecast_category, h.is_closed, h.is_won, h.is_deleted, h.type
FROM :"schema".opportunity_history h WHERE h.id IN (SELECT id FROM added);

-- Tasks: some open ones completed, some new ones on changed deals.
UPDATE :"schema".task t
SET completed_date_time = timestamptz :'synced' - interval '5 minutes', is_closed = true, status = 'Completed',
    _fivetran_synced = :'synced'
WHERE NOT t.is_closed AND t.created_date < timestamptz :'synced' - interval '1 hour' AND random() < :fraction * 5;
INSERT INTO :"schema".task (id, owner_id, what_id, subject, created_date, activity_date, is_closed, status,
                            task_subtype, is_deleted, _fivetran_synced, _fivetran_active)
SELECT '00TN' || substring(c.id FROM 5), c.owner_id, c.id, 'Follow up', c.at, (c.at AT TIME ZONE 'UTC')::date + 3,
       false, 'Not Started', 'Task', false, :'synced', true
FROM changed c WHERE c.change <> 'delete' AND c.owner_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM :"schema".task t WHERE t.id = '00TN' || substring(c.id FROM 5));

-- A user and an account renamed.
UPDATE :"schema"."user" u SET name = u.name || ' (renamed)', _fivetran_synced = :'synced'
WHERE u.id = (SELECT id FROM users ORDER BY n OFFSET floor(random() * (SELECT count(*) FROM users))::int LIMIT 1);
UPDATE :"schema".account a SET name = a.name || ' Ltd', _fivetran_synced = :'synced'
WHERE a.id = (SELECT a2.id FROM :"schema".account a2 ORDER BY a2.id OFFSET floor(random() * 50)::int LIMIT 1);

COMMIT;
