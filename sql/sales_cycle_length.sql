--
-- sales_cycle_length(created_at, closed_at): mean of closed_at - created_at
-- over rows with both set.
--

CREATE TABLE cyc (rep_id int, created_at timestamptz, closed_at timestamptz);
INSERT INTO cyc VALUES
  (1, '2024-01-01', '2024-01-31'),          -- 30 days
  (1, '2024-02-01', '2024-02-11 12:00'),    -- 10 days 12 hours
  (1, '2024-03-01', NULL),                  -- open: ignored
  (2, '2024-01-01 08:00', '2024-01-01 17:30'), -- 9.5 hours
  (3, NULL, '2024-01-01'),                  -- ignored
  (4, '2024-02-28', '2024-03-01');          -- leap year: 2 days
SELECT rep_id, sales_cycle_length(created_at, closed_at)
FROM cyc GROUP BY rep_id ORDER BY rep_id;
SELECT sales_cycle_length(created_at, closed_at) AS all_reps FROM cyc;

-- A date argument casts implicitly; a same-day close is a zero-length cycle.
SELECT sales_cycle_length(c, d) AS two_days
FROM (VALUES ('2024-01-01'::date, '2024-01-01'::date), ('2024-01-01', '2024-01-05')) AS v(c, d);

-- Windowed: RANGE frame over created_at.
SELECT rep_id, created_at,
       sales_cycle_length(created_at, closed_at)
         OVER (ORDER BY created_at RANGE BETWEEN interval '31 days' PRECEDING AND CURRENT ROW) AS last_month
FROM cyc WHERE created_at IS NOT NULL ORDER BY created_at, rep_id;

DROP TABLE cyc;
