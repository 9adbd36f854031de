-- The state of every deal as of sales_kpi.as_of(), which all dashboards read:
-- the version of the deal (sales_kpi.deal_versions) valid at the end of that
-- day, for every field (stage, amount, probability, forecast category,
-- owner, close date, pipeline, ...), when it entered that stage, its outcome
-- in its pipeline, when it closed (if it had by then), its win probability,
-- forecast category, whether it is stalled, and its amount in the corporate
-- currency (sales_kpi.exchange_rates, currency.sql).  A deal deleted before the end of the day is
-- not in it; one deleted later is, as it was then.

CREATE VIEW sales_kpi.deal_state_computed WITH (security_invoker = true) AS
WITH p AS (
    SELECT sales_kpi.as_of() AS as_of,
           (sales_kpi.as_of() + 1)::timestamptz AS as_of_end
), v AS (
    SELECT h.*, @extschema@.stage_normalize(h.stage) AS normalized, p.as_of, p.as_of_end
    FROM sales_kpi.deal_versions h CROSS JOIN p
    WHERE h.valid @> (p.as_of_end - interval '1 microsecond') AND h.created_at < p.as_of_end
)
SELECT v.deal_id, v.rep_id, v.customer_id, v.product_id, v.pipeline, v.name,
       -- in the corporate currency: at the close day's rate once closed, the as-of day's while open
       CASE WHEN v.amount IS NULL OR v.currency IS NULL OR v.currency = sales_kpi.corporate_currency() THEN v.amount
            WHEN fx.rate IS NOT NULL THEN v.amount * fx.rate
            ELSE sales_kpi.report_missing_rate(v.currency, c.rate_day, format('Deal %s''s amount (%s)', v.deal_id, v.amount))
       END AS amount,
       v.created_at,
       v.contract_term, v.stage,
       coalesce(sp.label, sa.label, v.stage) AS stage_label,
       v.stage_entered_at,
       o.outcome,
       CASE o.outcome WHEN 'won' THEN true WHEN 'lost' THEN false END AS won,
       c.closed_at,
       coalesce(v.probability, sp.default_probability, sa.default_probability,
                CASE o.outcome WHEN 'won' THEN 1 WHEN 'lost' THEN 0 END) AS probability,
       coalesce(v.forecast_category, sp.forecast_category, sa.forecast_category,
                CASE o.outcome WHEN 'won' THEN 'closed' WHEN 'lost' THEN 'omitted' ELSE 'pipeline' END) AS forecast_category,
       v.close_date,
       o.outcome = 'open' AND coalesce(sp.stalled_after_days, sa.stalled_after_days) IS NOT NULL
         AND v.as_of_end - v.stage_entered_at
             > coalesce(sp.stalled_after_days, sa.stalled_after_days) * interval '1 day' AS stalled,
       v.as_of, v.as_of_end,
       v.currency,
       v.amount AS deal_amount,
       v.lost_reason,
       v.normalized
FROM v
CROSS JOIN LATERAL (SELECT @extschema@.stage_outcome(v.pipeline, v.stage) AS outcome) o
CROSS JOIN LATERAL (
    SELECT x.closed_at, CASE WHEN o.outcome = 'open' THEN v.as_of ELSE x.closed_at::date END AS rate_day
    FROM (SELECT CASE WHEN o.outcome <> 'open'
                      THEN CASE WHEN v.closed_at < v.as_of_end THEN v.closed_at ELSE v.stage_entered_at END
                 END AS closed_at) x) c
LEFT JOIN sales_kpi.exchange_rates fx ON fx.currency = v.currency AND fx.valid @> c.rate_day
LEFT JOIN sales_kpi.stages sp ON sp.pipeline = v.pipeline AND sp.normalized = v.normalized
LEFT JOIN sales_kpi.stages sa ON sa.pipeline IS NULL AND sa.normalized = v.normalized;
COMMENT ON VIEW sales_kpi.deal_state_computed IS
    'sales_kpi.deal_state computed from the versions of every deal (what the refresh keeps in sales_kpi.deal_state_store)';
-- (security_invoker: reading it takes the privileges on the tables under
-- it, and their policies apply; so the roles that may read deal_state, as
-- granted before this view existed, may read it too)
GRANT SELECT ON sales_kpi.deal_state_computed TO PUBLIC;

