-- Dashboard: Forecast.  One row per rep, fiscal quarter (the as-of day's and
-- the next) and forecast category, zeros included:
--   closed     deals won in the quarter (the quarter's won revenue)
--   commit, best_case, pipeline, omitted
--              open deals whose close date is in the quarter, by their
--              forecast category (the deal's own, else its stage's, else
--              pipeline: sales_kpi.deal_state); lost deals closed in the
--              quarter are omitted.  An open deal whose own category says
--              closed counts as commit: closed is what was won.
-- weighted_amount: amount x probability (won 1, lost 0; open deals as the
-- weighted pipeline weighs them, sales_kpi.probability_source).

CREATE VIEW sales_kpi.forecast WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
quarters AS (
    SELECT q.period_start, @extschema@.fiscal_period_label(q.period_start, 'quarter') AS period_label,
           (q.period_start + interval '3 months')::date AS period_end
    FROM f CROSS JOIN LATERAL (VALUES (f.quarter_start), (f.quarter_end)) AS q(period_start)
),
categories AS (
    SELECT * FROM (VALUES (1, 'closed'), (2, 'commit'), (3, 'best_case'), (4, 'pipeline'), (5, 'omitted')) AS c(n, category)
),
deals AS (
    SELECT ds.rep_id, ds.amount,
           CASE ds.outcome WHEN 'won' THEN 'closed' WHEN 'lost' THEN 'omitted'
                ELSE CASE WHEN ds.forecast_category = 'closed' THEN 'commit' ELSE ds.forecast_category END END AS category,
           CASE ds.outcome WHEN 'won' THEN 1 WHEN 'lost' THEN 0
                ELSE coalesce(lp.learnt_probability, ds.probability) END AS weight,
           CASE WHEN ds.outcome = 'open' THEN ds.close_date ELSE ds.closed_at::date END AS day
    FROM sales_kpi.deal_state ds
    CROSS JOIN f
    LEFT JOIN sales_kpi.learnt_probabilities_in_use() lp
           ON lp.pipeline IS NOT DISTINCT FROM ds.pipeline AND lp.normalized = ds.normalized
    WHERE CASE WHEN ds.outcome = 'open' THEN ds.close_date ELSE ds.closed_at::date END >= f.quarter_start
      AND CASE WHEN ds.outcome = 'open' THEN ds.close_date ELSE ds.closed_at::date END
          < (f.quarter_end + interval '3 months')::date
),
cells AS (
    SELECT d.rep_id, q.period_start, d.category, count(*) AS deals, sum(d.amount) AS amount,
           sum(d.amount * d.weight) AS weighted_amount
    FROM deals d JOIN quarters q ON d.day >= q.period_start AND d.day < q.period_end
    GROUP BY 1, 2, 3
),
reps AS (
    -- the reps employed in the quarters, and any other whose deals are in them
    SELECT r.rep_id, r.name, r.team FROM sales_kpi.reps r CROSS JOIN f
    WHERE (r.hired_on IS NULL OR r.hired_on < (f.quarter_end + interval '3 months')::date)
      AND (r.left_on IS NULL OR r.left_on > f.quarter_start)
       OR r.rep_id IN (SELECT c.rep_id FROM cells c)
)
SELECT r.rep_id, r.name AS rep_name, r.team, q.period_start, q.period_label, c.category,
       coalesce(x.deals, 0) AS deals,
       coalesce(x.amount, 0) AS amount,
       coalesce(round(x.weighted_amount, 2), 0) AS weighted_amount,
       f.as_of
FROM reps r
CROSS JOIN quarters q
CROSS JOIN categories c
CROSS JOIN f
LEFT JOIN cells x ON x.rep_id = r.rep_id AND x.period_start = q.period_start AND x.category = c.category;
COMMENT ON VIEW sales_kpi.forecast IS
    'Forecast dashboard: per rep, fiscal quarter (this and next) and forecast category (closed = won, commit, best_case, pipeline, omitted), deals, amount and weighted amount; zeros included';
COMMENT ON COLUMN sales_kpi.forecast.rep_id IS 'Rep';
COMMENT ON COLUMN sales_kpi.forecast.rep_name IS 'Rep name';
COMMENT ON COLUMN sales_kpi.forecast.team IS 'Team';
COMMENT ON COLUMN sales_kpi.forecast.period_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.forecast.period_label IS 'Fiscal quarter, e.g. FY2026-Q3';
COMMENT ON COLUMN sales_kpi.forecast.category IS 'closed (won in the quarter), commit, best_case, pipeline (open deals closing in the quarter, by forecast category) or omitted (also: lost in the quarter)';
COMMENT ON COLUMN sales_kpi.forecast.deals IS 'Deals';
COMMENT ON COLUMN sales_kpi.forecast.amount IS 'Their amount (corporate currency)';
COMMENT ON COLUMN sales_kpi.forecast.weighted_amount IS 'Amount x probability: won 1, lost 0, open deals as the weighted pipeline weighs them';
COMMENT ON COLUMN sales_kpi.forecast.as_of IS 'The as-of day';
