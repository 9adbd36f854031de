--
-- Combining many partial states: a table hash-partitioned into 12 parts on
-- the purchase id, so that a customer's purchases are spread over many
-- partitions, aggregated partition by partition (Partial Aggregate), with
-- the 12 serialized states of each group combined by one Finalize Aggregate.
-- Every aggregate must give exactly the answer it gives on the same rows
-- unpartitioned, whatever the order in which the partial states arrive.
--
CREATE TABLE purchases_flat (
    purchase_id bigint, segment int, customer_id bigint, stage text, won boolean,
    amount numeric, created_at timestamptz, closed_at timestamptz, term daterange, active daterange);
-- Deterministic rows: 6,000 purchases of 700 customers in 3 segments.
INSERT INTO purchases_flat
SELECT i, i % 3, 1 + (i * 7919) % 700,
       (ARRAY['Closed Won', 'closedlost', 'Prospecting', 'won'])[1 + (i * 31) % 4],
       CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (100 + (i * 37) % 9000) / 4.0 END,
       c, c + ((i * 13) % 200) * interval '1 day',
       daterange(c::date, c::date + 30 + (i * 17) % 1000),
       daterange(c::date - 400, CASE WHEN i % 4 = 0 THEN c::date + (i * 3) % 700 END)
FROM generate_series(1, 6000) AS i,
     LATERAL (SELECT timestamptz '2021-01-01' + ((i * 104729) % 1500) * interval '1 day'
                                              + (i % 86400) * interval '1 second' AS c) AS t;

CREATE TABLE purchases_parts (LIKE purchases_flat) PARTITION BY HASH (purchase_id);
SELECT format('CREATE TABLE purchases_parts_%s PARTITION OF purchases_parts FOR VALUES WITH (MODULUS 12, REMAINDER %s)', r, r)
FROM generate_series(0, 11) AS r \gexec
INSERT INTO purchases_parts SELECT * FROM purchases_flat;
ANALYZE purchases_flat;
ANALYZE purchases_parts;

BEGIN;
SET LOCAL enable_partitionwise_aggregate = on;
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_hashagg = off;

\set aggs 'win_rate(stage) AS wr, win_rate(won) AS wrb, conversion_rate(stage) AS cr, conversion_rate(won) AS crb, avg_time_in_pipeline(created_at, closed_at, ''2024-06-01'') AS tip, sales_cycle_length(created_at, closed_at) AS cyc, avg_ramp_time(created_at, closed_at) AS ramp, clv(customer_id, amount, created_at) AS clv, acv(amount, term) AS acv, pipeline_velocity(stage, amount, created_at, closed_at) AS vel, clv(''001A'' || lpad(customer_id::text, 14, ''0''), amount, created_at) AS clvt, win_rate(CASE WHEN purchase_id % 3 > 0 THEN ''p'' || purchase_id % 3 END, stage) AS wrp, retention_rate(active, daterange(''2022-01-01'', ''2023-01-01'')) AS ret, churn_rate(active, daterange(''2022-01-01'', ''2023-01-01'')) AS churn'

-- The plans: a Partial Aggregate per partition, one Finalize Aggregate.
CREATE FUNCTION pg_temp.aggregate_nodes(q text, OUT partial int, OUT finalize int)
LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  partial := 0;
  finalize := 0;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    partial := partial + (line ~ 'Partial (Group|Hash)?Aggregate')::int;
    finalize := finalize + (line ~ 'Finalize (Group|Hash)?Aggregate')::int;
  END LOOP;
END $$;
\set grouped 'SELECT segment, ' :aggs ' FROM purchases_parts GROUP BY segment'
\set ungrouped 'SELECT ' :aggs ' FROM purchases_parts'
SELECT * FROM pg_temp.aggregate_nodes(:'grouped');
SELECT * FROM pg_temp.aggregate_nodes(:'ungrouped');

-- Grouped on a column that is not the partition key: 12 states per group.
SELECT count(*) AS groups, count(*) FILTER (WHERE f IS DISTINCT FROM p) AS differing_groups,
       min((f).clv) > 1000 AS plausible_clv
FROM (SELECT segment, :aggs FROM purchases_flat GROUP BY segment) AS f
FULL JOIN (SELECT segment, :aggs FROM purchases_parts GROUP BY segment) AS p USING (segment);

-- Ungrouped: 12 states combined into one.
SELECT f IS NOT DISTINCT FROM p AS same_answer
FROM (SELECT :aggs FROM purchases_flat) AS f, (SELECT :aggs FROM purchases_parts) AS p;
COMMIT;

-- clv against its plain-SQL definition on the same rows (to 1e-9).
WITH cust AS (
  SELECT segment, customer_id, count(*) AS purchases,
         greatest(extract(epoch FROM max(created_at) - min(created_at)) / (365.25 * 86400), 1) AS tenure
  FROM purchases_flat WHERE amount IS NOT NULL GROUP BY segment, customer_id
), ref AS (
  SELECT c.segment,
         (SELECT avg(amount) FROM purchases_flat f WHERE f.segment = c.segment) * avg(purchases / tenure) * avg(tenure) AS clv
  FROM cust c GROUP BY c.segment
)
SELECT count(*) AS groups,
       count(*) FILTER (WHERE abs(k.clv - ref.clv) > 1e-9 * ref.clv) AS clv_differing
FROM (SELECT segment, clv(customer_id, amount, created_at) AS clv FROM purchases_parts GROUP BY segment) AS k
JOIN ref USING (segment);

DROP TABLE purchases_parts;
DROP TABLE purchases_flat;
