--
-- Scalar helpers and their KPI_SPEC test vectors.
--

-- growth_rate: sales 1,000,000 -> 1,200,000 is 0.2.
SELECT growth_rate(1200000, 1000000) AS growth, growth_rate(800, 1000) AS decline,
       growth_rate(5, 0) AS from_zero, growth_rate(NULL, 1) AS null_arg;

-- cac: 10,000 spend for 100 new customers is 100.
SELECT cac(10000, 100) AS cac, cac(10000, 3) AS rounded_to_8_places,
       cac(500, 0) AS no_customers, cac(0, 10) AS free;

-- lead_conversion_rate: 50 of 500 is 0.1; 4 of 7.
SELECT lead_conversion_rate(50, 500) AS ten_percent, lead_conversion_rate(4, 7) AS four_of_seven,
       lead_conversion_rate(0, 0) AS no_leads;

-- quota_attainment and market_share.
SELECT quota_attainment(120000, 100000) AS over_quota, quota_attainment(-500, 1000) AS clawback,
       quota_attainment(10, 0) AS no_quota;
SELECT market_share(25, 100) AS share, market_share(0, 0) AS no_market;

-- Rep retention: 10 at start, 2 hired, 11 at end is 0.9.
SELECT rep_retention_rate(11, 2, 10) AS reps, rep_retention_rate(0, 0, 0) AS nobody;
-- Customer retention: 200 at start, 40 new, 220 at end is 0.9.
SELECT customer_retention_rate(220, 40, 200) AS customers;

-- The scalar CLV (KPI_SPEC: 100 x 4 x 3 = 1200) and a monthly plan: 1,200 a
-- year is 100 a month.
SELECT clv(100, 4, 3) AS clv, 1200 / 12 AS monthly_plan;
