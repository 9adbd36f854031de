--
-- Forced parallel aggregation: the plan has a Partial Aggregate whose
-- states are serialized by the workers and combined by the leader, and the
-- answer equals the serial one.  Runs on the table of differential.sql.
-- Everything happens in one transaction, so now() is the same throughout.
--
BEGIN;

-- Serial answers first.
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_answer AS
SELECT rep_id,
       win_rate(stage) AS wr, win_rate(won) AS wrb,
       conversion_rate(stage) AS cr, conversion_rate(won) AS crb,
       avg_time_in_pipeline(entered_at) AS tip1,
       avg_time_in_pipeline(entered_at, exited_at) AS tip2,
       avg_time_in_pipeline(entered_at, exited_at, '2022-06-01') AS tip3,
       sales_cycle_length(entered_at, exited_at) AS cyc,
       avg_ramp_time(started_at, first_contact_at) AS ramp,
       clv(customer_id, amount, entered_at) AS clv,
       pipeline_velocity(stage, amount, entered_at, exited_at) AS vel,
       clv('001A' || lpad(customer_id::text, 14, '0'), amount, entered_at) AS clvt,
       win_rate(CASE WHEN id % 3 > 0 THEN 'p' || id % 3 END, stage) AS wrp,
       pipeline_velocity(CASE WHEN id % 3 > 0 THEN 'p' || id % 3 END, stage, amount, entered_at, exited_at) AS velp
FROM gen GROUP BY rep_id;
CREATE TEMP TABLE serial_contracts AS
SELECT team, acv(contract_value, term) AS acv,
       retention_rate(active, daterange('2022-01-01', '2023-01-01')) AS retention,
       churn_rate(active, daterange('2022-01-01', '2023-01-01')) AS churn
FROM gen_contracts GROUP BY team;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_hashagg = off;

-- The plan: workers run Partial Aggregate, the leader finalizes.
EXPLAIN (COSTS OFF)
SELECT rep_id, win_rate(stage), avg_time_in_pipeline(entered_at, exited_at, '2022-06-01'),
       clv(customer_id, amount, entered_at)
FROM gen GROUP BY rep_id;

-- Workers really ran (EXPLAIN ANALYZE) and aggregated partially.
CREATE FUNCTION pg_temp.parallel_plan(q text)
RETURNS TABLE (partial_aggregate boolean, workers_launched int)
LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
  partial_aggregate := plan::text LIKE '%"Partial Mode": "Partial"%';
  workers_launched := substring(plan::text FROM '"Workers Launched": (\d+)')::int;
  RETURN NEXT;
END $$;

-- The comparison query: every aggregate computed in parallel, joined to the
-- serial answers; the join runs in the leader above the Gather.
\set compare 'SELECT count(*) AS groups, count(*) FILTER (WHERE s IS DISTINCT FROM p) AS differing_groups FROM serial_answer s FULL JOIN (SELECT rep_id, win_rate(stage) AS wr, win_rate(won) AS wrb, conversion_rate(stage) AS cr, conversion_rate(won) AS crb, avg_time_in_pipeline(entered_at) AS tip1, avg_time_in_pipeline(entered_at, exited_at) AS tip2, avg_time_in_pipeline(entered_at, exited_at, ''2022-06-01'') AS tip3, sales_cycle_length(entered_at, exited_at) AS cyc, avg_ramp_time(started_at, first_contact_at) AS ramp, clv(customer_id, amount, entered_at) AS clv, pipeline_velocity(stage, amount, entered_at, exited_at) AS vel, clv(''001A'' || lpad(customer_id::text, 14, ''0''), amount, entered_at) AS clvt, win_rate(CASE WHEN id % 3 > 0 THEN ''p'' || id % 3 END, stage) AS wrp, pipeline_velocity(CASE WHEN id % 3 > 0 THEN ''p'' || id % 3 END, stage, amount, entered_at, exited_at) AS velp FROM gen GROUP BY rep_id) AS p USING (rep_id)'
SELECT * FROM pg_temp.parallel_plan(:'compare');
:compare;

-- acv, retention_rate and churn_rate, likewise.
\set compare_contracts 'SELECT count(*) AS groups, count(*) FILTER (WHERE s IS DISTINCT FROM p) AS differing_groups FROM serial_contracts s FULL JOIN (SELECT team, acv(contract_value, term) AS acv, retention_rate(active, daterange(''2022-01-01'', ''2023-01-01'')) AS retention, churn_rate(active, daterange(''2022-01-01'', ''2023-01-01'')) AS churn FROM gen_contracts GROUP BY team) AS p USING (team)'
SELECT * FROM pg_temp.parallel_plan(:'compare_contracts');
:compare_contracts;

-- Ungrouped, against the plain-SQL reference.
SELECT * FROM pg_temp.parallel_plan('SELECT win_rate(stage), clv(customer_id, amount, entered_at) FROM gen');
SELECT win_rate(stage) = (SELECT count(*) FILTER (WHERE ref_outcome(stage) = 'won')::float8
                                 / count(*) FILTER (WHERE ref_outcome(stage) IN ('won', 'lost')) FROM gen)
         AS win_rate_equal,
       avg_time_in_pipeline(entered_at, exited_at, '2022-06-01') =
         (SELECT ref_interval(avg(ref_usecs(entered_at, least(coalesce(exited_at, '2022-06-01'), '2022-06-01'))))
            FROM gen WHERE entered_at <= '2022-06-01') AS time_in_pipeline_equal
FROM gen;

COMMIT;
