--
-- stage_normalize() and stage_outcome(): the built-in names, normalisation,
-- and catalog rows overriding the defaults.
--

-- Built-in names after normalisation (lower case, no space, _ or -).
SELECT s AS stage, stage_normalize(s) AS normalized, stage_outcome(s) AS outcome
FROM (VALUES ('Closed Won'), ('closed_won'), ('CLOSED-WON'), ('closedwon'),
             ('Won'), (' won '), ('W o N'), ('Closed Lost'), ('closed_lost'),
             ('LOST'), ('lost-'), ('Engaging'), ('Prospecting'), ('Closed'),
             ('Won!'), ('wonlost'), (''), (NULL)) AS v(s);

-- The catalog starts empty: outcomes come from the built-in names alone.
SELECT count(*) AS catalog_rows FROM sales_kpi.stages;

BEGIN;
-- A CRM whose closed stages are called Signed and Dead, and where 'Won'
-- (a won meeting) is still an open stage.
INSERT INTO sales_kpi.stages (name, pipeline_order, default_probability, is_closed, is_won, stalled_after_days)
VALUES ('Discovery', 1, 0.1, false, false, 30),
       ('Signed', 5, 1, true, true, NULL),
       ('Dead', 6, 0, true, false, NULL),
       ('Won', 2, 0.3, false, false, 14);
SELECT s AS stage, stage_outcome(s) AS outcome
FROM (VALUES ('Signed'), ('SIGNED'), ('si-gned'), ('Dead'), ('dead'),
             ('Won'), ('won'), ('Closed Won'), ('Lost'), ('Discovery')) AS v(s);

-- The aggregates classify exactly as stage_outcome() does.
SELECT win_rate(s) AS win_rate, conversion_rate(s) AS conversion_rate,
       count(*) FILTER (WHERE stage_outcome(s) = 'won') AS won,
       count(*) FILTER (WHERE stage_outcome(s) = 'lost') AS lost
FROM (VALUES ('Signed'), ('Dead'), ('Dead'), ('Won'), ('Closed Won'), ('Lost')) AS v(s);

-- Two catalog rows may not normalise to the same name.
INSERT INTO sales_kpi.stages (name, pipeline_order) VALUES ('SIGNED ', 9);
ROLLBACK;

-- Catalog rows are checked.
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Booked', 1, false, true);
INSERT INTO sales_kpi.stages (name, pipeline_order, default_probability) VALUES ('Demo', 1, 1.5);
INSERT INTO sales_kpi.stages (name, pipeline_order) VALUES (' - _ ', 1);
INSERT INTO sales_kpi.stages (name, pipeline_order, stalled_after_days) VALUES ('Demo', 1, 0);

-- After the rollback the catalog is empty again and 'Won' is won.
SELECT stage_outcome('Won') AS won, stage_outcome('Signed') AS signed;

-- A catalog change is seen by the next statement (the cache lives one query).
BEGIN;
SELECT stage_outcome('Booked') AS before_insert;
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Booked', 4, true, true);
SELECT stage_outcome('Booked') AS after_insert, win_rate(s) AS win_rate
FROM (VALUES ('Booked'), ('Booked'), ('Lost')) AS v(s);
ROLLBACK;

-- Many distinct stage strings (more than the per-query raw cache holds).
SELECT count(*) FILTER (WHERE stage_outcome(s) = 'won') AS won,
       count(*) FILTER (WHERE stage_outcome(s) = 'lost') AS lost,
       count(*) FILTER (WHERE stage_outcome(s) = 'open') AS open
FROM (SELECT CASE i % 3 WHEN 0 THEN repeat(' ', i % 50) || 'Won'
                        WHEN 1 THEN 'closed' || repeat('_', i % 70) || 'lost'
                        ELSE 'stage ' || i END AS s
      FROM generate_series(1, 300) AS i) AS v;

-- The aggregates over the same strings (their classification is inlined).
SELECT win_rate(s) AS win_rate, conversion_rate(s) AS conversion_rate
FROM (SELECT CASE i % 3 WHEN 0 THEN repeat(' ', i % 50) || 'Won'
                        WHEN 1 THEN 'closed' || repeat('_', i % 70) || 'lost'
                        ELSE 'stage ' || i END AS s
      FROM generate_series(1, 300) AS i) AS v;