-- What the dashboards read: deal_state_computed, or as much of it as the
-- refresh kept in sales_kpi.deal_state_store (incremental.sql) when that is
-- the same thing.  The store holds each deal's row as of the last refresh;
-- it can stand for the computation when
--   - it was built for this as-of day, time zone, fiscal year start, stage
--     catalog, rates and settings, and no TRUNCATE of the history came
--     since (sales_kpi.deal_state_store_current(), which reads what only
--     the owner may);
--   - the caller may read it and the change log, and ask the former
--     (sales_kpi.grant_rep_access() grants all three);
--   - it shows the caller the rows the versions would: no row-level
--     security applies to the caller, or the extension's own rep policies
--     alone restrict deals, deal_history, the store and the change log
--     (the store's rep_id is the rep of the version the state comes from).
-- The deals written since the refresh (the change log, which the same
-- policies restrict to the deals that were or became the caller's reps')
-- are computed from their versions; every other deal's row is the store's.
-- So a rep reads their few thousand rows through the rep_id index instead
-- of all their deals' versions.  (quarter_open: the same for
-- deal_state_quarter_open and its store, pipeline_flow.sql.)
-- Whether the caller may read these stores of the refresh in place of
-- computing their rows from the versions (deal_state_rows() and, in
-- 00_stage_visits.sql, stage_visits_rows() ask): it may read them and the
-- change log and ask sales_kpi.deal_state_store_current(), and they show it
-- the rows the versions would -- no row-level security applies to it, or
-- the extension's rep policies alone restrict them, the change log, the
-- deals and their history.
CREATE FUNCTION sales_kpi.stores_readable(stores regclass[])
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT bool_and(has_table_privilege(s, 'SELECT')) FROM unnest(stores) AS s)
           AND has_table_privilege('sales_kpi.dashboard_changes', 'SELECT')
           AND has_function_privilege('sales_kpi.deal_state_store_current()', 'EXECUTE')
           AND (NOT row_security_active('sales_kpi.deal_history')
                OR sales_kpi.rep_policies_alone(ARRAY['sales_kpi.deals', 'sales_kpi.deal_history',
                                                      'sales_kpi.dashboard_changes']::regclass[] || stores));
END
$$;
COMMENT ON FUNCTION sales_kpi.stores_readable(regclass[]) IS
    'Whether the caller may read these stores of the refresh, and sees through them the rows the versions would (what deal_state_rows() and stage_visits_rows() ask)';

-- (its row estimate: the deals the statistics know of, src/deal_state.c)
CREATE FUNCTION sales_kpi.deal_state_rows_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'deal_state_rows_support' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.deal_state_rows_support(internal) IS
    'Planner support for sales_kpi.deal_state_rows(): estimates its rows as the deals the statistics know of';

CREATE FUNCTION sales_kpi.deal_state_rows(quarter_open boolean DEFAULT false)
RETURNS SETOF sales_kpi.deal_state_computed
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SUPPORT sales_kpi.deal_state_rows_support
AS $$
DECLARE
    changed text[];
    versions text;
    use_store boolean := false;
    store constant regclass := CASE WHEN quarter_open THEN 'sales_kpi.deal_state_quarter_open_store'
                                    ELSE 'sales_kpi.deal_state_store' END;
    computed constant regclass := CASE WHEN quarter_open THEN 'sales_kpi.deal_state_quarter_open_computed'
                                       ELSE 'sales_kpi.deal_state_computed' END;
BEGIN
    IF sales_kpi.stores_readable(ARRAY[store]) THEN
        -- (a statement of its own: calling a function takes the privilege
        -- to, checked when the statement starts)
        use_store := sales_kpi.deal_state_store_current();
    END IF;
    IF NOT use_store THEN
        RETURN QUERY EXECUTE format('SELECT * FROM %s', computed);
        RETURN;
    END IF;
    SELECT coalesce(array_agg(DISTINCT c.deal_id), '{}') INTO changed
    FROM sales_kpi.dashboard_changes c
    WHERE c.source OPERATOR(pg_catalog.=) 'deals' AND c.deal_id IS NOT NULL;
    -- Nothing written since the refresh (as right after one): the store
    -- alone, without the anti-join and the computation planned for no deal
    -- (a manager of 10's deals at 1M: 76 -> 23 ms; every deal 1.0 -> 0.34 s).
    IF changed OPERATOR(pg_catalog.=) '{}' THEN
        RETURN QUERY EXECUTE format('SELECT * FROM %s', store);
        RETURN;
    END IF;
    -- The deals written since, computed by the view's own query over their
    -- versions alone, which are found by joining the list (distinct deals)
    -- rather than filtered by it: the planner would AND a filter's index
    -- scan with one over every version of the role's reps (the policy's
    -- index), 14 of a manager of 10's 17 ms for 399 deals at 1M deals.
    versions := sales_kpi.view_query(
        'sales_kpi.deal_versions', ARRAY['sales_kpi.deal_history', 'sales_kpi.deals'],
        ARRAY['(SELECT h.* FROM unnest($1) AS x(deal_id) JOIN sales_kpi.deal_history h ON h.deal_id OPERATOR(pg_catalog.=) x.deal_id)',
              '(SELECT d.* FROM unnest($1) AS x(deal_id) JOIN sales_kpi.deals d ON d.deal_id OPERATOR(pg_catalog.=) x.deal_id)']);
    RETURN QUERY EXECUTE format(
        'SELECT s.* FROM %s s
         WHERE NOT EXISTS (SELECT FROM unnest($1) AS x(deal_id) WHERE x.deal_id OPERATOR(pg_catalog.=) s.deal_id)
         UNION ALL
         SELECT d.* FROM (%s) d', store,
        sales_kpi.view_query(computed, ARRAY['sales_kpi.deal_versions'], ARRAY['(' || versions || ')']))
    USING changed;
