--
-- clv(): the scalar product and the aggregate over purchase rows.
--

-- KPI_SPEC test vector: 100 x 4 x 3 = 1200.
SELECT clv(100, 4, 3) AS clv;
SELECT clv(99.90, 2.5, 1.5) AS clv, clv(NULL, 4, 3) AS null_arg;

-- One purchase per customer, all within a year: CLV = mean revenue per
-- customer, (100 + 200 + 600) / 3 = 300.
SELECT clv(customer_id, amount, purchased_at) AS mean_revenue
FROM (VALUES (1, 100, '2024-01-05'::timestamptz), (2, 200, '2024-03-01'),
             (3, 600, '2024-12-31')) AS v(customer_id, amount, purchased_at);

-- A hand-worked case.  Customer 1: 100, 200, 300 over exactly two years of
-- 365.25 days (tenure 2, 1.5 purchases a year); customer 2: one purchase of
-- 400 (tenure 1, 1 a year).  V = 1000 / 4 = 250, F = (1.5 + 1) / 2 = 1.25,
-- L = (2 + 1) / 2 = 1.5, CLV = 250 x 1.25 x 1.5 = 468.75.
CREATE TABLE purchases (customer_id bigint, amount numeric, purchased_at timestamptz);
INSERT INTO purchases VALUES
  (1, 100, '2020-01-01 00:00'), (1, 200, '2021-01-01'), (1, 300, '2021-12-31 12:00'),
  (2, 400, '2020-06-01');
SELECT clv(customer_id, amount, purchased_at) AS clv FROM purchases;

-- Rows with a NULL input do not count.
INSERT INTO purchases VALUES (NULL, 1000, '2020-01-01'), (3, NULL, '2020-01-01'), (3, 1000, NULL);
SELECT clv(customer_id, amount, purchased_at) AS clv_unchanged FROM purchases;

-- Customers seen in several groups count in each; an empty group is NULL.
SELECT g, clv(customer_id, amount, purchased_at)
FROM (VALUES (1, 1, 10, '2024-01-01'::timestamptz), (1, 1, 30, '2024-02-01'),
             (2, 1, 50, '2024-01-01'), (2, 2, 70, '2024-01-01')) AS v(g, customer_id, amount, purchased_at)
GROUP BY g ORDER BY g;
SELECT clv(customer_id, amount, purchased_at) AS empty FROM purchases WHERE false;

-- Exact money: no float rounding in the sum.
SELECT clv(c, a, t) AS exact
FROM (VALUES (1, 0.1, '2024-01-01'::timestamptz), (2, 0.2, '2024-01-01')) AS v(c, a, t);

-- Exact in every digit, also where V x F x L needs more digits than a float8
-- holds.  Customers 1 and 2 buy once, customer 3 twice, all within a year:
-- F = (1 + 1 + 2) / 3 = 4/3, L = 1, V = (123456789012.34 + 1 + 1 + 1) / 4,
-- so CLV = 123456789015.34 / 3 = 41152263005.11333333 (rounded once at the
-- 8th decimal); through a float8 F x L it read 41152263005.11332302.
SELECT clv(c, a, t) AS exact_digits,
       round(123456789015.34 / 3, 8) AS by_hand
FROM (VALUES (1, 123456789012.34, '2024-01-01'::timestamptz), (2, 1, '2024-01-01'),
             (3, 1, '2024-01-01'), (3, 1, '2024-06-01')) AS v(c, a, t);
-- Rounded once, half away from zero: three customers buying once, for 1, 1
-- and 0, are worth 2/3 each, 0.66666667; refunds of the same, -0.66666667.
SELECT g, clv(c, a, t) AS two_thirds
FROM (VALUES (1, 1, 1, '2024-01-01'::timestamptz), (1, 2, 1, '2024-01-01'), (1, 3, 0, '2024-01-01'),
             (2, 1, -1, '2024-01-01'), (2, 2, -1, '2024-01-01'), (2, 3, 0, '2024-01-01')) AS v(g, c, a, t)
GROUP BY g ORDER BY g;

-- As a window function (no inverse: each frame is recomputed).
SELECT customer_id, purchased_at,
       clv(customer_id, amount, purchased_at) OVER (ORDER BY purchased_at, customer_id ROWS 1 PRECEDING) AS last_two
FROM purchases WHERE customer_id IS NOT NULL AND amount IS NOT NULL AND purchased_at IS NOT NULL
ORDER BY purchased_at, customer_id;

-- Text ids keep customers apart as numbers do, however many a group holds:
-- one group of 60,000 customers (their records fill the text state's first
-- chunk as it grows from 256 bytes, then more chunks of 1 MB) and 5,000
-- groups of a dozen.
CREATE TEMP TABLE many AS
SELECT i % 60000 AS c, 100 + i % 37 AS a,
       timestamptz '2024-01-01' + (i % 700) * interval '1 day' + (i / 60000) * interval '90 days' AS t
