--
-- The history of the deals (sales_kpi.deal_history): kept by plain DML on
-- sales_kpi.deals, loaded directly when it already exists, checked, and read
-- as of past days for every field.  Times written by the triggers are the
-- transaction's start, so they are shown as comparisons with now().
--
INSERT INTO sales_kpi.stages (name, pipeline_order, default_probability, is_closed, is_won, stalled_after_days) VALUES
  ('Prospecting', 1, 0.1, false, false, 30), ('Proposal', 2, 0.5, false, false, 10),
  ('Closed Won', 3, 1, true, true, NULL), ('Closed Lost', 4, 0, true, false, NULL);
INSERT INTO sales_kpi.reps (rep_id, name, team, hired_on) VALUES
  ('005A00000000000001', 'Ann', 'East', '2023-01-01'), ('005A00000000000002', 'Bob', 'East', '2023-01-01');
INSERT INTO sales_kpi.customers (customer_id, name, acquired_on) VALUES ('001A00000000000001', 'Acme', '2023-01-01');

-- A new deal records nothing: its implicit version is the deal as it is,
-- valid from its created_at, in its stage since then.
INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, stage, amount, created_at)
VALUES ('006A00000000000001', '005A00000000000001', '001A00000000000001', 'Prospecting', 1000, '2024-01-10');
SELECT count(*) AS recorded_versions FROM sales_kpi.deal_history;
SELECT deal_id, valid, stage, amount, stage_entered_at, recorded FROM sales_kpi.deal_versions;

-- A change records the deal as it was (from its created_at until now) and
-- as it is now; a change of another field keeps the stage's entry time.
BEGIN;
UPDATE sales_kpi.deals SET amount = 1200 WHERE deal_id = '006A00000000000001';
SELECT stage, amount, lower(valid) = now() AS began_now, upper(valid) = now() AS ended_now,
       upper_inf(valid) AS current, stage_entered_at
FROM sales_kpi.deal_history ORDER BY lower(valid);
COMMIT;

-- Writing the same values again records nothing.
UPDATE sales_kpi.deals SET amount = 1200, name = NULL WHERE deal_id = '006A00000000000001';
SELECT count(*) AS versions FROM sales_kpi.deal_history;

-- Two changes in one transaction make one version (the second replaces the
-- first in place); a new stage is entered now.
BEGIN;
UPDATE sales_kpi.deals SET stage = 'Proposal' WHERE deal_id = '006A00000000000001';
UPDATE sales_kpi.deals SET rep_id = '005A00000000000002', probability = 0.6 WHERE deal_id = '006A00000000000001';
SELECT stage, rep_id, probability, lower(valid) = now() AS began_now, stage_entered_at = now() AS entered_now,
       upper_inf(valid) AS current
FROM sales_kpi.deal_history ORDER BY lower(valid);
COMMIT;
SELECT count(*) AS versions FROM sales_kpi.deal_history;

-- The stage history is derived from the versions.
SELECT deal_id, stage, entered_at = '2024-01-10' AS first_entry FROM sales_kpi.deal_stage_history ORDER BY entered_at;

-- A deleted deal keeps its history, ending now; inserted again (in a later
-- transaction), it starts a new version after the gap, entering its stage
-- anew.
BEGIN;
DELETE FROM sales_kpi.deals WHERE deal_id = '006A00000000000001';
SELECT count(*) AS versions, count(*) FILTER (WHERE upper_inf(valid)) AS current,
       count(*) FILTER (WHERE upper(valid) = now()) AS ended_now
FROM sales_kpi.deal_history;
COMMIT;
BEGIN;
INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, stage, amount, created_at)
VALUES ('006A00000000000001', '005A00000000000002', '001A00000000000001', 'Proposal', 1500, '2024-01-10');
SELECT stage, amount, lower(valid) = now() AS began_now, stage_entered_at = now() AS entered_anew, upper_inf(valid) AS current
FROM sales_kpi.deal_history ORDER BY lower(valid) DESC LIMIT 1;
COMMIT;
SELECT count(*) AS stage_entries FROM sales_kpi.deal_stage_history;

-- TRUNCATE ends every current version.
TRUNCATE sales_kpi.deals CASCADE;
SELECT count(*) FILTER (WHERE upper_inf(valid)) AS current_versions FROM sales_kpi.deal_history;
TRUNCATE sales_kpi.deal_history;

