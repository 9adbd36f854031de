--
-- Window functions: period_growth(value) and time_in_stage(entered_at [, as_of]).
--

-- period_growth: (value - previous) / previous within the partition's order.
SELECT region, month, revenue,
       period_growth(revenue) OVER (PARTITION BY region ORDER BY month) AS growth
FROM (VALUES ('east', 1, 1000000::numeric), ('east', 2, 1200000),   -- KPI_SPEC: 1.0M -> 1.2M is 0.2
             ('east', 3, 900000), ('east', 4, 0), ('east', 5, 500),  -- after 0: NULL
             ('east', 6, NULL), ('east', 7, 700),                    -- around NULL: NULL
             ('west', 1, 50), ('west', 2, 75), ('west', 3, -25)) AS v(region, month, revenue)
ORDER BY region, month;

-- The frame clause does not matter: the previous row of the partition is used.
SELECT i, period_growth(v) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS growth
FROM (VALUES (1, 10::numeric), (2, 15)) AS x(i, v) ORDER BY i;

-- time_in_stage: the next stage's entered_at minus this one's; the current
-- stage runs to as_of (or to now()).
CREATE TABLE hist (deal int, stage text, entered_at timestamptz);
INSERT INTO hist VALUES
  (1, 'Prospecting', '2024-01-01 00:00'),
  (1, 'Proposal',    '2024-01-03 12:00'),
  (1, 'Negotiation', '2024-01-10 00:00'),
  (1, 'Proposal',    '2024-01-12 00:00'),   -- a backward move
  (2, 'Prospecting', '2024-01-20 00:00'),
  (2, 'Closed Won',  '2024-01-25 06:00');
SELECT deal, stage, entered_at,
       time_in_stage(entered_at, '2024-02-01') OVER (PARTITION BY deal ORDER BY entered_at) AS in_stage
FROM hist ORDER BY deal, entered_at;

-- Without as_of the current stage runs to the start of the transaction.
SELECT deal, stage,
       time_in_stage(entered_at) OVER w = coalesce(lead(entered_at) OVER w, now()) - entered_at AS equals_lead
FROM hist WINDOW w AS (PARTITION BY deal ORDER BY entered_at) ORDER BY deal, entered_at;

-- Average time in each stage, the stage-analysis way.
SELECT stage, avg(in_stage) AS avg_in_stage, count(*) AS visits
FROM (SELECT stage, time_in_stage(entered_at, '2024-02-01') OVER (PARTITION BY deal ORDER BY entered_at) AS in_stage
      FROM hist) AS s
GROUP BY stage ORDER BY stage;

-- A NULL entered_at gives NULL for that row and for the row before it.
SELECT i, time_in_stage(e, '2024-01-10') OVER (ORDER BY i) AS in_stage
FROM (VALUES (1, '2024-01-01'::timestamptz), (2, NULL), (3, '2024-01-05')) AS x(i, e) ORDER BY i;

DROP TABLE hist;
