-- Benchmark data and helpers; run by bench/run with -v rows=N -v reps=M.
-- The data is generated once per size and reused.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS sales_kpi;

CREATE TABLE IF NOT EXISTS bench_meta (rows bigint, reps int);
SELECT coalesce((SELECT rows = :rows AND reps = :reps FROM bench_meta), false) AS have_data \gset
\if :have_data
\echo 'bench: reusing' :rows 'deals'
\else
\echo 'bench: generating' :rows 'deals for' :reps 'reps ...'
DROP TABLE IF EXISTS bench_deals;
SELECT setseed(0.5) \gset
CREATE UNLOGGED TABLE bench_deals AS
SELECT i AS deal_id,
       1 + (i % :reps)::int AS rep_id,
       (ARRAY['Prospecting', 'Qualification', 'Proposal', 'Negotiation', 'Closed Won', 'Closed Lost',
              'Closed Won', 'Closed Lost'])[1 + floor(random() * 8)::int] AS stage,
       1 + floor(random() * (:rows / 10))::bigint AS customer_id,
       round((100 + random() * 20000)::numeric, 2) AS amount,
       c AS created_at,
       c + (1 + random() * 180) * interval '1 day' AS closed_at,
       c - (1 + random() * 60) * interval '1 day' AS started_at,
       daterange(c::date, (c + (180 + floor(random() * 900)::int) * interval '1 day')::date) AS term,
       daterange(c::date - 400, CASE WHEN random() < 0.3 THEN c::date + floor(random() * 500)::int END) AS active
FROM generate_series(1, :rows) AS i,
     LATERAL (SELECT timestamptz '2021-01-01' + (random() + 0 * i) * interval '1700 days' AS c) AS t;
-- Open deals have no close date.
UPDATE bench_deals SET closed_at = NULL WHERE stage NOT LIKE 'Closed%';
VACUUM ANALYZE bench_deals;
TRUNCATE bench_meta;
INSERT INTO bench_meta VALUES (:rows, :reps);
\endif

-- Runs a query, returns its time in milliseconds and a fingerprint of its
-- rows (hashing every row keeps every output column computed).
CREATE OR REPLACE FUNCTION pg_temp.bench_time(q text, OUT ms float8, OUT fingerprint bigint)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  EXECUTE 'SELECT sum(hashtext(r::text)::bigint) FROM (' || q || ') r' INTO fingerprint;
  ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
