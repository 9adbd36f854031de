-- Benchmark data and helpers; run by bench/run with -v rows=N -v reps=M.
-- The data is generated once per size and reused.
--
-- bench_deals is one row per deal, shaped for every KPI of the benchmark:
-- its stage, amount and dates, a rep's start date (for ramp time), a
-- contract term (ACV) and a customer's active range (retention).  Stages
-- come spelled as the CRMs a revenue team merges spell them: Salesforce
-- ('Closed Won'), HubSpot ('closedwon', 'qualifiedtobuy'), the CRM Sales
-- Opportunities data set ('Won', 'Engaging') and hand-made CSV imports
-- ('closed_won', 'CLOSED-LOST'), so that SQL which compares stage names
-- must list every spelling to count right, as it must on such data.
-- Fixed-width columns come first (the layout that avoids alignment padding
-- in a wide table, and lets PostgreSQL find them at fixed offsets); README's
-- Performance section says what the layout changes.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
-- The extension as built now (an install left from an earlier build would
-- be stale); the data below does not depend on it.
DROP EXTENSION IF EXISTS sales_kpi CASCADE;
CREATE EXTENSION sales_kpi;

CREATE TABLE IF NOT EXISTS bench_meta (rows bigint, reps int, layout int);
ALTER TABLE bench_meta ADD COLUMN IF NOT EXISTS layout int;
SELECT coalesce((SELECT rows = :rows AND reps = :reps AND layout = 2 FROM bench_meta), false) AS have_data \gset
\if :have_data
\echo 'bench: reusing' :rows 'deals'
\else
\echo 'bench: generating' :rows 'deals for' :reps 'reps ...'
DROP TABLE IF EXISTS bench_deals;
SELECT setseed(0.5) \gset
CREATE UNLOGGED TABLE bench_deals AS
SELECT i AS deal_id,
       1 + floor(random() * (:rows / 10))::bigint AS customer_id,
       1 + (i % :reps)::int AS rep_id,
       c AS created_at,
       -- open deals (k < 8) have no close date
       CASE WHEN k >= 8 THEN c + (1 + random() * 180) * interval '1 day' END AS closed_at,
       c - (1 + random() * 60) * interval '1 day' AS started_at,
       -- half open, a quarter won, a quarter lost, each in several spellings
       (ARRAY['Prospecting', 'Qualification', 'Proposal', 'Negotiation',
              'appointmentscheduled', 'qualifiedtobuy', 'contractsent', 'Engaging',
              'Closed Won', 'closedwon', 'Won', 'closed_won',
              'Closed Lost', 'closedlost', 'Lost', 'CLOSED-LOST'])[1 + k] AS stage,
       round((100 + random() * 20000)::numeric, 2) AS amount,
       daterange(c::date, (c + (180 + floor(random() * 900)::int) * interval '1 day')::date) AS term,
       daterange(c::date - 400, CASE WHEN random() < 0.3 THEN c::date + floor(random() * 500)::int END) AS active
FROM generate_series(1, :rows) AS i,
     LATERAL (SELECT timestamptz '2021-01-01' + (random() + 0 * i) * interval '1700 days' AS c,
                     floor(random() * 16 + 0 * i)::int AS k) AS t;
VACUUM ANALYZE bench_deals;
TRUNCATE bench_meta;
INSERT INTO bench_meta VALUES (:rows, :reps, 2);
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