FROM generate_series(1, 90000) AS i;
SELECT clv(c, a, t) = clv('customer-' || lpad(c::text, 12, '0'), a, t) AS one_group_same,
       clv(c, a, t) IS NOT NULL AS defined
FROM many;
SELECT count(*) AS groups, count(b) AS defined, count(*) FILTER (WHERE b IS DISTINCT FROM x) AS differing
FROM (SELECT c % 5000 AS g, clv(c, a, t) AS b, clv('customer-' || lpad(c::text, 12, '0'), a, t) AS x
      FROM many GROUP BY 1) AS per_group;
DROP TABLE many;

DROP TABLE purchases;

-- Every digit against the exact fraction computed in numeric, over 3,000
-- groups of 1 to 30 customers: amounts of 0 to 4 decimals, refunds,
-- sums of 10^12 and more, and ties at the 9th decimal (a single customer
-- within a year is worth their sum, so 0.000000005 rounds half away from
-- zero to 0.00000001).  CLV is
--   sum(amount) * sum_c(F_c) * sum_c(tenure_c)
--   / (purchases * 2^60 * customers^2 * usecs_per_year)
-- with tenure_c in microseconds (at least a year of 365.25 days) and F_c
-- = purchases_c * usecs_per_year / tenure_c in units of 2^-60, rounded
-- half up; the quotient is rounded once, half away from zero, to 8
-- decimal places.
CREATE TEMP TABLE clv_rows AS
SELECT g, c, a, t
FROM (SELECT i % 3000 AS g,
             (i * 7919) % (1 + (i % 3000) % 30) AS c,
             CASE (i % 3000) % 6
                 WHEN 0 THEN ((i * 37) % 100000) / 100.0
                 WHEN 1 THEN ((i * 53) % 10000000) / 10000.0
                 WHEN 2 THEN (i * 31) % 1000
                 WHEN 3 THEN -((i * 17) % 10000) / 100.0
                 WHEN 4 THEN ((i::bigint * 104729 * 1000003) % 1000000000000000) / 100.0
                 ELSE ((i * 7) % 1000) / 1000.0
             END AS a,
             timestamptz '2021-01-01' + ((i * 7907) % 2000000) * interval '1 minute'
                 + ((i * 13) % 1000000) * interval '1 microsecond' AS t
      FROM generate_series(1, 60000) AS i) AS r
UNION ALL
SELECT 3000 + k, 1, v, timestamptz '2024-01-01'
FROM unnest(ARRAY[0.000000005, -0.000000005, 0.000000015, 0.0000000050000001,
                  0.0000000049999999, 12345678.123456785]) WITH ORDINALITY AS u(v, k);
WITH per_customer AS (
    SELECT g, c, count(*) AS p,
           greatest(((extract(epoch FROM max(t)) - extract(epoch FROM min(t))) * 1000000),
                    31557600000000) AS tenure
    FROM clv_rows GROUP BY g, c
), sums AS (
    SELECT g, count(*) AS customers, sum(p) AS purchases, sum(tenure) AS tenures,
           sum(div(p::numeric * 31557600000000 * 1152921504606846976 + div(tenure, 2), tenure)) AS freq
    FROM per_customer GROUP BY g
), fraction AS (
    SELECT s.g, sign(a.total) AS sign,
           abs(a.total) * s.freq * s.tenures * 100000000 AS num,
           s.purchases * 1152921504606846976 * s.customers * s.customers * 31557600000000 AS den
    FROM sums s JOIN (SELECT g, sum(a) AS total FROM clv_rows GROUP BY g) a USING (g)
), reference AS (
    SELECT g, trim_scale(sign * (div(num, den) + CASE WHEN 2 * mod(num, den) >= den THEN 1 ELSE 0 END)
                         * 0.00000001) AS clv
    FROM fraction
), computed AS (
    SELECT g, clv(c, a, t) AS by_bigint, clv('c' || c, a, t) AS by_text
    FROM clv_rows GROUP BY g
)
SELECT count(*) AS groups,
       count(*) FILTER (WHERE abs(r.clv) >= 1e9) AS above_a_billion,
       count(*) FILTER (WHERE r.clv < 0) AS negative,
       count(*) FILTER (WHERE r.clv = 0) AS zero,
       count(*) FILTER (WHERE k.by_bigint::text IS DISTINCT FROM r.clv::text) AS bigint_differing,
       count(*) FILTER (WHERE k.by_text::text IS DISTINCT FROM r.clv::text) AS text_differing
FROM reference r JOIN computed k USING (g);
SELECT g - 3000 AS tie, clv(c, a, t) FROM clv_rows WHERE g > 3000 GROUP BY g ORDER BY g;
DROP TABLE clv_rows;
