-- Dashboard: Performance.  Won deals, won revenue, win rate, mean and
-- median deal size and sales cycle over the deals closed this fiscal year to date, by region (of the
-- rep), by customer segment, by product and by pipeline.  Missing values
-- show as '(none)'.

CREATE VIEW sales_kpi.performance WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
closed AS (
    SELECT ds.*, coalesce(r.region, '(none)') AS region, coalesce(c.segment, '(none)') AS segment,
           coalesce(p.name, '(none)') AS product, coalesce(ds.pipeline, '(none)') AS pipeline_id
    FROM sales_kpi.deal_state ds
    CROSS JOIN f
    JOIN sales_kpi.reps r USING (rep_id)
    LEFT JOIN sales_kpi.customers c USING (customer_id)
    LEFT JOIN sales_kpi.products p USING (product_id)
    WHERE ds.outcome <> 'open' AND ds.closed_at >= f.year_start
),
-- in two steps: a plain GROUP BY (parallel) into cells of region, segment,
-- product and pipeline, each with its counts, sums and win rate summary,
-- then the cells rolled up along each dimension
cells AS (
    SELECT region, segment, product, pipeline_id,
           count(*) FILTER (WHERE outcome = 'won') AS won_deals,
           sum(amount) FILTER (WHERE outcome = 'won') AS won_revenue,
           count(amount) FILTER (WHERE outcome = 'won') AS won_amounts,
           @extschema@.win_rate_summary(won) AS win_rate,
           @extschema@.deal_size_percentile_summary(amount, 0.5) FILTER (WHERE outcome = 'won') AS median_deal_size,
           @extschema@.sales_cycle_length_summary(created_at, closed_at) FILTER (WHERE outcome = 'won') AS sales_cycle,
           @extschema@.sales_cycle_percentile_summary(created_at, closed_at, 0.5) FILTER (WHERE outcome = 'won') AS median_sales_cycle
    FROM closed
    GROUP BY region, segment, product, pipeline_id
)
SELECT CASE WHEN GROUPING(region) = 0 THEN 'region'
            WHEN GROUPING(segment) = 0 THEN 'segment'
            WHEN GROUPING(product) = 0 THEN 'product'
            ELSE 'pipeline' END AS dimension,
       coalesce(region, segment, product, pipeline_id) AS dimension_value,
       sum(won_deals)::bigint AS won_deals,
       coalesce(sum(won_revenue), 0) AS won_revenue,
       @extschema@.win_rate(@extschema@.rollup(win_rate)) AS win_rate,
       -- avg(amount) is sum(amount) / count(amount), as numeric's avg computes it
       round(sum(won_revenue) / nullif(sum(won_amounts), 0), 2) AS avg_deal_size,
       round(@extschema@.deal_size_percentile(@extschema@.rollup(median_deal_size)), 2) AS median_deal_size,
       round((extract(epoch FROM @extschema@.sales_cycle_length(@extschema@.rollup(sales_cycle))) / 86400)::numeric, 2)
           AS avg_sales_cycle_days,
       round((extract(epoch FROM @extschema@.sales_cycle_percentile(@extschema@.rollup(median_sales_cycle))) / 86400)::numeric, 2)
           AS median_sales_cycle_days,
       (SELECT year_start FROM f) AS period_start,
       (SELECT as_of FROM f) AS as_of
FROM cells
GROUP BY GROUPING SETS ((region), (segment), (product), (pipeline_id));
COMMENT ON VIEW sales_kpi.performance IS
    'Performance dashboard: won deals and win rate this fiscal year by region, customer segment, product and pipeline';
COMMENT ON COLUMN sales_kpi.performance.dimension IS 'region, segment, product or pipeline';
COMMENT ON COLUMN sales_kpi.performance.dimension_value IS 'The region, segment, product name or pipeline id; (none) when missing';
COMMENT ON COLUMN sales_kpi.performance.won_deals IS 'Deals won this fiscal year';
COMMENT ON COLUMN sales_kpi.performance.won_revenue IS 'Amount won this fiscal year';
COMMENT ON COLUMN sales_kpi.performance.win_rate IS 'Won / (won + lost) this fiscal year';
COMMENT ON COLUMN sales_kpi.performance.avg_deal_size IS 'Mean won amount';
COMMENT ON COLUMN sales_kpi.performance.median_deal_size IS 'Median won amount';
COMMENT ON COLUMN sales_kpi.performance.avg_sales_cycle_days IS 'Mean created-to-won time of the deals won, in days';
COMMENT ON COLUMN sales_kpi.performance.median_sales_cycle_days IS 'Median created-to-won time of the deals won, in days';
COMMENT ON COLUMN sales_kpi.performance.period_start IS 'First day of the fiscal year';
COMMENT ON COLUMN sales_kpi.performance.as_of IS 'The as-of day';
