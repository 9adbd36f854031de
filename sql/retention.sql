--
-- retention_rate(active daterange, period daterange) and churn_rate(): of the
-- rows active on the period's first day, the fraction still active (not
-- active) on its last day.
--

CREATE TABLE subs (customer text, active daterange);
INSERT INTO subs VALUES
  ('a: active on both edges',            daterange('2023-06-01', '2025-06-01')),
  ('b: unbounded, still active',         daterange('2023-01-01', NULL)),
  ('c: left inside the period',          daterange('2023-01-01', '2024-05-01')),
  ('d: joined and left inside',          daterange('2024-02-01', '2024-09-01')),
  ('e: joined inside, still active',     daterange('2024-03-01', NULL)),
  ('f: left on the last day',            daterange('2022-01-01', '2024-12-31')),
  ('g: left the day after the last day', daterange('2022-01-01', '2025-01-01')),
  ('h: joined on the first day',         daterange('2024-01-01', NULL)),
  ('i: left before the period',          daterange('2020-01-01', '2023-12-31')),
  ('j: no range',                        NULL),
  ('k: empty range',                     'empty');

-- Each row's part, for checking by hand: period 2024 = [2024-01-01, 2024-12-31].
SELECT customer, active @> date '2024-01-01' AS on_first_day,
       active @> date '2024-12-31' AS on_last_day
FROM subs ORDER BY customer;

-- At start: a, b, c, f, g, h = 6; retained: a, b, g, h = 4.
SELECT retention_rate(active, daterange('2024-01-01', '2025-01-01')) AS retention,
       churn_rate(active, daterange('2024-01-01', '2025-01-01')) AS churn,
       retention_rate(active, daterange('2024-01-01', '2025-01-01')) +
       churn_rate(active, daterange('2024-01-01', '2025-01-01')) AS sum_is_one
FROM subs;

-- KPI_SPEC test vector: 200 at start, 40 new, 220 at end is 0.9 retention.
WITH c AS (
  SELECT CASE WHEN i <= 180 THEN daterange('2023-01-01', NULL)          -- 180 stay
              WHEN i <= 200 THEN daterange('2023-01-01', '2024-06-01')  -- 20 leave
              ELSE daterange('2024-03-01', NULL) END AS active          -- 40 new
  FROM generate_series(1, 240) AS i)
SELECT count(*) FILTER (WHERE active @> date '2024-01-01') AS at_start,
       count(*) FILTER (WHERE active @> date '2024-12-31') AS at_end,
       retention_rate(active, daterange('2024-01-01', '2025-01-01')) AS retention,
       customer_retention_rate(count(*) FILTER (WHERE active @> date '2024-12-31'), 40,
                               count(*) FILTER (WHERE active @> date '2024-01-01')) AS by_formula,
       churn_rate(active, daterange('2024-01-01', '2025-01-01')) AS churn
FROM c;

-- A one-day period, NULL periods, no row active at the start, empty input.
SELECT retention_rate(active, daterange('2024-06-01', '2024-06-02')) AS one_day FROM subs;
SELECT retention_rate(active, NULL) AS null_period FROM subs;
SELECT retention_rate(active, daterange('2010-01-01', '2011-01-01')) AS nobody,
       churn_rate(active, daterange('2010-01-01', '2011-01-01')) AS nobody_churn FROM subs;
SELECT retention_rate(active, daterange('2024-01-01', '2025-01-01')) AS empty FROM subs WHERE false;

-- Grouped by period (a column of the GROUP BY) and as a sliding window.
SELECT p, retention_rate(active, p), churn_rate(active, p)
FROM subs, (VALUES (daterange('2023-01-01', '2024-01-01')),
                   (daterange('2024-01-01', '2025-01-01'))) AS v(p)
GROUP BY p ORDER BY p;
SELECT customer, retention_rate(active, daterange('2024-01-01', '2025-01-01'))
                   OVER (ORDER BY customer ROWS 2 PRECEDING) AS last_three
FROM subs ORDER BY customer;

DROP TABLE subs;
