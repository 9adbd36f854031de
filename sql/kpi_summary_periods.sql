-- kpi_summary_periods computes customer retention, churn and MRR from
-- running totals instead of one aggregate per period over every customer and
-- subscription.  It must give exactly what the aggregates give: checked here
-- against them, period by period, over generated customers and subscriptions
-- with every edge (unknown acquisition, no churn, acquired and churned the
-- same day, churn on a period's first or last day or after the as-of day,
-- infinite dates, unbounded and inclusive ranges, amounts of 0 to 4
-- decimals), at several as-of days and fiscal year starts.
BEGIN;
SELECT setseed(0.42);
-- the periods begin with the month of the first deal
INSERT INTO sales_kpi.reps (rep_id, name) VALUES ('kp-rep', 'Rep');
INSERT INTO sales_kpi.deals (deal_id, rep_id, stage, created_at) VALUES ('kp-deal', 'kp-rep', 'Prospecting', '2023-11-15');
INSERT INTO sales_kpi.customers (customer_id, name, acquired_on, churned_on)
SELECT 'kp-' || i, 'Customer ' || i, a, CASE WHEN random() < 0.4 THEN NULL ELSE a + (random() * 500)::int END
FROM (SELECT i, CASE WHEN random() < 0.05 THEN NULL
                     ELSE date '2024-01-01' + (random() * 1000)::int END AS a
      FROM generate_series(1, 3000) i) x;
-- the edges, by hand
INSERT INTO sales_kpi.customers (customer_id, name, acquired_on, churned_on) VALUES
    ('kp-same-day', 'Same day', '2025-03-10', '2025-03-10'),
    ('kp-q-start', 'Churned on a quarter''s first day', '2024-02-01', '2025-04-01'),
    ('kp-m-last', 'Churned on a month''s last day', '2024-02-01', '2025-04-30'),
    ('kp-m-first', 'Acquired on a month''s first day', '2025-05-01', '2025-05-20'),
    ('kp-as-of', 'Churned on the as-of day', NULL, '2025-06-30'),
    ('kp-after', 'Churned after the as-of day', '2024-06-01', '2027-01-01'),
    ('kp-minus-inf', 'Acquired at -infinity', '-infinity', '2025-02-14'),
    ('kp-plus-inf', 'Churning at infinity', '2024-12-31', 'infinity'),
    ('kp-both-minus-inf', 'Acquired and churned at -infinity', '-infinity', '-infinity'),
    ('kp-null-minus-inf', 'Churned at -infinity', NULL, '-infinity');
INSERT INTO sales_kpi.subscriptions (subscription_id, customer_id, mrr, active)
SELECT 'kps-' || i, 'kp-' || (1 + (random() * 2999)::int),
       round((random() * 900)::numeric, (random() * 4)::int),
       daterange(s, s + (random() * 400)::int + 1, CASE WHEN random() < 0.3 THEN '[]' ELSE '[)' END)
FROM (SELECT i, date '2024-01-01' + (random() * 1000)::int AS s FROM generate_series(1, 4000) i) x;
INSERT INTO sales_kpi.subscriptions (subscription_id, customer_id, mrr, active) VALUES
    ('kps-unbounded-lower', 'kp-same-day', 10, daterange(NULL, '2023-12-01')),
    ('kps-unbounded-upper', 'kp-same-day', 20.5, daterange('2025-01-15', NULL)),
    ('kps-minus-inf', 'kp-q-start', 1.125, daterange('-infinity', '2023-11-20', '[]')),
    ('kps-plus-inf', 'kp-q-start', 3, daterange('2025-02-28', 'infinity', '(]')),
    ('kps-one-day', 'kp-m-last', 7.0001, daterange('2025-03-31', '2025-03-31', '[]'));

CREATE TEMP TABLE kp_checks (as_of date, fiscal_start int, periods bigint, differing bigint);
CREATE FUNCTION pg_temp.kp_check(d date, fy int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('sales_kpi.as_of', to_char(d, 'YYYY-MM-DD'), true);
    PERFORM set_config('sales_kpi.fiscal_year_start_month', fy::text, true);
    INSERT INTO kp_checks
    SELECT d, fy, count(*),
           count(*) FILTER (WHERE p.customer_retention IS DISTINCT FROM r.customer_retention
                               OR p.customer_churn IS DISTINCT FROM r.customer_churn
                               OR p.mrr::text IS DISTINCT FROM r.mrr::text
                               OR p.new_customers IS DISTINCT FROM r.new_customers
                               OR p.referrals IS DISTINCT FROM r.referrals)
    FROM sales_kpi.kpi_summary_periods p
    CROSS JOIN LATERAL (
        -- the aggregates, as the view computed them before
        SELECT (SELECT retention_rate(daterange(c.acquired_on, c.churned_on), daterange(p.period_start, p.period_end))
                  FROM sales_kpi.customers c WHERE c.acquired_on IS NULL OR c.acquired_on < p.period_end) AS customer_retention,
               (SELECT churn_rate(daterange(c.acquired_on, c.churned_on), daterange(p.period_start, p.period_end))
                  FROM sales_kpi.customers c WHERE c.acquired_on IS NULL OR c.acquired_on < p.period_end) AS customer_churn,
               (SELECT coalesce(sum(s.mrr), 0) FROM sales_kpi.subscriptions s
                 WHERE s.active @> (p.period_end - 1)) AS mrr,
               -- the customers acquired in the period (which ends by the
               -- as-of day), and the referred ones
               (SELECT count(*) FROM sales_kpi.customers c
                 WHERE c.acquired_on >= p.period_start AND c.acquired_on < p.period_end) AS new_customers,
               (SELECT count(*) FROM sales_kpi.customers c
                 WHERE c.acquired_on >= p.period_start AND c.acquired_on < p.period_end
                   AND c.referred_by_rep_id IS NOT NULL) AS referrals) r;
END
$$;
SELECT count(*) AS runs
FROM (SELECT pg_temp.kp_check(d, fy)
      FROM unnest('{2025-06-30,2025-04-01,2025-03-31,2026-12-31}'::date[]) d, unnest('{1,2,4}'::int[]) fy) x;
-- every period of every as-of day and fiscal year equal (periods: more than
-- a few, some with no subscription active on their last day)
SELECT count(*) AS runs, min(periods) > 10 AS periods_each, sum(differing) AS differing FROM kp_checks;
RESET sales_kpi.as_of;
SET LOCAL sales_kpi.as_of = '2025-06-30';
SELECT count(*) FILTER (WHERE mrr = 0) > 0 AS some_period_without_mrr,
       count(*) FILTER (WHERE customer_churn > 0 AND customer_retention > 0) > 0 AS some_period_with_churn,
       count(DISTINCT scale(mrr)) > 1 AS mrr_decimals_vary,
       count(*) FILTER (WHERE new_customers > 0) > 0 AS some_period_with_new_customers
FROM sales_kpi.kpi_summary_periods;
-- and the summary over these customers, some acquired at -infinity (in no
-- period's new customers: it used to fail on them)
SELECT count(*) > 0 AS summary_rows FROM sales_kpi.kpi_summary s;
ROLLBACK;