--
-- History that already exists is loaded directly, in any order; loaded
-- first, the deals' current rows then add nothing.  Deal 2 (Ann's, then
-- Bob's from 2024-03-01) walks the stages while its amount, close date,
-- probability, forecast category and pipeline change.
--
INSERT INTO sales_kpi.stages (pipeline, name, label, pipeline_order, default_probability, is_closed, is_won) VALUES
  ('enterprise', '4001', 'Discovery', 1, 0.2, false, false);
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, customer_id, pipeline, name, stage, amount, probability,
                                    forecast_category, close_date, created_at, closed_at)
VALUES
  ('006A00000000000002', '[2024-04-01,)', '005A00000000000002', '001A00000000000001', 'enterprise', 'Big one',
   'Closed Won', 9000, NULL, 'closed', '2024-04-01', '2024-01-15', '2024-04-01'),
  ('006A00000000000002', '[2024-01-15,2024-02-01)', '005A00000000000001', '001A00000000000001', NULL, 'Big one',
   'Prospecting', 5000, NULL, 'pipeline', '2024-03-31', '2024-01-15', NULL),
  ('006A00000000000002', '[2024-02-01,2024-03-01)', '005A00000000000001', '001A00000000000001', NULL, 'Big one',
   'Proposal', 5000, 0.4, 'best_case', '2024-04-30', '2024-01-15', NULL),
  ('006A00000000000002', '[2024-03-01,2024-03-15)', '005A00000000000002', '001A00000000000001', NULL, 'Big one',
   'Proposal', 7000, 0.6, 'commit', '2024-04-30', '2024-01-15', NULL),
  ('006A00000000000002', '[2024-03-15,2024-04-01)', '005A00000000000002', '001A00000000000001', 'enterprise', 'Big one',
   '4001', 7000, NULL, 'commit', '2024-05-15', '2024-01-15', NULL);
SELECT lower(valid) AS since, stage, stage_entered_at FROM sales_kpi.deal_history ORDER BY lower(valid);
SELECT deal_id, pipeline, stage, entered_at FROM sales_kpi.deal_stage_history ORDER BY entered_at;
INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, pipeline, name, stage, amount, forecast_category, close_date,
                             created_at, closed_at)
SELECT deal_id, rep_id, customer_id, pipeline, name, stage, amount, forecast_category, close_date, created_at, closed_at
FROM sales_kpi.deal_history WHERE upper_inf(valid);
SELECT count(*) AS versions_after_loading_the_deal FROM sales_kpi.deal_history;

-- Every field as it was at the end of each day.
CREATE FUNCTION deal_as_of(day date) RETURNS TABLE (as_of date, rep_id text, pipeline text, stage text, stage_label text,
                                                  outcome text, amount numeric, probability numeric,
                                                  forecast_category text, close_date date, stage_entered_at timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('sales_kpi.as_of', day::text, true);
    RETURN QUERY SELECT s.as_of, s.rep_id, s.pipeline, s.stage, s.stage_label, s.outcome, s.amount, s.probability,
                        s.forecast_category, s.close_date, s.stage_entered_at
                 FROM sales_kpi.deal_state s;
END $$;
SET datestyle = 'ISO, MDY';
SELECT d.* FROM unnest(ARRAY['2024-01-14', '2024-01-20', '2024-02-10', '2024-03-01', '2024-03-10',
                             '2024-03-20', '2024-04-02']::date[]) AS day, deal_as_of(day) AS d;
-- ... and so the dashboards: the open pipeline is Ann's at 5000 (weighted
-- 0.4) in February, Bob's at 7000 (0.6) in March; in April the deal is won:
-- no open pipeline, Bob's revenue of the year 9000.
CREATE FUNCTION pipeline_as_of(day date) RETURNS TABLE (as_of date, rep_id text, open_deals bigint,
                                                      pipeline_value numeric, weighted_pipeline numeric,
                                                      avg_deal_size numeric)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('sales_kpi.as_of', day::text, true);
    RETURN QUERY SELECT p.as_of, p.rep_id, p.open_deals, p.pipeline_value, p.weighted_pipeline, p.avg_deal_size
                 FROM sales_kpi.pipeline p WHERE p.pipeline IS NULL ORDER BY p.rep_id;
