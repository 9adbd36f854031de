--
-- sales_cycle_percentile() and deal_size_percentile(): exact percentiles as
-- ordinary aggregates.  Test vectors, then differential tests against
-- percentile_cont() and a plain-SQL reference: serial, forced parallel,
-- sliding window frames, summaries and rollup(); then NULLs and errors.
--

-- Vectors.  The median of 1, 2, 3, 4 is 2.5; of an odd count, the middle.
SELECT deal_size_percentile(a, 0.5) AS median_even,
       deal_size_percentile(a, 0) AS minimum, deal_size_percentile(a, 1) AS maximum,
       deal_size_percentile(a, 0.9) AS p90   -- p = 2.7: 3 + (4 - 3) * 0.7
FROM (VALUES (4.00), (1.00), (3.00), (2.00)) AS v(a);
SELECT deal_size_percentile(a, 0.5) AS median_odd FROM (VALUES (10), (1000), (7)) AS v(a);
-- Exact where float8 is not: 0.1 of the way between two 20-digit amounts.
SELECT deal_size_percentile(a, 0.1) AS exact,
       percentile_cont(0.1) WITHIN GROUP (ORDER BY a::float8) AS float8_answer
FROM (VALUES (12345678901234567890.01), (12345678901234567891.01)) AS v(a);
-- Durations: closed - created of 1, 2, 3 and 10 days; the median 2.5 days.
SELECT sales_cycle_percentile(c, c + d * interval '1 day', 0.5) AS median,
       sales_cycle_percentile(c, c + d * interval '1 day', 0.75) AS p75
FROM (VALUES (1), (10), (3), (2)) AS v(d), (VALUES (timestamptz '2024-01-09 12:00+00')) AS s(c);

-- Generated data: 5,000 deals over 40 reps, amounts of two decimals (with
-- ties), cycles to the microsecond, some NULLs.
CREATE TABLE pct_deals AS
SELECT i AS id, 1 + i % 40 AS rep_id,
       CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 7919) % 100000) / 4.0 END::numeric(12, 2) AS amount,
       c AS created_at,
       CASE WHEN i % 17 = 0 THEN NULL
            ELSE c + ((i * 104729) % 20000000) * interval '1 second' + (i % 999983) * interval '1 microsecond' END AS closed_at
FROM generate_series(1, 5000) AS i,
     LATERAL (SELECT timestamptz '2023-01-01' + ((i * 31) % 700) * interval '1 day' + (i % 86400) * interval '1 second' AS c) AS t;
ANALYZE pct_deals;

-- The plain-SQL reference of deal_size_percentile: rows numbered in order,
-- p = fraction * (n - 1) computed as a decimal, exact interpolation.
CREATE FUNCTION pg_temp.size_reference(amounts numeric[], fraction float8) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    WITH v AS (SELECT a, row_number() OVER (ORDER BY a) - 1 AS k FROM unnest(amounts) AS a WHERE a IS NOT NULL),
         p AS (SELECT fraction::numeric * (count(*) - 1) AS p FROM v HAVING count(*) > 0)
    SELECT lo.a + CASE WHEN p.p = floor(p.p) THEN 0 ELSE (hi.a - lo.a) * (p.p - floor(p.p)) END
    FROM p JOIN v AS lo ON lo.k = floor(p.p) LEFT JOIN v AS hi ON hi.k = floor(p.p) + 1
$$;

CREATE TEMP TABLE fractions AS SELECT unnest(ARRAY[0, 0.01, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 0.99, 1]::float8[]) AS f;

-- Serial: per rep and fraction, against percentile_cont (cycles, exactly;
-- amounts through float8, within its precision) and the exact reference.
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_answer AS
SELECT rep_id, f,
       sales_cycle_percentile(created_at, closed_at, f) AS cycle,
       percentile_cont(f) WITHIN GROUP (ORDER BY closed_at - created_at) AS cycle_cont,
       deal_size_percentile(amount, f) AS size,
       percentile_cont(f) WITHIN GROUP (ORDER BY amount::float8) AS size_cont,
       pg_temp.size_reference(array_agg(amount), f) AS size_reference
FROM pct_deals, fractions GROUP BY rep_id, f;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE cycle IS DISTINCT FROM cycle_cont) AS cycle_differing,
       count(*) FILTER (WHERE size IS DISTINCT FROM size_reference) AS size_differing,
       count(*) FILTER (WHERE abs(size::float8 - size_cont) > 1e-9 * greatest(1, abs(size_cont))) AS size_float_differing
