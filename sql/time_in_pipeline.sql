--
-- avg_time_in_pipeline(entered_at), (entered_at, exited_at) and
-- (entered_at, exited_at, as_of).
--

-- One argument: open deals run to the start of the transaction (now()).
SELECT avg_time_in_pipeline(e) AS three_days
FROM (VALUES (now() - interval '2 days'), (now() - interval '4 days'), (NULL)) AS v(e);

-- Two arguments: closed rows run to exited_at, open rows to now().
SELECT avg_time_in_pipeline(e, x) AS five_days
FROM (VALUES (now() - interval '8 days', NULL::timestamptz),      -- open: 8 days
             (now() - interval '10 days', now() - interval '8 days'), -- 2 days
             (NULL, now())) AS v(e, x);                               -- not counted

-- Three arguments: the point-in-time form.
CREATE TABLE pipe (deal int, entered_at timestamptz, exited_at timestamptz);
INSERT INTO pipe VALUES
  (1, '2024-01-01', '2024-01-11'),   -- closed before as_of: 10 days
  (2, '2024-01-01', '2024-03-01'),   -- exits after as_of: runs to as_of, 31 days
  (3, '2024-01-21', NULL),           -- open: runs to as_of, 11 days
  (4, '2024-02-15', NULL),           -- entered after as_of: skipped
  (5, NULL, '2024-01-05');           -- no entered_at: skipped
SELECT avg_time_in_pipeline(entered_at, exited_at, '2024-02-01') AS avg_as_of_feb_1,
       avg_time_in_pipeline(entered_at, exited_at, '2024-02-01') = interval '52 days' / 3 AS equals_52_over_3
FROM pipe;
-- Each row's contribution, for checking the mean by hand.
SELECT deal, least(coalesce(exited_at, '2024-02-01'), '2024-02-01') - entered_at AS runs
FROM pipe WHERE entered_at <= '2024-02-01' ORDER BY deal;
-- A NULL as_of counts no row.
SELECT avg_time_in_pipeline(entered_at, exited_at, NULL) AS null_as_of FROM pipe;
-- A row exited exactly at as_of, and one entered exactly at as_of (zero).
SELECT avg_time_in_pipeline(e, x, '2024-01-03') AS one_day
FROM (VALUES ('2024-01-01'::timestamptz, '2024-01-03'::timestamptz),
             ('2024-01-03', NULL)) AS v(e, x);

-- Means are exact to the microsecond, rounded half away from zero, and come
-- back as days and hours (never months).
SELECT avg_time_in_pipeline(e, x, '2030-01-01') AS two_microseconds
FROM (VALUES ('2024-01-01 00:00:00'::timestamptz, '2024-01-01 00:00:00.000001'::timestamptz),
             ('2024-01-01 00:00:00', '2024-01-01 00:00:00.000002')) AS v(e, x);
SELECT avg_time_in_pipeline(e, x, '2030-01-01') AS one_and_a_half_days
FROM (VALUES ('2024-01-01'::timestamptz, '2024-01-02'::timestamptz),
             ('2024-01-01', '2024-01-03')) AS v(e, x);
SELECT avg_time_in_pipeline('2023-01-01', '2024-03-01', '2030-01-01') AS no_months;

-- Empty group.
SELECT avg_time_in_pipeline(entered_at, exited_at, '2024-02-01') AS empty FROM pipe WHERE false;

-- Windowed, sliding frame (uses the inverse transition function).
SELECT deal, avg_time_in_pipeline(entered_at, exited_at, '2024-02-01')
         OVER (ORDER BY deal ROWS 1 PRECEDING) AS last_two
FROM pipe ORDER BY deal;

DROP TABLE pipe;
