-- The measurement: every query of bench/queries.sql, :runs times each,
-- serially and with 2 parallel workers (grouped forms), and the KPI and hand
-- SQL once more serially with jit at its default (on: what users get at
-- these sizes; the other modes run with jit off), all interleaved: each
-- run times every query once in each mode, so that a slow spell of the
-- machine hits every query alike and not one mode or one KPI.  Then the
-- medians, the ratios against the targets, a check that each KPI and its
-- hand-written SQL give the same answer, and the memory of a clv() state
-- over 1,000,000 customers.  Run by bench/run.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET jit = off;
\ir queries.sql

CREATE TEMP TABLE bench_times (kpi text, form text, kind text, mode text, run int, ms float8);

DO $$
DECLARE
  m text;
  r int;
  b record;
  t record;
BEGIN
  FOR r IN 1 .. current_setting('bench.runs')::int LOOP
    FOR b IN SELECT * FROM bench_queries ORDER BY form, kpi, kind LOOP
      FOREACH m IN ARRAY CASE b.form WHEN 'grouped' THEN ARRAY['serial', 'parallel', 'jit'] ELSE ARRAY['serial', 'jit'] END LOOP
        CONTINUE WHEN m = 'jit' AND b.kind NOT IN ('kpi', 'hand');
        CONTINUE WHEN m = 'parallel' AND b.kind = 'colfloor';
        PERFORM set_config('max_parallel_workers_per_gather', CASE m WHEN 'parallel' THEN '2' ELSE '0' END, false);
        PERFORM set_config('jit', CASE m WHEN 'jit' THEN 'on' ELSE 'off' END, false);
        SELECT * INTO t FROM pg_temp.bench_time('SELECT count(v) AS v FROM (' || b.q || ') s');
        INSERT INTO bench_times VALUES (b.kpi, b.form, b.kind, m, r, t.ms);
      END LOOP;
    END LOOP;
  END LOOP;
  RESET max_parallel_workers_per_gather;
  SET jit = off;
END $$;

CREATE TEMP TABLE bench_median AS
SELECT kpi, form, kind, mode, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, count(*) AS runs
FROM bench_times GROUP BY 1, 2, 3, 4;

-- Answers: the KPI and the hand-written SQL agree group by group (row by row
-- for windows), to 1e-6 relative (the hand SQL rounds intervals and floats
-- differently).
CREATE FUNCTION pg_temp.num(float8) RETURNS float8 LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION pg_temp.num(numeric) RETURNS float8 LANGUAGE sql AS 'SELECT $1::float8';
CREATE FUNCTION pg_temp.num(interval) RETURNS float8 LANGUAGE sql AS 'SELECT extract(epoch FROM $1)::float8';
CREATE TEMP TABLE bench_answers AS
SELECT k.kpi, k.form, 0::bigint AS compared, 0::bigint AS differing FROM bench_queries k WHERE false;
DO $$
DECLARE
  p record;
  n bigint;
  d bigint;
BEGIN
  FOR p IN SELECT k.kpi, k.form, k.q AS kq, h.q AS hq FROM bench_queries k
           JOIN bench_queries h ON h.kpi = k.kpi AND h.form = k.form AND h.kind = 'hand'
           WHERE k.kind = 'kpi' AND k.kpi <> 'floor' LOOP
    EXECUTE format($f$SELECT count(*), count(*) FILTER (WHERE (a.v IS NULL) <> (b.v IS NULL)
                         OR abs(pg_temp.num(a.v) - pg_temp.num(b.v)) > 1e-6 * greatest(1, abs(pg_temp.num(b.v))))
                      FROM (%s) a FULL JOIN (%s) b USING (g)$f$, p.kq, p.hq) INTO n, d;
    INSERT INTO bench_answers VALUES (p.kpi, p.form, n, d);
  END LOOP;
END $$;

-- The table: medians in milliseconds and the ratios the targets are about.
CREATE TEMP TABLE bench_report AS
-- Targets: the counting and duration aggregates (grouped) at most 1.1 x
-- their own floor (count() of the same column) and at most 0.8 x the hand
-- SQL; the others faster than the hand SQL; 2 workers at least 1.6 x
-- faster; windows at most 1.2 x the hand window SQL.  All serial, jit off.
WITH s AS (SELECT * FROM bench_median WHERE mode = 'serial'),
     par AS (SELECT * FROM bench_median WHERE mode = 'parallel'),
     j AS (SELECT * FROM bench_median WHERE mode = 'jit')