FROM serial_answer;
-- Across a change of daylight saving time (US, 10 March 2024, in the
-- tests' time zone): durations of 23, 47, 71 and 239 hours, the median 59
-- hours.  percentile_cont answers '1 day 35 hours'; the same span, shown in
-- days and hours.
SELECT sales_cycle_percentile(c, c + d * interval '1 day', 0.5) AS median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c + d * interval '1 day' - c) AS percentile_cont,
       sales_cycle_percentile(c, c + d * interval '1 day', 0.5)
         = percentile_cont(0.5) WITHIN GROUP (ORDER BY c + d * interval '1 day' - c) AS equal
FROM (VALUES (1), (10), (3), (2)) AS v(d), (VALUES (timestamptz '2024-03-09 12:00-08')) AS s(c);
-- Over all rows at once, and with no rows.
SELECT sales_cycle_percentile(created_at, closed_at, 0.5) = percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_at - created_at) AS cycle_median,
       deal_size_percentile(amount, 0.5) = pg_temp.size_reference(array_agg(amount), 0.5) AS size_median
FROM pct_deals;
SELECT sales_cycle_percentile(created_at, closed_at, 0.5) AS no_rows, deal_size_percentile(amount, 0.5) AS no_rows
FROM pct_deals WHERE false;

-- Amounts of every sign, size and scale (the state orders them by their
-- digits): each percentile equals the reference, which sorts with numeric's
-- own comparison.
CREATE TEMP TABLE odd_amounts AS
SELECT i % 7 AS g,
       round(((random() - 0.3) * 10 ^ (i % 29 - 8))::numeric, (i % 11)) AS a
FROM (SELECT setseed(0.31)) s, generate_series(1, 3000) AS i;
INSERT INTO odd_amounts VALUES (0, 0), (0, 0.000), (1, -0.0001), (1, 99999999999999999999999999.9999), (2, -1e-20);
SELECT count(*) AS groups_fractions,
       count(*) FILTER (WHERE x.p IS DISTINCT FROM pg_temp.size_reference(x.amounts, x.f)) AS differing
FROM (SELECT o.g, f.f, deal_size_percentile(o.a, f.f) AS p, array_agg(o.a) AS amounts
      FROM odd_amounts o, fractions f GROUP BY o.g, f.f) x;

-- Forced parallel: workers serialize partial states, the leader combines.
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT rep_id, sales_cycle_percentile(created_at, closed_at, 0.5), deal_size_percentile(amount, 0.5)
FROM pct_deals GROUP BY rep_id;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE s.cycle IS DISTINCT FROM p.cycle) AS cycle_differing,
       count(*) FILTER (WHERE s.size IS DISTINCT FROM p.size) AS size_differing
FROM serial_answer AS s
JOIN (SELECT rep_id, sales_cycle_percentile(created_at, closed_at, 0.9) AS cycle,
             deal_size_percentile(amount, 0.9) AS size
      FROM pct_deals GROUP BY rep_id) AS p USING (rep_id)
WHERE s.f = 0.9;
COMMIT;
RESET max_parallel_workers_per_gather;

-- Sliding frames (the inverse transition), ROWS and RANGE, against
-- percentile_cont over the same frame computed row by row.
CREATE TEMP TABLE windowed AS
SELECT id, rep_id,
       sales_cycle_percentile(created_at, closed_at, 0.5) OVER w AS cycle,
       deal_size_percentile(amount, 0.75) OVER w AS size,
       deal_size_percentile(amount, 0.25) OVER r AS size_range
FROM pct_deals
WINDOW w AS (PARTITION BY rep_id ORDER BY id ROWS BETWEEN 9 PRECEDING AND 3 FOLLOWING),
       r AS (PARTITION BY rep_id ORDER BY created_at RANGE BETWEEN interval '60 days' PRECEDING AND CURRENT ROW);
