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