-- Strings that agree in their first and last eight bytes and differ only in
-- between are told apart: a quarter won, a quarter lost, half open.
SELECT s AS stage, length(s) AS length, stage_outcome(s) AS outcome
FROM (VALUES ('closed__won________'), ('closed__xyz________'),
             ('closed__lost_______'), ('closed__lxst_______')) AS v(s);
SELECT win_rate(s) AS win_rate, conversion_rate(s) AS conversion_rate
FROM (SELECT (ARRAY['closed__won________', 'closed__xyz________',
                    'closed__lost_______', 'closed__lxst_______'])[1 + i % 4] AS s
      FROM generate_series(1, 100) AS i) AS v;

--
-- The catalog cache is invalidated when the catalog changes, also where a
-- call site outlives a statement: a PL/pgSQL expression keeps its cache for
-- the whole transaction.
--
CREATE FUNCTION outcome_in_plpgsql(s text) RETURNS text
LANGUAGE plpgsql AS $$ BEGIN RETURN stage_outcome(s); END $$;
CREATE FUNCTION sign_and_classify() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    before text;
BEGIN
    before := outcome_in_plpgsql('Signed');
    INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Signed', 1, true, true);
    RETURN before || ' -> ' || outcome_in_plpgsql('Signed');
END $$;

-- Inside one function: the insert is seen by the function's next statement.
BEGIN;
SELECT sign_and_classify() AS signed;
ROLLBACK;

-- A long transaction: the expression's cache sees every change at the next
-- statement, and the rollback of the insert too.
BEGIN;
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Booked', 4, true, true);
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
UPDATE sales_kpi.stages SET is_won = false WHERE name = 'Booked';
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
SAVEPOINT s;
DELETE FROM sales_kpi.stages WHERE name = 'Booked';
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
ROLLBACK TO SAVEPOINT s;
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
TRUNCATE sales_kpi.stages;
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Booked', 4, true, true);
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;
ROLLBACK;
SELECT outcome_in_plpgsql('Booked') AS plpgsql, stage_outcome('Booked') AS direct;

-- A failed subtransaction (an EXCEPTION block) takes its change back, and
-- the cache follows.
CREATE FUNCTION try_catalog_change() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    inside text;
BEGIN
    BEGIN
        INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Booked', 4, true, true);
        inside := outcome_in_plpgsql('Booked');
        RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN inside || ' -> ' || outcome_in_plpgsql('Booked');
END $$;
BEGIN;
SELECT try_catalog_change() AS booked;
ROLLBACK;

--
-- Unicode names.  Case is folded as lower() folds it in this database, so
-- the comparisons below hold in any locale; in this UTF-8 database
-- (C.UTF-8 or any other full Unicode locale) GAGNÉ and Gagné are one stage.
--
SELECT stage_normalize('GAGNÉ') = lower('GAGNÉ') AS folds_as_lower,
       stage_normalize('Closed Lost Ä') = lower('closedlostÄ') AS mixed,
       stage_normalize('GAGNÉ') = stage_normalize('Gagné') AS gagne_is_one_stage;

-- Unicode spaces, dashes and underscores are dropped as their ASCII forms
-- are (each row names the character it puts in the stage name).
SELECT c AS separator, stage_normalize(s) AS normalized, stage_outcome(s) AS outcome
FROM (VALUES ('U+00A0 no-break space', E'Closed\u00A0Won'),
             ('U+202F narrow no-break space', E'Closed\u202FWon'),
             ('U+2003 em space', E'Closed\u2003Won'),
             ('U+3000 ideographic space', E'Closed\u3000Lost'),
             ('U+200B zero width space', E'Closed\u200BWon'),
             ('U+FEFF byte order mark, leading', E'\uFEFFClosed Won'),
             ('U+2013 en dash', E'closed\u2013won'),
             ('U+2014 em dash', E'closed\u2014lost'),
             ('U+2011 non-breaking hyphen', E'closed\u2011won'),
             ('U+2212 minus sign', E'closed\u2212lost'),
             ('U+FF0D fullwidth hyphen-minus', E'closed\uFF0Dwon'),
             ('U+00AD soft hyphen', E'closed\u00ADwon'),
             ('U+FF3F fullwidth low line', E'closed\uFF3Flost'),
             ('U+00A0 twice, and trailing', E'Closed\u00A0\u00A0Won\u00A0')) AS v(c, s);

