-- Dashboard: Customer value.  Per customer with a won deal before the as-of
-- day: the seed formula CLV (clv() of its won deals), its repeat purchases,
-- recency and age in days (customer_rfm() of its won deals, a day's deals
-- being one purchase), and what the BG/NBD and Gamma-Gamma models -- fitted
-- on all those customers as of the as-of day -- predict: purchases in the
-- next 365 days, the probability it is still active, and its predicted CLV
-- over 12 months of 30 days at 1% a month (lifetimes' defaults).  Amounts
-- in the corporate currency.  A customer whose first purchase is on the
-- as-of day itself has no age yet and is left out.

CREATE VIEW sales_kpi.customer_value WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
won AS (
    SELECT ds.customer_id, ds.amount, ds.closed_at
    FROM sales_kpi.deal_state ds
    WHERE ds.outcome = 'won' AND ds.customer_id IS NOT NULL AND ds.amount IS NOT NULL
),
per_customer AS (
    SELECT w.customer_id,
           @extschema@.customer_rfm(w.closed_at, w.amount, f.as_of_end, interval '1 day') AS rfm,
           @extschema@.clv(w.customer_id, w.amount, w.closed_at) AS formula_clv
    FROM won w CROSS JOIN f
    GROUP BY w.customer_id
),
customers_ AS (
    SELECT p.customer_id, (p.rfm).frequency AS x, (p.rfm).recency AS tx, (p.rfm).age AS age,
           (p.rfm).mean_spend AS mean_spend, p.formula_clv
    FROM per_customer p
    WHERE (p.rfm).age > 0
),
fits AS (
    SELECT @extschema@.bgnbd_fit(c.x, c.tx, c.age) AS bgnbd,
           @extschema@.gamma_gamma_fit(c.x, c.mean_spend) FILTER (WHERE c.x = 0 OR c.mean_spend > 0) AS gamma_gamma
    FROM customers_ c
),
-- A Gamma-Gamma fit with q <= 1 has no finite mean spend (few repeat
-- buyers, as a rep's own customers may be): no predicted CLV then.
models AS (
    SELECT t.bgnbd, CASE WHEN (t.gamma_gamma).q > 1 THEN t.gamma_gamma END AS gamma_gamma
    FROM fits t
)
SELECT c.customer_id,
       k.name AS customer_name,
       k.segment,
       c.x AS repeat_purchases,
       c.tx AS recency_days,
       c.age AS age_days,
       round(c.mean_spend, 2) AS mean_spend,
       round(c.formula_clv, 2) AS formula_clv,
       round(@extschema@.bgnbd_expected_purchases(m.bgnbd, 365, c.x, c.tx, c.age)::numeric, 4) AS expected_purchases_next_year,
       @extschema@.bgnbd_p_alive(m.bgnbd, c.x, c.tx, c.age) AS p_alive,
       round(@extschema@.predicted_clv(m.bgnbd, m.gamma_gamma, c.x, c.tx, c.age, c.mean_spend, 12, 0.01, 30), 2)
           AS predicted_clv,
       f.as_of
FROM customers_ c
CROSS JOIN models m
CROSS JOIN f
LEFT JOIN sales_kpi.customers k ON k.customer_id = c.customer_id;
COMMENT ON VIEW sales_kpi.customer_value IS
    'Customer value dashboard: per customer, formula CLV, repeat purchases, recency, age, and the BG/NBD and Gamma-Gamma predictions (purchases next year, P(alive), predicted CLV) fitted on all customers as of the as-of day';
COMMENT ON COLUMN sales_kpi.customer_value.customer_id IS 'Customer';
COMMENT ON COLUMN sales_kpi.customer_value.customer_name IS 'Customer name';
COMMENT ON COLUMN sales_kpi.customer_value.segment IS 'Segment';
COMMENT ON COLUMN sales_kpi.customer_value.repeat_purchases IS 'Days with a won deal after the first (customer_rfm frequency)';
COMMENT ON COLUMN sales_kpi.customer_value.recency_days IS 'Days from the first to the last day with a won deal';
COMMENT ON COLUMN sales_kpi.customer_value.age_days IS 'Days from the first won deal to the as-of day';
COMMENT ON COLUMN sales_kpi.customer_value.mean_spend IS 'Mean won amount of the repeat days (0 without one)';
COMMENT ON COLUMN sales_kpi.customer_value.formula_clv IS 'clv() of the customer''s won deals (mean value x purchases a year x years)';
COMMENT ON COLUMN sales_kpi.customer_value.expected_purchases_next_year IS 'BG/NBD: days with a won deal expected in the next 365 days';
COMMENT ON COLUMN sales_kpi.customer_value.p_alive IS 'BG/NBD: probability the customer is still active';
COMMENT ON COLUMN sales_kpi.customer_value.predicted_clv IS 'Predicted CLV over 12 months of 30 days, discounted 1% a month (BG/NBD x Gamma-Gamma); NULL when the Gamma-Gamma fit has no finite mean spend (q <= 1)';
COMMENT ON COLUMN sales_kpi.customer_value.as_of IS 'The as-of day';
