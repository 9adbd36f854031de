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
