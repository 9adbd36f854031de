--
-- pipeline_velocity(stage, amount, created_at, closed_at): revenue per day,
-- open deals x mean won amount x win rate / mean won sales cycle in days.
--

CREATE TABLE vel (rep_id int, stage text, amount numeric, created_at timestamptz, closed_at timestamptz);
INSERT INTO vel VALUES
  (1, 'Closed Won', 1000, '2024-01-01', '2024-01-11'),   -- won, 10 days
  (1, 'Closed Won', 3000, '2024-01-01', '2024-01-31'),   -- won, 30 days
  (1, 'Closed Lost', 500, '2024-01-01', '2024-01-05'),   -- lost
  (1, 'Closed Lost', NULL, '2024-01-01', NULL),          -- lost (amount unknown)
  (1, 'Negotiation', 800, '2024-02-01', NULL),           -- open
  (1, 'Prospecting', NULL, '2024-02-01', NULL),          -- open
  (1, 'Proposal', 200, '2024-02-01', NULL),              -- open
  (1, NULL, 99999, '2024-02-01', NULL),                  -- no stage: ignored
  (2, 'Prospecting', 100, '2024-01-01', NULL),           -- open only: no won deal
  (3, 'Won', 500, '2024-01-01', '2024-01-01');           -- won the same day: zero cycle
-- Rep 1: 3 open x mean won 2000 x win rate 2/4 / mean won cycle 20 days = 150.
SELECT rep_id, pipeline_velocity(stage, amount, created_at, closed_at)
FROM vel GROUP BY rep_id ORDER BY rep_id;

-- It equals the product of its four parts computed separately.
SELECT count(*) FILTER (WHERE stage_outcome(stage) = 'open') AS open_deals,
       avg(amount) FILTER (WHERE stage_outcome(stage) = 'won') AS mean_won_amount,
       win_rate(stage) AS win_rate,
       sales_cycle_length(created_at, closed_at) FILTER (WHERE stage_outcome(stage) = 'won') AS mean_won_cycle,
       pipeline_velocity(stage, amount, created_at, closed_at) AS velocity,
       pipeline_velocity(stage, amount, created_at, closed_at) =
         count(*) FILTER (WHERE stage_outcome(stage) = 'open')
         * avg(amount) FILTER (WHERE stage_outcome(stage) = 'won')
         * win_rate(stage)::numeric
         / (extract(epoch FROM sales_cycle_length(created_at, closed_at)
                                 FILTER (WHERE stage_outcome(stage) = 'won')) / 86400)
         AS equals_product
FROM vel WHERE rep_id = 1;

-- Non-integral results are rounded to 8 decimal places.
SELECT pipeline_velocity(s, a, c, d) AS one_third
FROM (VALUES ('Won', 10::numeric, '2024-01-01'::timestamptz, '2024-01-04'::timestamptz),
             ('Open', NULL, '2024-01-01', NULL)) AS x(s, a, c, d);

-- As a sliding window.
SELECT i, pipeline_velocity(s, a, c, d) OVER (ORDER BY i ROWS 2 PRECEDING) AS last_three
FROM (VALUES (1, 'Won', 100::numeric, '2024-01-01'::timestamptz, '2024-01-11'::timestamptz),
             (2, 'Open', 50, '2024-01-01', NULL),
             (3, 'Open', 50, '2024-01-01', NULL),
             (4, 'Lost', 10, '2024-01-01', '2024-01-02'),
             (5, 'Won', 300, '2024-01-01', '2024-01-06')) AS x(i, s, a, c, d)
ORDER BY i;

DROP TABLE vel;
