-- The state of every deal as of sales_kpi.as_of(), which all dashboards read:
-- the stage it was in at the end of that day (from deal_stage_history, or
-- deals.stage without history), its outcome, when it entered that stage,
-- when it closed (if it had by then), its win probability and stall limit.

CREATE VIEW sales_kpi.deal_state WITH (security_invoker = true) AS
WITH p AS (
    SELECT sales_kpi.as_of() AS as_of,
           (sales_kpi.as_of() + 1)::timestamptz AS as_of_end
), h AS (
    -- the last stage each deal entered by the end of the as-of day: one
    -- backward pass over the history's primary key
    SELECT DISTINCT ON (x.deal_id) x.deal_id, x.stage, x.entered_at
    FROM sales_kpi.deal_stage_history x CROSS JOIN p
    WHERE x.entered_at < p.as_of_end
    ORDER BY x.deal_id DESC, x.entered_at DESC
), d AS (
    SELECT d.*, coalesce(h.stage, d.stage) AS stage_as_of, coalesce(h.entered_at, d.created_at) AS entered_as_of,
           p.as_of, p.as_of_end
    FROM sales_kpi.deals d
    CROSS JOIN p
    LEFT JOIN h ON h.deal_id = d.deal_id
    WHERE d.created_at < p.as_of_end
)
SELECT d.deal_id, d.rep_id, d.customer_id, d.product_id, d.name, d.amount, d.created_at, d.contract_term,
       d.stage_as_of AS stage,
       d.entered_as_of AS stage_entered_at,
       o.outcome,
       CASE WHEN o.outcome <> 'open'
            THEN CASE WHEN d.closed_at < d.as_of_end THEN d.closed_at ELSE d.entered_as_of END
       END AS closed_at,
       coalesce(d.probability, s.default_probability,
                CASE o.outcome WHEN 'won' THEN 1 WHEN 'lost' THEN 0 END) AS probability,
       o.outcome = 'open' AND s.stalled_after_days IS NOT NULL
         AND d.as_of_end - d.entered_as_of > s.stalled_after_days * interval '1 day' AS stalled,
       d.as_of, d.as_of_end
FROM d
CROSS JOIN LATERAL (SELECT @extschema@.stage_outcome(d.stage_as_of) AS outcome) o
LEFT JOIN sales_kpi.stages s ON @extschema@.stage_normalize(s.name) = @extschema@.stage_normalize(d.stage_as_of);
COMMENT ON VIEW sales_kpi.deal_state IS
    'Every deal as of sales_kpi.as_of(): stage, outcome, stage entry, close, probability and whether it is stalled';
COMMENT ON COLUMN sales_kpi.deal_state.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.deal_state.rep_id IS 'Rep who owns the deal';
COMMENT ON COLUMN sales_kpi.deal_state.customer_id IS 'Customer';
COMMENT ON COLUMN sales_kpi.deal_state.product_id IS 'Product';
COMMENT ON COLUMN sales_kpi.deal_state.name IS 'Deal name';
COMMENT ON COLUMN sales_kpi.deal_state.amount IS 'Deal amount';
COMMENT ON COLUMN sales_kpi.deal_state.created_at IS 'When the deal was created';
COMMENT ON COLUMN sales_kpi.deal_state.contract_term IS 'Contract [start, end) of a won deal';
COMMENT ON COLUMN sales_kpi.deal_state.stage IS 'Stage at the end of the as-of day';
COMMENT ON COLUMN sales_kpi.deal_state.stage_entered_at IS 'When the deal entered that stage';
COMMENT ON COLUMN sales_kpi.deal_state.outcome IS 'won, lost or open, by stage_outcome()';
COMMENT ON COLUMN sales_kpi.deal_state.closed_at IS 'When a won or lost deal closed (NULL while open)';
COMMENT ON COLUMN sales_kpi.deal_state.probability IS 'Deal probability, else the stage default, else 1 for won and 0 for lost';
COMMENT ON COLUMN sales_kpi.deal_state.stalled IS 'Open and in its stage longer than the stage''s stalled_after_days';
COMMENT ON COLUMN sales_kpi.deal_state.as_of IS 'The as-of day';
COMMENT ON COLUMN sales_kpi.deal_state.as_of_end IS 'The end of the as-of day';

-- The fiscal periods of the as-of day.
CREATE VIEW sales_kpi.fiscal_now WITH (security_invoker = true) AS
SELECT sales_kpi.as_of() AS as_of,
       (sales_kpi.as_of() + 1)::timestamptz AS as_of_end,
       @extschema@.fiscal_period_start(sales_kpi.as_of(), 'year') AS year_start,
       @extschema@.fiscal_period_label(sales_kpi.as_of(), 'year') AS year_label,
       (@extschema@.fiscal_period_start(sales_kpi.as_of(), 'year') + interval '1 year')::date AS year_end,
       @extschema@.fiscal_period_start(sales_kpi.as_of(), 'quarter') AS quarter_start,
       @extschema@.fiscal_period_label(sales_kpi.as_of(), 'quarter') AS quarter_label,
       (@extschema@.fiscal_period_start(sales_kpi.as_of(), 'quarter') + interval '3 months')::date AS quarter_end;
COMMENT ON VIEW sales_kpi.fiscal_now IS 'The as-of day and the fiscal year and quarter it falls in';
COMMENT ON COLUMN sales_kpi.fiscal_now.as_of IS 'The as-of day (setting sales_kpi.as_of, or today)';
COMMENT ON COLUMN sales_kpi.fiscal_now.as_of_end IS 'The end of the as-of day';
COMMENT ON COLUMN sales_kpi.fiscal_now.year_start IS 'First day of the fiscal year';
COMMENT ON COLUMN sales_kpi.fiscal_now.year_label IS 'Fiscal year, e.g. FY2026';
COMMENT ON COLUMN sales_kpi.fiscal_now.year_end IS 'Day after the fiscal year';
COMMENT ON COLUMN sales_kpi.fiscal_now.quarter_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.fiscal_now.quarter_label IS 'Fiscal quarter, e.g. FY2026-Q1';
COMMENT ON COLUMN sales_kpi.fiscal_now.quarter_end IS 'Day after the fiscal quarter';

-- A quota (or spend, or market size) for a period, prorated by days to the
-- part of it inside a window.
CREATE FUNCTION sales_kpi.prorate(amount numeric, period daterange, window_range daterange)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN period && window_range
                THEN amount * (upper(period * window_range) - lower(period * window_range))::numeric
                            / (upper(period) - lower(period))
                ELSE 0 END
$$;
COMMENT ON FUNCTION sales_kpi.prorate(numeric, daterange, daterange) IS
    'amount x days of period inside window_range / days of period';