END
$$;
COMMENT ON FUNCTION sales_kpi.deal_state_rows(boolean) IS
    'The rows of sales_kpi.deal_state (or, quarter_open, of sales_kpi.deal_state_quarter_open): the refresh''s per-deal store where it is current and shows the caller what the versions would, the deals written since computed from their versions; else all computed';

CREATE VIEW sales_kpi.deal_state WITH (security_invoker = true) AS
SELECT * FROM sales_kpi.deal_state_rows(false);
COMMENT ON VIEW sales_kpi.deal_state IS
    'Every deal as of sales_kpi.as_of(), every field as it was at the end of that day: stage, outcome, stage entry, close, probability and whether it is stalled';
COMMENT ON COLUMN sales_kpi.deal_state.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.deal_state.rep_id IS 'Rep who owned the deal';
COMMENT ON COLUMN sales_kpi.deal_state.customer_id IS 'Customer';
COMMENT ON COLUMN sales_kpi.deal_state.product_id IS 'Product';
COMMENT ON COLUMN sales_kpi.deal_state.pipeline IS 'Pipeline (NULL in a single-pipeline CRM)';
COMMENT ON COLUMN sales_kpi.deal_state.name IS 'Deal name';
COMMENT ON COLUMN sales_kpi.deal_state.amount IS
    'Deal amount in the corporate currency: at the rate of the close day once closed, of the as-of day while open';
COMMENT ON COLUMN sales_kpi.deal_state.created_at IS 'When the deal was created';
COMMENT ON COLUMN sales_kpi.deal_state.contract_term IS 'Contract [start, end) of a won deal';
COMMENT ON COLUMN sales_kpi.deal_state.stage IS 'Stage at the end of the as-of day, as the CRM records it';
COMMENT ON COLUMN sales_kpi.deal_state.stage_label IS 'The stage''s label in the catalog, else the stage';
COMMENT ON COLUMN sales_kpi.deal_state.stage_entered_at IS 'When the deal entered that stage';
COMMENT ON COLUMN sales_kpi.deal_state.outcome IS 'won, lost or open, by stage_outcome(pipeline, stage)';
COMMENT ON COLUMN sales_kpi.deal_state.won IS 'true when won, false when lost, NULL while open (the boolean form the rate aggregates take)';
COMMENT ON COLUMN sales_kpi.deal_state.closed_at IS 'When a won or lost deal closed (NULL while open)';
COMMENT ON COLUMN sales_kpi.deal_state.probability IS 'Deal probability, else the stage default, else 1 for won and 0 for lost';
COMMENT ON COLUMN sales_kpi.deal_state.forecast_category IS
    'Forecast category: the deal''s own, else its stage''s in the catalog, else closed (won), omitted (lost) or pipeline (open)';
COMMENT ON COLUMN sales_kpi.deal_state.close_date IS 'Expected (open) or actual (closed) close date';
COMMENT ON COLUMN sales_kpi.deal_state.stalled IS 'Open and in its stage longer than the stage''s stalled_after_days';
COMMENT ON COLUMN sales_kpi.deal_state.as_of IS 'The as-of day';
COMMENT ON COLUMN sales_kpi.deal_state.as_of_end IS 'The end of the as-of day';
COMMENT ON COLUMN sales_kpi.deal_state.currency IS 'Currency of the deal''s own amount (NULL: corporate)';
COMMENT ON COLUMN sales_kpi.deal_state.deal_amount IS 'The amount in the deal''s own currency';
COMMENT ON COLUMN sales_kpi.deal_state.lost_reason IS 'Why a lost deal was lost';
COMMENT ON COLUMN sales_kpi.deal_state.normalized IS 'stage_normalize(stage), to join the catalog and the learnt probabilities';
DO $$
BEGIN
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN sales_kpi.deal_state_computed.%I IS %L', a.attname,
                                      col_description(a.attrelid, a.attnum)), '; ')
             FROM pg_attribute a WHERE a.attrelid = 'sales_kpi.deal_state'::regclass AND a.attnum > 0);
END
$$;

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