-- Non-separators are kept: a stage called 'Won.' or 'Closed·Won' is open.
SELECT stage_outcome(E'Won.') AS won_dot, stage_outcome(E'Closed\u00B7Won') AS middle_dot;

-- The catalog's uniqueness follows the same folding: Gagné and GAGNÉ (or
-- Gagné with a no-break space around it) cannot both be listed.
BEGIN;
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('Gagné', 5, true, true);
SELECT s, stage_outcome(s) AS outcome
FROM (VALUES ('Gagné'), ('GAGNÉ'), ('gagné'), (E'\u00A0Gagné\u00A0')) AS v(s);
-- ('Perdu' is not listed, so it is open: 2 won of 2 closed.)
SELECT win_rate(s) AS win_rate FROM (VALUES ('GAGNÉ'), ('gagné'), ('Perdu')) AS v(s);
SAVEPOINT s;
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES ('GAGNÉ', 6, true, false);
ROLLBACK TO SAVEPOINT s;
INSERT INTO sales_kpi.stages (name, pipeline_order, is_closed, is_won) VALUES (E'Gagn\u00E9\u00A0', 6, true, false);
ROLLBACK;

--
-- Pipelines.  The catalog is keyed by (pipeline, stage); a row with a NULL
-- pipeline holds for every pipeline.  In pipeline 'enterprise' the stage
-- 'Closed' is won, in 'smb' it is lost; 'Signed' is won everywhere.
--
BEGIN;
INSERT INTO sales_kpi.stages (pipeline, name, label, pipeline_order, is_closed, is_won) VALUES
  ('enterprise', 'Closed', NULL, 9, true, true),
  ('smb', 'closed', NULL, 9, true, false),
  ('enterprise', '4001', 'Discovery', 1, false, false),
  (NULL, 'Signed', NULL, 8, true, true);
SELECT p, s, stage_outcome(p, s) AS outcome
FROM (VALUES ('enterprise', 'Closed'), ('smb', 'CLOSED'), ('other', 'Closed'), ('enterprise', 'signed'),
             ('smb', 'Signed'), ('enterprise', 'Closed Won'), ('smb', '4001'), (NULL, 'Signed'),
             (NULL, 'Won'), ('enterprise', NULL)) AS v(p, s);
-- Without its pipeline, a stage the pipelines agree on is classified ...
SELECT stage_outcome('Signed') AS signed, stage_outcome('4001') AS discovery, stage_outcome('Closed Won') AS builtin;
-- ... and one they disagree on is an error, not a guess (22023).
SAVEPOINT ambiguous;
SELECT stage_outcome('Closed');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT ambiguous;
SELECT win_rate(s) FROM (VALUES ('Signed'), ('Closed')) AS v(s);
ROLLBACK TO SAVEPOINT ambiguous;
-- The aggregates take the pipeline too: 'Closed' is won in enterprise, lost
-- in smb, 'Open' is open: win rate 1/2, conversion 1/3, velocity
-- 1 open x 100 x 0.5 / 10 days = 5.
SELECT win_rate(p, s) AS win_rate, conversion_rate(p, s) AS conversion_rate,
       pipeline_velocity(p, s, 100, '2024-01-01', '2024-01-11') AS velocity
FROM (VALUES ('enterprise', 'Closed'), ('smb', 'Closed'), ('enterprise', 'Open')) AS v(p, s);
-- Same pipeline and stage names in both places, different pipelines: a
-- stage can be listed once per pipeline, and once for every pipeline.
INSERT INTO sales_kpi.stages (pipeline, name, pipeline_order) VALUES ('smb', 'Signed', 8);
SAVEPOINT s;
INSERT INTO sales_kpi.stages (pipeline, name, pipeline_order) VALUES ('smb', 'SIGNED', 8);
ROLLBACK TO SAVEPOINT s;
INSERT INTO sales_kpi.stages (pipeline, name, pipeline_order) VALUES ('', 'Signed', 8);
ROLLBACK;

-- Long pipeline ids and stages (keys too long for the stack) classify alike.
SELECT stage_outcome(repeat('p', 300), 'Closed Won') AS long_pipeline,
       win_rate(repeat('p', 300), s) AS long_win_rate
FROM (VALUES ('Closed Won'), ('Closed Lost')) AS v(s) GROUP BY 1;
