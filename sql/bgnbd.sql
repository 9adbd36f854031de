--
-- The BG/NBD and Gamma-Gamma closed forms, against the figures published
-- for the CDNOW sample (weeks) and against each other.
--

-- P(X(t) = n) at the paper's rounded parameters (0.243, 4.414, 0.793,
-- 2.426): P(X(39) = 0) = 0.5737864, P(X(2) = 10) = 1.07869e-07.
SELECT round(bgnbd_purchase_probability(bgnbd_params(0.243, 4.414, 0.793, 2.426), 39, 0)::numeric, 7) AS p_39_0,
       to_char(bgnbd_purchase_probability(bgnbd_params(0.243, 4.414, 0.793, 2.426), 2, 10), '9.99999EEEE') AS p_2_10;

-- E[X(t)] of a new customer at the fitted parameters (0.242593, 4.413532,
-- 0.792886, 2.425752): published 0.0078, 0.0532, 0.1506, 1.0405, 1.0437,
-- 1.8576 (to 0.001).
SELECT t, round(bgnbd_expected_purchases(bgnbd_params(0.242593, 4.413532, 0.792886, 2.425752), t)::numeric, 4) AS expected
FROM unnest(ARRAY[0.1429, 1, 3, 31.8571, 32, 78]::float8[]) AS t;
-- E[X(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226.
SELECT round(bgnbd_expected_purchases(bgnbd_params(0.242593, 4.413532, 0.792886, 2.425752), 39, 2, 30.43, 38.86)::numeric, 4)
       AS conditional;

-- The distribution adds up: Σ P(X(t) = n) is 1, and Σ n P(X(t) = n) is
-- E[X(t)], for several horizons.
SELECT t, round(sum(p)::numeric, 9) AS total, round((sum(n * p) - e)::numeric, 9) AS mean_minus_expected
FROM (SELECT t, n, bgnbd_purchase_probability(m, t, n) AS p, bgnbd_expected_purchases(m, t) AS e
      FROM (SELECT bgnbd_params(0.242593, 4.413532, 0.792886, 2.425752) AS m) x,
           unnest(ARRAY[1, 10, 39]::float8[]) AS t, generate_series(0, 400) AS n) d
GROUP BY t, e ORDER BY t;

-- P(alive): 1 without repeat purchases; lower the longer since the last.
SELECT x, tx, round(bgnbd_p_alive(bgnbd_params(0.242593, 4.413532, 0.792886, 2.425752), x, tx, 38.86)::numeric, 4) AS p_alive
FROM (VALUES (0, 0), (2, 30.43), (2, 10), (7, 29.43), (7, 38.86)) AS v(x, tx);
-- Expected purchases of an inactive-looking customer are lower than of a
-- recent one with the same frequency.
SELECT bgnbd_expected_purchases(m, 39, 2, 10, 38.86) < bgnbd_expected_purchases(m, 39, 2, 38, 38.86) AS recency_matters
FROM (SELECT bgnbd_params(0.242593, 4.413532, 0.792886, 2.425752) AS m) x;

-- Gamma-Gamma expected spend at (6.25, 3.74, 15.44) of CDNOW customers 1-10
-- (x, mean spend): published 24.65, 18.91, 35.17 (three), 71.46, 18.91,
-- 35.17, 27.28, 35.17, to 0.1 (the population mean 15.44 x 6.25 / 2.74 =
-- 35.22 at these rounded parameters).
SELECT id, round(gamma_gamma_expected_spend(gamma_gamma_params(6.25, 3.74, 15.44), x, spend), 2) AS expected_spend
FROM (VALUES (1, 2, 22.35), (2, 1, 11.77), (3, 0, 0.00), (4, 0, 0.00), (5, 0, 0.00), (6, 7, 73.74),
             (7, 1, 11.77), (8, 0, 0.00), (9, 2, 25.55), (10, 0, 0.00)) AS v(id, x, spend)
ORDER BY id;

-- Errors.
\set VERBOSITY terse
SELECT bgnbd_expected_purchases(bgnbd_params(0, 4.4, 0.8, 2.4), 1);
SELECT bgnbd_expected_purchases(bgnbd_params(0.2, 'NaN', 0.8, 2.4), 1);
SELECT bgnbd_expected_purchases(bgnbd_params(0.2, 4.4, 0.8, 2.4), -1);
SELECT bgnbd_expected_purchases(bgnbd_params(0.2, 4.4, 1, 2.4), 1);
SELECT bgnbd_p_alive(bgnbd_params(0.2, 4.4, 0.8, 2.4), -1, 0, 10);
SELECT bgnbd_p_alive(bgnbd_params(0.2, 4.4, 0.8, 2.4), 2, 12, 10);
SELECT bgnbd_p_alive(bgnbd_params(0.2, 4.4, 0.8, 2.4), 2, 5, 0);
SELECT bgnbd_p_alive(bgnbd_params(0.2, 4.4, 0.8, 2.4), 0, 5, 10);
SELECT bgnbd_purchase_probability(bgnbd_params(0.2, 4.4, 0.8, 2.4), 1, -1);
SELECT gamma_gamma_expected_spend(gamma_gamma_params(6.25, 0.9, 15.44), 1, 10);
SELECT gamma_gamma_expected_spend(gamma_gamma_params(6.25, 3.74, 15.44), 1, -10);
\set VERBOSITY default
SELECT bgnbd_expected_purchases(NULL::sales_kpi.bgnbd_params, 1) AS null_params;

-- bgnbd_fit on customers drawn from the model's own process with known
-- parameters r = 2, alpha = 10, a = 1, b = 3 (integer shapes, so that the
-- gamma and beta draws are sums of exponentials): 10,000 customers first
-- seen between 20 and 52 weeks ago; each buys at a Poisson rate drawn from
-- Gamma(r, alpha) and, after each repeat purchase, drops out with a
-- probability drawn from Beta(a, b).  The estimates must fall within 10%
-- of r and alpha and 15% of a and b: at this size their sampling errors are
-- a few percent (the paper's standard errors on 2,357 CDNOW customers,
-- scaled by sqrt(2357/10000), are about 2.5%, 4%, 11% and 14%).
SELECT setseed(0.42);
CREATE TABLE bgnbd_sim AS
WITH c AS (
    SELECT i, (-ln(random()) - ln(random())) / 10 AS rate,
           -ln(random()) AS g1, -ln(random()) - ln(random()) - ln(random()) AS g3,
           20 + random() * 32 AS age
    FROM generate_series(1, 10000) AS i
), k AS (
    SELECT i, rate, age, 1 + floor(ln(random()) / ln(1 - g1 / (g1 + g3)))::int AS k FROM c
), purchases AS (
    SELECT k.i, k.k, k.age, s.j, sum(-ln(random()) / k.rate) OVER (PARTITION BY k.i ORDER BY s.j) AS at
    FROM k CROSS JOIN generate_series(1, 80) AS s(j)
)
SELECT i, count(*) FILTER (WHERE at <= age AND j <= k)::int AS x,
       coalesce(max(at) FILTER (WHERE at <= age AND j <= k), 0) AS tx, min(age) AS age,
       -- still active: it has not made the purchase after which it drops out
       count(*) FILTER (WHERE at <= age AND j <= k) < min(k) AS active
FROM purchases GROUP BY i;
ANALYZE bgnbd_sim;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE fit_serial AS SELECT bgnbd_fit(x, tx, age) AS f FROM bgnbd_sim;
SELECT (f).customers, abs((f).r / 2 - 1) < 0.10 AS r_ok, abs((f).alpha / 10 - 1) < 0.10 AS alpha_ok,
       abs((f).a / 1 - 1) < 0.15 AS a_ok, abs((f).b / 3 - 1) < 0.15 AS b_ok, (f).log_likelihood < 0 AS ll_negative
FROM fit_serial;
-- Serial and parallel plans give identical parameters (the same sorted
-- customers are summed in the same order).
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT bgnbd_fit(x, tx, age) FROM bgnbd_sim;
SELECT (SELECT bgnbd_fit(x, tx, age) FROM bgnbd_sim) = (SELECT f FROM fit_serial) AS identical;
COMMIT;
RESET max_parallel_workers_per_gather;
-- Customers who never drop out, all buying at the rate 0.1: the likelihood
-- is highest at the edge of the parameter space (no drop-out, one rate for
-- all); the fit converges towards it (searching within exp(+-20)) rather
-- than wandering or failing: a mean drop-out probability a / (a + b) of
-- nearly 0, and the rate r / alpha within 5% of 0.1.
SELECT setseed(0.7);
SELECT (f).a / ((f).a + (f).b) < 1e-6 AS no_drop_out, abs((f).r / (f).alpha / 0.1 - 1) < 0.05 AS rate_ok
FROM (SELECT bgnbd_fit(x, tx, age) AS f
      FROM (SELECT i, count(*) FILTER (WHERE at <= 50)::int AS x,
                   coalesce(max(at) FILTER (WHERE at <= 50), 0) AS tx, 50::float8 AS age
            FROM (SELECT i, sum(-ln(random()) / 0.1) OVER (PARTITION BY i ORDER BY j) AS at
                  FROM generate_series(1, 2000) AS i, generate_series(1, 40) AS j) p
            GROUP BY i) c) s;
-- Undefined with fewer customers than parameters: NULL.
SELECT bgnbd_fit(x, tx, age) IS NULL AS three_customers FROM (SELECT * FROM bgnbd_sim ORDER BY i LIMIT 3) s;
SELECT bgnbd_fit(x, tx, age) IS NULL AS no_customers FROM bgnbd_sim WHERE false;
-- P(alive) is calibrated: its mean over the customers is the share that
-- the simulation left active, to within 0.02.
SELECT abs(avg(bgnbd_p_alive(f, x, tx, age)) - avg(active::int)) < 0.02 AS p_alive_calibrated,
       round(avg(bgnbd_expected_purchases(f, 20, x, tx, age))::numeric, 2) AS mean_next_20_weeks
FROM bgnbd_sim, fit_serial;
-- gamma_gamma_fit on 20,000 repeat buyers drawn from the model with p = 6,
-- q = 4, v = 15 (integer shapes again): each customer's scale nu ~ Gamma(q,
-- v), each of its 1 to 8 purchases ~ Gamma(p, nu).  q and the population's
-- mean spend v p / (q - 1) = 30 are sharply determined, p and v less so
-- (they trade off): over four seeds the estimates stayed within 7% (p), 1%
-- (q), 9% (v) and 0.3% (the mean); the test allows 15%, 5%, 15% and 2%.
SELECT setseed(0.3);
CREATE TABLE gg_sim AS
WITH c AS (
    SELECT i, 1 + floor(random() * 8)::int AS x,
           (-ln(random()) - ln(random()) - ln(random()) - ln(random())) / 15 AS nu
    FROM generate_series(1, 20000) AS i
)
SELECT c.i, c.x,
       avg((-ln(random()) - ln(random()) - ln(random()) - ln(random()) - ln(random()) - ln(random())) / c.nu)::numeric
         AS mean_spend
FROM c CROSS JOIN LATERAL generate_series(1, c.x) AS j
GROUP BY c.i, c.x;
INSERT INTO gg_sim SELECT -i, 0, 0 FROM generate_series(1, 100) AS i;  -- no repeat purchase: skipped
ANALYZE gg_sim;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE gg_serial AS SELECT gamma_gamma_fit(x, mean_spend) AS f FROM gg_sim;
SELECT (f).customers, abs((f).p / 6 - 1) < 0.15 AS p_ok, abs((f).q / 4 - 1) < 0.05 AS q_ok,
       abs((f).v / 15 - 1) < 0.15 AS v_ok, abs((f).v * (f).p / ((f).q - 1) / 30 - 1) < 0.02 AS mean_ok
FROM gg_serial;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT (SELECT gamma_gamma_fit(x, mean_spend) FROM gg_sim) = (SELECT f FROM gg_serial) AS identical;
COMMIT;
RESET max_parallel_workers_per_gather;
SELECT gamma_gamma_fit(x, mean_spend) IS NULL AS no_repeat_buyers FROM gg_sim WHERE x = 0;
SELECT gamma_gamma_fit(x, mean_spend) IS NULL AS two_repeat_buyers FROM (SELECT * FROM gg_sim WHERE x > 0 LIMIT 2) s;
DROP TABLE gg_sim;

\set VERBOSITY terse
SELECT gamma_gamma_fit(x, m) FROM (VALUES (2, -1.0)) AS v(x, m);
SELECT gamma_gamma_fit(x, m) FROM (VALUES (2, 0.0)) AS v(x, m);
SELECT gamma_gamma_fit(x, m) FROM (VALUES (2, 'NaN'::numeric)) AS v(x, m);
SELECT bgnbd_fit(x, tx, age) FROM (VALUES (-1, 0.0, 10.0)) AS v(x, tx, age);
SELECT bgnbd_fit(x, tx, age) FROM (VALUES (1, 12.0, 10.0)) AS v(x, tx, age);
SELECT bgnbd_fit(x, tx, age) FROM (VALUES (1, 1.0, 'Infinity'::float8)) AS v(x, tx, age);
\set VERBOSITY default
DROP TABLE bgnbd_sim;

-- customer_rfm: periods of a day counted back from the end (2024-01-31
-- 00:00: the last period is January 30, as lifetimes' observation end
-- 2024-01-30).  Purchases on January 1 (two: one purchase of 30), 11 and
-- 25, and one after the end (not counted): frequency 2, recency 24 (January
-- 1 to 25), age 29 (to January 30), mean spend of the repeats (15 + 45) / 2
-- = 30.  In weeks back from the end, the same days fall 4, 2 and 0 weeks
-- back: frequency 2, recency 4, age 4.
SELECT (customer_rfm(at, amount, timestamptz '2024-01-31 00:00+00', '1 day')).*
FROM (VALUES ('2024-01-01 09:00+00'::timestamptz, 10.00), ('2024-01-01 17:00+00', 20.00),
             ('2024-01-11 12:00+00', 15.00), ('2024-01-25 08:00+00', 45.00), ('2024-02-05 08:00+00', 99.00)) AS v(at, amount);
SELECT (customer_rfm(at, amount, timestamptz '2024-01-31 00:00+00', '7 days')).*
FROM (VALUES ('2024-01-01 09:00+00'::timestamptz, 10.00), ('2024-01-11 12:00+00', 15.00),
             ('2024-01-25 08:00+00', 45.00)) AS v(at, amount);
-- One purchase: no repeat, mean spend 0; none by the end: NULL.
SELECT (customer_rfm(at, 10.0, timestamptz '2024-01-31 00:00+00', '1 day')).*
FROM (VALUES ('2024-01-21 09:00+00'::timestamptz)) AS v(at);
SELECT customer_rfm(at, 10.0, timestamptz '2024-01-31 00:00+00', '1 day') IS NULL AS none
FROM (VALUES ('2024-02-21 09:00+00'::timestamptz)) AS v(at);
-- Per customer, in parallel, equal to the serial answer.
CREATE TABLE rfm_purchases AS
SELECT i % 500 AS customer_id, timestamptz '2023-01-01 00:00+00' + (i * 7919 % 600) * interval '1 day 3 hours' AS at,
       (i * 31 % 997)::numeric / 4 AS amount
FROM generate_series(1, 20000) AS i;
ANALYZE rfm_purchases;
CREATE TEMP TABLE rfm_serial AS
SELECT customer_id, customer_rfm(at, amount, '2025-01-01 00:00+00', '1 day') AS rfm FROM rfm_purchases GROUP BY 1;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_hashagg = off;
SELECT count(*) AS customers, count(*) FILTER (WHERE s.rfm IS DISTINCT FROM p.rfm) AS differing
FROM rfm_serial s JOIN (SELECT customer_id, customer_rfm(at, amount, '2025-01-01 00:00+00', '1 day') AS rfm
                        FROM rfm_purchases GROUP BY 1) p USING (customer_id);
COMMIT;
DROP TABLE rfm_purchases;
\set VERBOSITY terse
SELECT customer_rfm(now(), -1, now(), '1 day');
SELECT customer_rfm(now(), 1, now(), '1 month');
SELECT customer_rfm(now(), 1, now(), '-1 day');
SELECT customer_rfm(at, 1, e, '1 day') FROM (VALUES (now(), now()), (now(), now() + interval '1 day')) AS v(at, e);
\set VERBOSITY default

-- predicted_clv: no horizon, no value; without discounting, the expected
-- purchases over the whole horizon times the expected spend.
SELECT predicted_clv(m, g, 2, 30.43, 38.86, 22.35, 0, 0.01, 4.345) AS no_horizon,
       predicted_clv(m, g, 2, 30.43, 38.86, 22.35, 12, 0, 4.345)
         = round((bgnbd_expected_purchases(m, 12 * 4.345, 2, 30.43, 38.86)
                  * gamma_gamma_expected_spend(g, 2, 22.35)::float8)::numeric, 8) AS undiscounted,
       predicted_clv(m, g, 2, 30.43, 38.86, 22.35, 12, 0.01, 4.345)
         < predicted_clv(m, g, 2, 30.43, 38.86, 22.35, 12, 0, 4.345) AS discounting_lowers
FROM (SELECT bgnbd_params(0.242593, 4.413532, 0.792886, 2.425752) AS m, gamma_gamma_params(6.25, 3.74, 15.44) AS g) x;
\set VERBOSITY terse
SELECT predicted_clv(bgnbd_params(0.24, 4.4, 0.79, 2.4), gamma_gamma_params(6.25, 3.74, 15.44), 2, 30, 38, 22, 12, -1, 4);
\set VERBOSITY default