SELECT k.kpi, k.form,
       round(k.ms::numeric, 1) AS kpi_ms,
       round(h.ms::numeric, 1) AS hand_ms,
       round(f.ms::numeric, 1) AS floor_ms,
       round(cf.ms::numeric, 1) AS col_floor_ms,
       round((k.ms / cf.ms)::numeric, 2) AS kpi_vs_col_floor,
       round((k.ms / h.ms)::numeric, 2) AS kpi_vs_hand,
       round(pk.ms::numeric, 1) AS kpi_parallel_ms,
       round((k.ms / pk.ms)::numeric, 2) AS parallel_speedup,
       round(jk.ms::numeric, 1) AS kpi_jit_ms,
       round(jh.ms::numeric, 1) AS hand_jit_ms,
       round((jk.ms / jh.ms)::numeric, 2) AS kpi_vs_hand_jit,
       a.compared, a.differing,
       concat_ws(', ',
         CASE WHEN k.form = 'grouped' AND k.kpi IN ('win_rate', 'conversion_rate', 'avg_time_in_pipeline',
                                                    'sales_cycle_length', 'avg_ramp_time')
                   AND k.ms > 1.1 * cf.ms THEN 'over 1.1x its column floor' END,
         CASE WHEN k.form = 'grouped' AND k.kpi IN ('win_rate', 'conversion_rate', 'avg_time_in_pipeline',
                                                    'sales_cycle_length', 'avg_ramp_time')
                   AND k.ms > 0.8 * h.ms THEN 'over 0.8x hand SQL' END,
         CASE WHEN k.form = 'grouped' AND k.kpi NOT IN ('win_rate', 'conversion_rate', 'avg_time_in_pipeline',
                                                        'sales_cycle_length', 'avg_ramp_time')
                   AND k.ms >= h.ms THEN 'not faster than hand SQL' END,
         CASE WHEN k.form = 'grouped' AND k.ms / pk.ms < 1.6 THEN 'parallel speedup under 1.6' END,
         CASE WHEN k.form = 'window' AND k.ms > 1.2 * h.ms THEN 'over 1.2x hand window SQL' END) AS missed
FROM s k
JOIN s h ON h.kpi = k.kpi AND h.form = k.form AND h.kind = 'hand'
JOIN s f ON f.kpi = 'floor' AND f.form = k.form
JOIN s cf ON cf.kpi = k.kpi AND cf.form = k.form AND cf.kind = 'colfloor'
LEFT JOIN par pk ON pk.kpi = k.kpi AND pk.form = k.form AND pk.kind = 'kpi'
LEFT JOIN j jk ON jk.kpi = k.kpi AND jk.form = k.form AND jk.kind = 'kpi'
LEFT JOIN j jh ON jh.kpi = k.kpi AND jh.form = k.form AND jh.kind = 'hand'
JOIN bench_answers a ON a.kpi = k.kpi AND a.form = k.form
WHERE k.kind = 'kpi' AND k.kpi <> 'floor'
ORDER BY k.form, k.kpi;

-- Memory of a clv() state over 1,000,000 distinct customers (one purchase
-- each, one group), with bigint ids and with 18-character text ids (as
-- Salesforce writes them): the peak memory HashAggregate reports for clv()
-- less what it reports for count(*) over the same rows.
CREATE TEMP TABLE bench_clv_customers AS
SELECT 1 AS g, i::bigint AS customer_id, '001A' || lpad(i::text, 14, '0') AS customer_key,
       (100 + i % 900)::numeric AS amount, timestamptz '2024-01-01' + i * interval '1 minute' AS purchased_at
FROM generate_series(1, 1000000) AS i;
ANALYZE bench_clv_customers;
CREATE FUNCTION pg_temp.hash_agg_kb(q text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  SET LOCAL enable_sort = off;
  SET LOCAL max_parallel_workers_per_gather = 0;
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Peak Memory Usage')::bigint;
END $$;
CREATE TEMP TABLE bench_clv_memory AS
SELECT 'bigint ids' AS ids, 1000000 AS customers,
       round((k.kb - c.kb) * 1024 / 1000000.0, 1) AS bytes_per_customer
FROM (SELECT pg_temp.hash_agg_kb('SELECT g, clv(customer_id, amount, purchased_at) FROM bench_clv_customers GROUP BY g') AS kb) k,
     (SELECT pg_temp.hash_agg_kb('SELECT g, count(*) FROM bench_clv_customers GROUP BY g') AS kb) c
UNION ALL
SELECT '18-byte text ids', 1000000,
       round((k.kb - c.kb) * 1024 / 1000000.0, 1)
FROM (SELECT pg_temp.hash_agg_kb('SELECT g, clv(customer_key, amount, purchased_at) FROM bench_clv_customers GROUP BY g') AS kb) k,
     (SELECT pg_temp.hash_agg_kb('SELECT g, count(*) FROM bench_clv_customers GROUP BY g') AS kb) c;
