-- Dirty rows in a Fivetran Salesforce schema :schema, synced at :synced.
-- With -v phase=dirty it lands rows that break the model's rules, and one
-- that looks dirty but is not (a deal won on the day it was created); with
-- -v phase=clean the connector brings the corrected rows.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;
SELECT min(id) AS owner, min(id) FILTER (WHERE id > (SELECT min(id) FROM :"schema"."user")) AS other
FROM :"schema"."user" \gset
SELECT min(id) AS account FROM :"schema".account \gset

\if :{?phase}
\else
\set phase dirty
\endif
SELECT :'phase' = 'dirty' AS dirty \gset
\if :dirty
INSERT INTO :"schema".opportunity (id, _fivetran_synced, _fivetran_active, owner_id, account_id, name, stage_name,
                                   amount, probability, close_date, created_date, is_closed, is_won, is_deleted)
VALUES
  -- closed the day before it was created
  ('006DIRTY0000000001', :'synced', true, :'owner', :'account', 'Closed early', 'Closed Won', 100, NULL,
   '2026-06-30', '2026-07-01 15:00+00', true, true, false),
  ('006DIRTY0000000002', :'synced', true, :'owner', :'account', 'Negative', 'Prospecting', -5, NULL,
   '2026-08-01', '2026-07-01 09:00+00', false, false, false),
  ('006DIRTY0000000003', :'synced', true, '005NOSUCHUSER00001', :'account', 'Nobody''s', 'Prospecting', 10, NULL,
   '2026-08-01', '2026-07-01 09:00+00', false, false, false),
  ('006DIRTY0000000004', :'synced', true, :'owner', :'account', 'Won, open', 'Negotiation', 10, NULL,
   '2026-08-01', '2026-07-01 09:00+00', false, true, false),
  ('006DIRTY0000000005', :'synced', true, :'owner', :'account', 'Sure thing', 'Negotiation', 10, 1000,
   '2026-08-01', '2026-07-01 09:00+00', false, false, false),
  -- won on the day it was created: not dirty, it closes when it was created
  ('006DIRTY0000000006', :'synced', true, :'owner', :'account', 'Same day', 'Closed Won', 700, NULL,
   '2026-07-01', '2026-07-01 15:00+00', true, true, false),
  -- a flag the other deals of its stage do not carry
  ('006DIRTY0000000008', :'synced', true, :'owner', :'account', 'Odd flags', 'Prospecting', 10, NULL,
   '2026-08-01', '2026-07-01 09:00+00', true, false, false);
-- a deal whose past holds a version with a negative amount
INSERT INTO :"schema".opportunity (id, _fivetran_synced, _fivetran_active, owner_id, account_id, name, stage_name,
                                   amount, close_date, created_date, is_closed, is_won, is_deleted)
VALUES ('006DIRTY0000000007', :'synced', true, :'owner', :'account', 'Bad past', 'Proposal', 50, '2026-08-01',
        '2026-06-01 09:00+00', false, false, false);
INSERT INTO :"schema".opportunity_history (id, _fivetran_start, _fivetran_end, _fivetran_active, _fivetran_synced,
                                           owner_id, account_id, name, stage_name, amount, close_date, created_date,
                                           is_closed, is_won, is_deleted)
VALUES ('006DIRTY0000000007', '2026-06-01 09:00+00', '2026-06-10 09:00+00', false, :'synced', :'owner', :'account',
        'Bad past', 'Prospecting', -1, '2026-08-01', '2026-06-01 09:00+00', false, false, false),
       ('006DIRTY0000000007', '2026-06-10 09:00:00.001+00', '9999-12-31 23:59:59+00', true, :'synced', :'owner',
        :'account', 'Bad past', 'Proposal', 50, '2026-08-01', '2026-06-01 09:00+00', false, false, false);
INSERT INTO :"schema".task (id, owner_id, subject, created_date, completed_date_time, is_closed, task_subtype,
                            is_deleted, _fivetran_synced, _fivetran_active)
VALUES ('00TDIRTY0000000001', '005NOSUCHUSER00001', 'Ghost call', '2026-07-01 10:00+00', '2026-07-01 10:00+00',
        true, 'Call', false, :'synced', true),
       ('00TDIRTY0000000002', :'owner', 'Done before asked', '2026-07-01 10:00+00', '2026-06-01 10:00+00',
        true, 'Task', false, :'synced', true);
INSERT INTO :"schema".lead (id, owner_id, name, status, created_date, is_converted, converted_date, is_deleted,
                            _fivetran_synced, _fivetran_active)
VALUES ('00QDIRTY0000000001', :'owner', 'Early bird', 'Converted', '2026-07-01 10:00+00', true, '2026-06-01', false,
        :'synced', true);
\else
UPDATE :"schema".opportunity SET close_date = '2026-07-02', _fivetran_synced = :'synced' WHERE id = '006DIRTY0000000001';
UPDATE :"schema".opportunity SET amount = 5, _fivetran_synced = :'synced' WHERE id = '006DIRTY0000000002';
UPDATE :"schema".opportunity SET owner_id = :'other', _fivetran_synced = :'synced' WHERE id = '006DIRTY0000000003';
UPDATE :"schema".opportunity SET is_won = false, _fivetran_synced = :'synced' WHERE id = '006DIRTY0000000004';
UPDATE :"schema".opportunity SET probability = 75, _fivetran_synced = :'synced' WHERE id = '006DIRTY0000000005';
UPDATE :"schema".opportunity SET is_closed = false, _fivetran_synced = :'synced' WHERE id = '006DIRTY0000000008';
UPDATE :"schema".opportunity_history SET amount = 1, _fivetran_synced = :'synced'
WHERE id = '006DIRTY0000000007' AND amount < 0;
UPDATE :"schema".task SET owner_id = :'owner', _fivetran_synced = :'synced' WHERE id = '00TDIRTY0000000001';
UPDATE :"schema".task SET completed_date_time = '2026-07-01 11:00+00', _fivetran_synced = :'synced'
WHERE id = '00TDIRTY0000000002';
UPDATE :"schema".lead SET converted_date = '2026-07-02', _fivetran_synced = :'synced' WHERE id = '00QDIRTY0000000001';
\endif
COMMIT;