END $$;
SELECT p.* FROM unnest(ARRAY['2024-02-10', '2024-03-10', '2024-04-02']::date[]) AS day, pipeline_as_of(day) AS p;
RESET sales_kpi.as_of;
RESET datestyle;

-- Overlapping versions are refused (23P01), in either order of loading.
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, created_at)
VALUES ('006A00000000000002', '[2024-03-10,2024-03-12)', '005A00000000000001', 'Proposal', '2024-01-15');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, created_at)
VALUES ('006A00000000000003', '[2024-01-01,)', '005A00000000000001', 'Proposal', '2024-01-01'),
       ('006A00000000000003', '[2024-02-01,)', '005A00000000000001', 'Won', '2024-01-01');
\echo :LAST_ERROR_SQLSTATE
-- Versions must begin somewhere and hold something.
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, created_at)
VALUES ('006A00000000000003', '(,2024-01-01)', '005A00000000000001', 'Proposal', '2024-01-01');
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, created_at)
VALUES ('006A00000000000003', 'empty', '005A00000000000001', 'Proposal', '2024-01-01');

-- Statements writing more than 1000 versions take the trigger's bulk path:
-- the same derivation and the same check.  1,200 deals of four versions
-- each; the stage changes or stays, and every fifth deal has a gap.
CREATE TEMP VIEW entered_reference AS   -- a streak begins where no version of the same stage ends
SELECT b.deal_id, lower(b.valid) AS since, b.stage_entered_at,
       (SELECT max(lower(s.valid)) FROM sales_kpi.deal_history s
        WHERE s.deal_id = b.deal_id AND lower(s.valid) <= lower(b.valid)
          AND NOT EXISTS (SELECT FROM sales_kpi.deal_history p
                          WHERE p.deal_id = s.deal_id AND upper(p.valid) = lower(s.valid) AND p.stage = s.stage))
         AS expected
FROM sales_kpi.deal_history b WHERE b.deal_id LIKE 'B%';
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, created_at, stage_entered_at)
SELECT 'B' || d, tstzrange(t0 + v * interval '10 days',
                           CASE WHEN v < 3 THEN t0 + (v + 1) * interval '10 days'
                                                - CASE WHEN d % 5 = 0 AND v = 1 THEN interval '1 day' ELSE interval '0' END END),
       '005A00000000000001', (ARRAY['Prospecting', 'Prospecting', 'Proposal', 'Proposal'])[(v + d) % 4 + 1], t0,
       '1999-01-01'   -- replaced
FROM generate_series(1, 1200) d, generate_series(0, 3) v, (SELECT timestamptz '2024-01-01 00:00+00' AS t0) t;
SELECT count(*) AS versions, count(DISTINCT stage_entered_at) AS distinct_entries,
       count(*) FILTER (WHERE stage_entered_at IS DISTINCT FROM expected) AS wrong
FROM entered_reference;
-- removing the second version of every deal: the third begins after a gap
DELETE FROM sales_kpi.deal_history WHERE deal_id LIKE 'B%' AND lower(valid) = '2024-01-11 00:00+00';
SELECT count(*) AS versions, count(*) FILTER (WHERE stage_entered_at IS DISTINCT FROM expected) AS wrong
FROM entered_reference;
-- a bulk statement with one overlap among 1,200 clean versions is refused whole
INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, stage, created_at)
SELECT 'B' || d, tstzrange(timestamptz '2024-01-11 00:00+00',
                           timestamptz '2024-01-21 00:00+00' + CASE WHEN d = 700 THEN interval '1 day' ELSE interval '0' END),
       '005A00000000000001', 'Proposal', '2024-01-01'
FROM generate_series(1, 1200) d;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS versions FROM sales_kpi.deal_history WHERE deal_id LIKE 'B%';
DROP VIEW entered_reference;

TRUNCATE sales_kpi.deals CASCADE;
TRUNCATE sales_kpi.deal_history, sales_kpi.customers, sales_kpi.reps CASCADE;
DELETE FROM sales_kpi.stages;
DROP FUNCTION deal_as_of(date);
DROP FUNCTION pipeline_as_of(date);
