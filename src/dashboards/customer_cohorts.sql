-- Dashboard: Customer cohorts.  One row per acquisition month (of
-- sales_kpi.customers.acquired_on) and month since (0 for the month of
-- acquisition, 1 for the next, ... up to the as-of day's month):
--   customers   acquired in the cohort's month (by the as-of day)
--   retained    of them, still customers at the start of the month since
--               (all of them at month 0: a customer is one from acquisition)
--   retention   retained / customers
--   revenue     won deals of the cohort's customers closed in that month
--               (corporate currency)

CREATE VIEW sales_kpi.customer_cohorts WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
c AS (
    SELECT c.customer_id, date_trunc('month', c.acquired_on)::date AS cohort_month, c.churned_on
    FROM sales_kpi.customers c CROSS JOIN f
    WHERE c.acquired_on <= f.as_of
),
cohorts AS (
    SELECT cohort_month, count(*) AS customers FROM c GROUP BY cohort_month
),
cells AS (
    SELECT k.cohort_month, m.months_since, (k.cohort_month + make_interval(months => m.months_since))::date AS month_start
    FROM cohorts k CROSS JOIN f
    CROSS JOIN LATERAL generate_series(0, ((extract(year FROM f.as_of) - extract(year FROM k.cohort_month)) * 12
                                           + extract(month FROM f.as_of) - extract(month FROM k.cohort_month))::integer)
                      AS m(months_since)
),
-- a customer who churned stops being one from the first month that starts
-- on or after the day it churned: count them by that month, and the
-- retained of a month are the cohort less those gone by then
gone AS (
    SELECT c.cohort_month,
           ((extract(year FROM c.churned_on) - extract(year FROM c.cohort_month)) * 12
            + extract(month FROM c.churned_on) - extract(month FROM c.cohort_month))::integer
             + CASE WHEN extract(day FROM c.churned_on) = 1 THEN 0 ELSE 1 END AS months_since,
           count(*) AS customers
    FROM c CROSS JOIN f
    WHERE c.churned_on <= f.as_of
    GROUP BY 1, 2
),
retained AS (
    SELECT x.cohort_month, x.months_since,
           CASE WHEN x.months_since = 0 THEN k.customers
                ELSE k.customers - coalesce(sum(g.customers) OVER (PARTITION BY x.cohort_month ORDER BY x.months_since), 0)
           END AS retained
    FROM cells x
    JOIN cohorts k ON k.cohort_month = x.cohort_month
    LEFT JOIN gone g ON g.cohort_month = x.cohort_month AND g.months_since = x.months_since
),
revenue AS (
    SELECT c.cohort_month, date_trunc('month', ds.closed_at)::date AS month_start, sum(ds.amount) AS revenue
    FROM sales_kpi.deal_state ds JOIN c ON c.customer_id = ds.customer_id
    WHERE ds.outcome = 'won'
    GROUP BY 1, 2
)
SELECT x.cohort_month,
       x.months_since,
       x.month_start,
       k.customers,
       r.retained::bigint AS retained,
       r.retained::float8 / k.customers AS retention,
       coalesce(v.revenue, 0) AS revenue,
       f.as_of
FROM cells x
CROSS JOIN f
JOIN cohorts k ON k.cohort_month = x.cohort_month
JOIN retained r ON r.cohort_month = x.cohort_month AND r.months_since = x.months_since
LEFT JOIN revenue v ON v.cohort_month = x.cohort_month AND v.month_start = x.month_start;
COMMENT ON VIEW sales_kpi.customer_cohorts IS
    'Customer cohorts dashboard: per acquisition month and month since acquisition, customers, retained, retention and the cohort''s won revenue';
COMMENT ON COLUMN sales_kpi.customer_cohorts.cohort_month IS 'First day of the month the customers were acquired in';
COMMENT ON COLUMN sales_kpi.customer_cohorts.months_since IS 'Months since that month (0: the month itself)';
COMMENT ON COLUMN sales_kpi.customer_cohorts.month_start IS 'First day of the month the row is about';
COMMENT ON COLUMN sales_kpi.customer_cohorts.customers IS 'Customers acquired in the cohort month';
COMMENT ON COLUMN sales_kpi.customer_cohorts.retained IS 'Of them, still customers at the start of the month (all at month 0)';
COMMENT ON COLUMN sales_kpi.customer_cohorts.retention IS 'retained / customers (1 at month 0)';
COMMENT ON COLUMN sales_kpi.customer_cohorts.revenue IS 'Won deals of the cohort''s customers closed in the month (corporate currency)';
COMMENT ON COLUMN sales_kpi.customer_cohorts.as_of IS 'The as-of day';