SELECT count(*) AS rows_,
       count(*) FILTER (WHERE w.cycle IS DISTINCT FROM
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.closed_at - d.created_at)
            FROM (SELECT * FROM pct_deals AS d WHERE d.rep_id = w.rep_id) AS d
            WHERE d.id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM pct_deals WHERE rep_id = w.rep_id) AS n
                           WHERE k BETWEEN (SELECT k FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM pct_deals WHERE rep_id = w.rep_id) AS m WHERE m.id = w.id) - 9
                                       AND (SELECT k FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM pct_deals WHERE rep_id = w.rep_id) AS m WHERE m.id = w.id) + 3))) AS cycle_differing,
       count(*) FILTER (WHERE w.size IS DISTINCT FROM
           (SELECT pg_temp.size_reference(array_agg(amount), 0.75)
            FROM (SELECT id, amount, row_number() OVER (ORDER BY id) AS k FROM pct_deals WHERE rep_id = w.rep_id) AS n
            WHERE k BETWEEN (SELECT k FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM pct_deals WHERE rep_id = w.rep_id) AS m WHERE m.id = w.id) - 9
                        AND (SELECT k FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM pct_deals WHERE rep_id = w.rep_id) AS m WHERE m.id = w.id) + 3)) AS size_differing,
       count(*) FILTER (WHERE w.size_range IS DISTINCT FROM
           (SELECT pg_temp.size_reference(array_agg(d.amount), 0.25) FROM pct_deals AS d, pct_deals AS me
            WHERE me.id = w.id AND d.rep_id = w.rep_id
              AND d.created_at BETWEEN me.created_at - interval '60 days' AND me.created_at)) AS size_range_differing
FROM windowed AS w;

-- Summaries: per rep and month, rolled up per rep, equal the direct
-- answers; a summary read at another fraction too.
CREATE TEMP TABLE pct_summaries AS
SELECT rep_id, date_trunc('month', created_at) AS month,
       sales_cycle_percentile_summary(created_at, closed_at, 0.9) AS cycle,
       deal_size_percentile_summary(amount, 0.9) AS size
FROM pct_deals GROUP BY 1, 2;
SELECT count(*) AS groups,
       count(*) FILTER (WHERE sales_cycle_percentile(r.cycle) IS DISTINCT FROM s.cycle) AS cycle_differing,
       count(*) FILTER (WHERE deal_size_percentile(r.size) IS DISTINCT FROM s.size) AS size_differing,
       count(*) FILTER (WHERE sales_cycle_percentile(r.cycle, 0.333) IS DISTINCT FROM t.cycle) AS other_fraction_cycle_differing,
       count(*) FILTER (WHERE deal_size_percentile(r.size, 0.333) IS DISTINCT FROM t.size) AS other_fraction_size_differing
FROM (SELECT rep_id, rollup(cycle) AS cycle, rollup(size) AS size FROM pct_summaries GROUP BY rep_id) AS r
JOIN serial_answer AS s ON s.rep_id = r.rep_id AND s.f = 0.9
JOIN serial_answer AS t ON t.rep_id = r.rep_id AND t.f = 0.333;
-- A summary survives its text form.
SELECT deal_size_percentile(size::text::sales_kpi.deal_size_percentile_summary) = deal_size_percentile(size) AS text_round_trip
FROM (SELECT rollup(size) AS size FROM pct_summaries) AS s;

-- NULLs: a row with any argument NULL does not count; a NULL fraction
-- everywhere gives NULL, as percentile_cont(NULL) does.
SELECT deal_size_percentile(a, f) AS skips_nulls
FROM (VALUES (1.0, 0.5), (NULL, 0.5), (3.0, 0.5), (100.0, NULL)) AS v(a, f);
SELECT deal_size_percentile(a, NULL) AS null_fraction FROM (VALUES (1.0), (2.0)) AS v(a);
SELECT sales_cycle_percentile(c, NULL, 0.5) AS open_deals_only FROM (VALUES (now())) AS v(c);

-- Errors.
\set VERBOSITY verbose
SELECT deal_size_percentile(a, 1.5) FROM (VALUES (1.0)) AS v(a);
SELECT deal_size_percentile(a, -0.1) FROM (VALUES (1.0)) AS v(a);
SELECT sales_cycle_percentile(c, c, 'NaN') FROM (VALUES (now())) AS v(c);
SELECT deal_size_percentile(a, f) FROM (VALUES (1.0, 0.5), (2.0, 0.9)) AS v(a, f);
SELECT deal_size_percentile(a, 0.5) FROM (VALUES (1.0), ('NaN')) AS v(a);
SELECT sales_cycle_percentile(timestamptz '2024-02-01', timestamptz '2024-01-01', 0.5);
SELECT sales_cycle_percentile(timestamptz '2024-02-01', 'infinity', 0.5);
-- a summary cut short after its kind byte (base64 of 0x01 0x08)
SELECT sales_cycle_percentile('AQg='::sales_kpi.sales_cycle_percentile_summary);
SELECT deal_size_percentile(s, 2) FROM (SELECT deal_size_percentile_summary(1.0, 0.5) AS s) AS x;
\set VERBOSITY default
DROP TABLE pct_deals, pct_summaries;
