-- Dashboard: KPI summary.  One row per fiscal month, quarter and year from
-- the first deal to the as-of day (the current period runs to the as-of
-- day).  Deals count in the period they closed in (lead conversion: the
-- period they were created in); money from marketing spend, market size and
-- quotas is prorated by days to the period.
--
--   revenue, deals_won, win_rate, avg_deal_size   deals closed in the period
--   median_deal_size, avg/median_sales_cycle_days  deals won in the period
--   revenue_growth      period_growth(revenue) over the grain's periods
--   lead_conversion     conversion_rate of the deals created in the period
--   acv                 acv(amount, contract_term) of the deals won
--   clv                 clv(customer_id, amount, closed_at) of the deals won
--   cac                 marketing spend / customers acquired in the period
--   customer_retention, customer_churn, rep_retention
--                       retention_rate / churn_rate of [acquired_on,
--                       churned_on) and [hired_on, left_on) over the period
--   mrr                 MRR of the subscriptions active on the period's last day
--   market_share        revenue / market size (NULL when the market figure is
--                       below the revenue: the market data is incomplete)
--   avg_ramp_time       avg_ramp_time of the reps hired in the period
--   referrals_per_rep   customers acquired through a rep's referral / reps
--                       active on the period's last day
--   quota_attainment    revenue / quota

-- The periods of the summary and what it takes from the tables other than
-- the deals (customers, reps, subscriptions, spend, market size, quotas):
-- a view of its own, so that the refresh recomputes it only when one of
-- those tables changed (sales_kpi.kpi_summary_periods_mv, refresh.sql).
-- The company-wide figures of the periods (customer retention, churn, MRR,
-- customers acquired and referred) are the same for every role that may
-- read customers and subscriptions, and the refresh keeps them in
-- kpi_summary_periods_mv.  The view takes them from there when they are
-- what they would be now:
--   kpi_summary_company_of_twin()  (SECURITY DEFINER, granted by
--       grant_rep_access()) the twin's rows, when they are current for
--       customers and subscriptions (twin_kept(), below);
--   kpi_summary_company_kept()  for the caller: those rows, if it may read
--       customers and subscriptions, with no row-level security on them, and
--       may call the former; else none, and the view computes them.
-- Whether a twin's rows are what its live view would compute now, for the
-- columns that depend only on the tables `sources` (changes recorded in
-- dashboard_changes under those names): its last refresh succeeded for this
-- as-of day, under the settings of now (as deal_state_store_current() says),
-- nothing was written to those tables since, and the caller is not inside
-- a refresh (whose recomputation of the twin must not read the twin).  What
-- the SECURITY DEFINER readers of the kept figures ask (here and in
-- customer_cohorts.sql); reads the refresh's state, which only the owner may.
CREATE FUNCTION sales_kpi.twin_kept(twin name, sources text[])
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (statements of their own: while the extension is created, the twin
    -- and the refresh's tables do not exist yet)
    IF to_regclass('pg_temp.dashboard_taken') IS NOT NULL
       OR NOT EXISTS (SELECT FROM pg_catalog.pg_matviews m
                      WHERE m.schemaname OPERATOR(pg_catalog.=) 'sales_kpi'
                        AND m.matviewname OPERATOR(pg_catalog.=) twin AND m.ispopulated) THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT FROM sales_kpi.dashboard_refreshes r
                   WHERE r.view_name OPERATOR(pg_catalog.=) ('sales_kpi.' || twin)
                     AND r.error IS NULL AND r.refreshed_at IS NOT NULL
                     AND r.as_of OPERATOR(pg_catalog.=) sales_kpi.as_of())
           AND sales_kpi.deal_state_store_current()
           AND NOT EXISTS (SELECT FROM sales_kpi.dashboard_changes c
                           WHERE c.source OPERATOR(pg_catalog.=) ANY (sources));
END
$$;
COMMENT ON FUNCTION sales_kpi.twin_kept(name, text[]) IS
    'Whether a twin''s columns computed from the tables named are what its live view would compute now (the kept company-wide figures of kpi_summary and customer_cohorts)';
REVOKE ALL ON FUNCTION sales_kpi.twin_kept(name, text[]) FROM PUBLIC;

CREATE FUNCTION sales_kpi.kpi_summary_company_of_twin()
RETURNS TABLE (grain text, period_start date, customer_retention double precision,
               customer_churn double precision, mrr numeric, new_customers bigint, referrals bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF sales_kpi.twin_kept('kpi_summary_periods_mv', ARRAY['customers', 'subscriptions']) THEN
        RETURN QUERY SELECT m.grain, m.period_start, m.customer_retention, m.customer_churn, m.mrr,
                            m.new_customers, m.referrals
                     FROM sales_kpi.kpi_summary_periods_mv m;
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.kpi_summary_company_of_twin() IS
    'Customer retention, churn, MRR and customers acquired and referred per period from kpi_summary_periods_mv, when they are what they would be now; else no rows';
REVOKE ALL ON FUNCTION sales_kpi.kpi_summary_company_of_twin() FROM PUBLIC;

CREATE FUNCTION sales_kpi.kpi_summary_company_kept()
RETURNS TABLE (grain text, period_start date, customer_retention double precision,
               customer_churn double precision, mrr numeric, new_customers bigint, referrals bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF has_table_privilege('sales_kpi.customers', 'SELECT') AND has_table_privilege('sales_kpi.subscriptions', 'SELECT')
       AND NOT row_security_active('sales_kpi.customers') AND NOT row_security_active('sales_kpi.subscriptions')
       AND has_function_privilege('sales_kpi.kpi_summary_company_of_twin()', 'EXECUTE') THEN
        -- (a statement of its own: calling it takes the privilege to)
        RETURN QUERY SELECT * FROM sales_kpi.kpi_summary_company_of_twin();
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.kpi_summary_company_kept() IS
    'What sales_kpi.kpi_summary_periods takes from the refresh: kpi_summary_company_of_twin() for a role that may read customers and subscriptions (without row-level security) and call it; else no rows';

CREATE VIEW sales_kpi.kpi_summary_periods WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
grains AS (SELECT * FROM (VALUES ('month'), ('quarter'), ('year')) AS g(grain)),
months AS (
    SELECT m
    FROM f, generate_series(date_trunc('month', least((SELECT min(created_at) FROM sales_kpi.deals), f.as_of_end - interval '1 day')),
                            f.as_of_end - interval '1 day', interval '1 month') AS m
),
p AS (
    SELECT x.grain, x.period_start, x.period_label,
           least(CASE x.grain WHEN 'month' THEN x.period_start + interval '1 month'
                              WHEN 'quarter' THEN x.period_start + interval '3 months'
                              ELSE x.period_start + interval '1 year' END, f.as_of + 1)::date AS period_end
    FROM f, (SELECT g.grain, @extschema@.fiscal_period_start(m, g.grain) AS period_start,
                    @extschema@.fiscal_period_label(m, g.grain) AS period_label
             FROM months, grains g GROUP BY 1, 2, 3) AS x
),
-- Customer retention and churn without visiting every customer for every
-- period: retention_rate's two counts from running totals.  A customer
-- [acquired_on, churned_on) is active on a period's first day when acquired
-- by then (or always) and not churned by then, so
--   at_start = customers acquired by the first day - customers churned by it
-- (a customer acquired and churned the same day, an empty range, is in both
-- or neither), and of those the ones not active on the last day are the
-- ones that churned after the first day and by the last:
--   lost     = customers acquired by the first day, churned in (first, last]
-- which only the period holding the churn day can count.  retention_rate is
-- (at_start - lost) / at_start and churn_rate lost / at_start, as the
-- aggregates compute them (sql/kpi_summary_periods.sql checks them equal).
customer_days AS (
    SELECT c.acquired_on AS day, count(*) AS n FROM sales_kpi.customers c GROUP BY 1
    UNION ALL
    SELECT c.churned_on, -count(*) FROM sales_kpi.customers c WHERE c.churned_on IS NOT NULL GROUP BY 1
),
customers_at_start AS (
    SELECT p.grain, p.period_start, sum(d.n)::bigint AS n
    FROM p JOIN customer_days d ON d.day IS NULL OR d.day <= p.period_start
    GROUP BY 1, 2
),
customers_lost AS (
    -- (a churn day belongs to one period of each grain: the one it falls in,
    -- unless it is its first day; by its last day unless after the as-of day)
    SELECT c.grain, c.period_start, count(*) AS n
    FROM (SELECT c.acquired_on, c.churned_on, g.grain, @extschema@.fiscal_period_start(c.churned_on, g.grain) AS period_start
          FROM sales_kpi.customers c CROSS JOIN grains g
          WHERE isfinite(c.churned_on) AND c.churned_on <= (SELECT as_of FROM f)) c
    WHERE c.churned_on > c.period_start AND (c.acquired_on IS NULL OR c.acquired_on <= c.period_start)
    GROUP BY 1, 2
),
-- MRR on a period's last day the same way: subscriptions started by then
-- minus those ended by then, per number of decimals, so that the sum shows
-- the decimals sum() shows over the active ones (0 when none is).
subscription_days AS (
    SELECT x.day, x.scale, sum(x.n) AS n, sum(x.mrr) AS mrr
    FROM (SELECT CASE WHEN lower_inf(s.active) THEN NULL WHEN lower_inc(s.active) THEN lower(s.active)
                      ELSE lower(s.active) + 1 END AS day,
                 scale(s.mrr) AS scale, 1 AS n, s.mrr
          FROM sales_kpi.subscriptions s
          UNION ALL
          SELECT CASE WHEN upper_inc(s.active) THEN upper(s.active) + 1 ELSE upper(s.active) END,
                 scale(s.mrr), -1, -s.mrr
          FROM sales_kpi.subscriptions s
          WHERE NOT upper_inf(s.active)) x
    GROUP BY 1, 2
),
mrr AS (
    SELECT x.grain, x.period_start,
           CASE WHEN sum(x.n) = 0 THEN 0 ELSE round(sum(x.mrr), max(x.scale) FILTER (WHERE x.n > 0)) END AS mrr
    FROM (SELECT p.grain, p.period_start, d.scale, sum(d.n) AS n, sum(d.mrr) AS mrr
          FROM p JOIN subscription_days d ON d.day IS NULL OR d.day < p.period_end
          GROUP BY 1, 2, 3) x
    GROUP BY 1, 2
),
-- The customers acquired in each period, and of them the ones referred by a
-- rep (CAC, referrals per rep); a customer acquired at -infinity (always a
-- customer) in none.  (Per day first: a period start per day and grain,
-- not per customer.)
acquired AS (
    SELECT g.grain, @extschema@.fiscal_period_start(c.acquired_on, g.grain) AS period_start,
           sum(c.new_customers)::bigint AS new_customers,
           sum(c.referrals)::bigint AS referrals
    FROM (SELECT c.acquired_on, count(*) AS new_customers,
                 count(*) FILTER (WHERE c.referred_by_rep_id IS NOT NULL) AS referrals
          FROM sales_kpi.customers c CROSS JOIN f
          WHERE isfinite(c.acquired_on) AND c.acquired_on <= f.as_of
          GROUP BY 1) c
    CROSS JOIN grains g
    GROUP BY 1, 2
),
-- What the last refresh kept of these company-wide figures, when it is
-- what they would be now (sales_kpi.kpi_summary_company_kept()): then the
-- running totals above are not computed at all.
kept AS MATERIALIZED (SELECT * FROM sales_kpi.kpi_summary_company_kept()),
all_kept AS MATERIALIZED (
    SELECT NOT EXISTS (SELECT FROM p WHERE NOT EXISTS (SELECT FROM kept k WHERE k.grain = p.grain AND k.period_start = p.period_start)) AS ok
),
company AS (
    SELECT k.grain, k.period_start, k.customer_retention, k.customer_churn, k.mrr, k.new_customers, k.referrals
    FROM kept k
    WHERE (SELECT ok FROM all_kept)
    UNION ALL
    SELECT p.grain, p.period_start,
           CASE WHEN cs.n > 0 THEN (cs.n - coalesce(cl.n, 0))::float8 / cs.n::float8 END,
           CASE WHEN cs.n > 0 THEN coalesce(cl.n, 0)::float8 / cs.n::float8 END,
           coalesce(mr.mrr, 0),
           coalesce(a.new_customers, 0),
           coalesce(a.referrals, 0)
    FROM p
    LEFT JOIN customers_at_start cs USING (grain, period_start)
    LEFT JOIN customers_lost cl USING (grain, period_start)
    LEFT JOIN mrr mr USING (grain, period_start)
    LEFT JOIN acquired a USING (grain, period_start)
    WHERE NOT (SELECT ok FROM all_kept)
)
SELECT p.grain, p.period_start, p.period_end, p.period_label,
       c.customer_retention,
       c.customer_churn,
       (SELECT @extschema@.retention_rate(daterange(r.hired_on, r.left_on), daterange(p.period_start, p.period_end))
          FROM sales_kpi.reps r WHERE r.hired_on IS NULL OR r.hired_on < p.period_end) AS rep_retention,
       (SELECT count(*) FROM sales_kpi.reps r
         WHERE daterange(r.hired_on, r.left_on) @> (p.period_end - 1)) AS active_reps,
       c.mrr,
       (SELECT sum(sales_kpi.prorate(m.amount, m.period, daterange(p.period_start, p.period_end)))
          FROM sales_kpi.marketing_spend m WHERE m.period && daterange(p.period_start, p.period_end)) AS spend,
       (SELECT sum(sales_kpi.prorate(m.amount, m.period, daterange(p.period_start, p.period_end)))
          FROM sales_kpi.market_size m WHERE m.period && daterange(p.period_start, p.period_end)) AS market,
       (SELECT sum(sales_kpi.prorate(q.amount, q.period, daterange(p.period_start, p.period_end)))
          FROM sales_kpi.quotas q WHERE q.period && daterange(p.period_start, p.period_end)) AS quota,
       f.as_of,
       -- (after as_of: columns added since 1.0.1 come last)
       c.new_customers,
       c.referrals
FROM p CROSS JOIN f
LEFT JOIN company c USING (grain, period_start);
COMMENT ON VIEW sales_kpi.kpi_summary_periods IS
    'The fiscal months, quarters and years of sales_kpi.kpi_summary with what it takes from customers, reps, subscriptions, spend, market size and quotas';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.grain IS 'month, quarter or year';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.period_start IS 'First day of the fiscal period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.period_end IS 'Day after the period, or after the as-of day for the current one';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.period_label IS 'Fiscal period label';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.customer_retention IS 'retention_rate of the customers over the period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.customer_churn IS 'churn_rate of the customers over the period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.rep_retention IS 'retention_rate of the reps over the period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.active_reps IS 'Reps employed on the period''s last day';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.mrr IS 'MRR of the subscriptions active on the period''s last day';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.spend IS 'Marketing spend prorated to the period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.market IS 'Market size prorated to the period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.quota IS 'Quotas prorated to the period';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.as_of IS 'The as-of day';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.new_customers IS 'Customers acquired in the period (to the as-of day)';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.referrals IS 'Of those, the customers referred by a rep';

-- Deals are summarised per fiscal month once (the KPI aggregates' summaries,
-- sums and counts), and the months rolled up into quarters and years:
-- exactly what the aggregates give over the rows, at a third of the work.
CREATE VIEW sales_kpi.kpi_summary WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
grains AS (SELECT * FROM (VALUES ('month'), ('quarter'), ('year')) AS g(grain)),
ds AS MATERIALIZED (
    SELECT ds.customer_id, ds.amount, ds.created_at, ds.closed_at, ds.contract_term, ds.outcome, ds.won
    FROM sales_kpi.deal_state ds
),
p AS (SELECT * FROM sales_kpi.kpi_summary_periods),
closed_month AS (
    SELECT @extschema@.fiscal_period_start(ds.closed_at, 'month') AS month,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'won') AS revenue,
           count(ds.amount) FILTER (WHERE ds.outcome = 'won') AS won_amounts,
           count(*) FILTER (WHERE ds.outcome = 'won') AS deals_won,
           @extschema@.win_rate_summary(ds.won) AS win_rate,
           @extschema@.sales_cycle_length_summary(ds.created_at, ds.closed_at) FILTER (WHERE ds.outcome = 'won') AS sales_cycle,
           @extschema@.acv_summary(ds.amount, ds.contract_term) FILTER (WHERE ds.outcome = 'won') AS acv,
           @extschema@.clv_summary(ds.customer_id, ds.amount, ds.closed_at) FILTER (WHERE ds.outcome = 'won') AS clv
    FROM ds
    WHERE ds.outcome <> 'open'
    GROUP BY 1
),
closed AS (
    -- avg(amount) is sum(amount) / count(amount), as numeric's avg computes it
    SELECT g.grain, @extschema@.fiscal_period_start(m.month, g.grain) AS period_start,
           sum(m.revenue) AS revenue,
           sum(m.deals_won)::bigint AS deals_won,
           @extschema@.win_rate(@extschema@.rollup(m.win_rate)) AS win_rate,
           round(sum(m.revenue) / nullif(sum(m.won_amounts), 0), 2) AS avg_deal_size,
           round((extract(epoch FROM @extschema@.sales_cycle_length(@extschema@.rollup(m.sales_cycle))) / 86400)::numeric, 2)
               AS avg_sales_cycle_days,
           round(@extschema@.acv(@extschema@.rollup(m.acv)), 2) AS acv,
           round(@extschema@.clv(@extschema@.rollup(m.clv)), 2) AS clv
    FROM closed_month m CROSS JOIN grains g
    GROUP BY 1, 2
),
-- the medians of each period's won deals, straight from the deals (rolling
-- up months would carry every value through three summaries)
medians AS (
    SELECT g.grain, @extschema@.fiscal_period_start(ds.closed_at, g.grain) AS period_start,
           round(@extschema@.deal_size_percentile(ds.amount, 0.5), 2) AS median_deal_size,
           round((extract(epoch FROM @extschema@.sales_cycle_percentile(ds.created_at, ds.closed_at, 0.5)) / 86400)::numeric, 2)
               AS median_sales_cycle_days
    FROM ds CROSS JOIN grains g
    WHERE ds.outcome = 'won'
    GROUP BY 1, 2
),
created AS (
    SELECT g.grain, @extschema@.fiscal_period_start(m.month, g.grain) AS period_start,
           @extschema@.conversion_rate(@extschema@.rollup(m.conversion)) AS lead_conversion
    FROM (SELECT @extschema@.fiscal_period_start(ds.created_at, 'month') AS month,
                 @extschema@.conversion_rate_summary(ds.won IS TRUE) AS conversion
          FROM ds GROUP BY 1) m
    CROSS JOIN grains g
    GROUP BY 1, 2
),
hired AS (
    SELECT g.grain, @extschema@.fiscal_period_start(r.hired_on, g.grain) AS period_start,
           @extschema@.avg_ramp_time(r.hired_on, r.first_contact_at)
               FILTER (WHERE r.first_contact_at < f.as_of_end) AS avg_ramp_time
    FROM sales_kpi.reps r CROSS JOIN grains g CROSS JOIN f
    WHERE r.hired_on <= f.as_of
    GROUP BY 1, 2
)
SELECT p.grain,
       p.period_start,
       p.period_end,
       p.period_label,
       coalesce(c.revenue, 0) AS revenue,
       @extschema@.period_growth(coalesce(c.revenue, 0)) OVER (PARTITION BY p.grain ORDER BY p.period_start) AS revenue_growth,
       coalesce(c.deals_won, 0) AS deals_won,
       c.win_rate,
       cr.lead_conversion,
       c.avg_deal_size,
       md.median_deal_size,
       c.avg_sales_cycle_days,
       md.median_sales_cycle_days,
       c.acv,
       c.clv,
       round(@extschema@.cac(round(p.spend, 2), coalesce(p.new_customers, 0)), 2) AS cac,
       p.customer_retention,
       p.customer_churn,
       p.mrr,
       CASE WHEN p.market >= coalesce(c.revenue, 0)
            THEN @extschema@.market_share(coalesce(c.revenue, 0), p.market) END AS market_share,
       p.rep_retention,
       h.avg_ramp_time,
       round((extract(epoch FROM h.avg_ramp_time) / 86400)::numeric, 2) AS avg_ramp_days,
       coalesce(p.referrals, 0)::float8 / nullif(p.active_reps, 0) AS referrals_per_rep,
       @extschema@.quota_attainment(coalesce(c.revenue, 0), p.quota) AS quota_attainment,
       (SELECT as_of FROM f) AS as_of
FROM p
LEFT JOIN closed c USING (grain, period_start)
LEFT JOIN medians md USING (grain, period_start)
LEFT JOIN created cr USING (grain, period_start)
LEFT JOIN hired h USING (grain, period_start);
COMMENT ON VIEW sales_kpi.kpi_summary IS
    'KPI summary dashboard: per fiscal month, quarter and year, revenue, growth, win rate, conversion, deal size, ACV, CLV, CAC, retention, churn, MRR, market share, rep retention, ramp time, referrals, quota attainment';
COMMENT ON COLUMN sales_kpi.kpi_summary.grain IS 'month, quarter or year (fiscal)';
COMMENT ON COLUMN sales_kpi.kpi_summary.period_start IS 'First day of the period';
COMMENT ON COLUMN sales_kpi.kpi_summary.period_end IS 'Day after the period, or after the as-of day for the current period';
COMMENT ON COLUMN sales_kpi.kpi_summary.period_label IS 'FY2026, FY2026-Q1 or FY2026-M01';
COMMENT ON COLUMN sales_kpi.kpi_summary.revenue IS 'Amount of deals won in the period';
COMMENT ON COLUMN sales_kpi.kpi_summary.revenue_growth IS 'Revenue growth over the previous period of the grain';
COMMENT ON COLUMN sales_kpi.kpi_summary.deals_won IS 'Deals won in the period';
COMMENT ON COLUMN sales_kpi.kpi_summary.win_rate IS 'Won / (won + lost), deals closed in the period';
COMMENT ON COLUMN sales_kpi.kpi_summary.lead_conversion IS 'Won / all, deals created in the period';
COMMENT ON COLUMN sales_kpi.kpi_summary.avg_deal_size IS 'Mean won amount';
COMMENT ON COLUMN sales_kpi.kpi_summary.median_deal_size IS 'Median won amount';
COMMENT ON COLUMN sales_kpi.kpi_summary.avg_sales_cycle_days IS 'Mean created-to-won time of the deals won, in days';
COMMENT ON COLUMN sales_kpi.kpi_summary.median_sales_cycle_days IS 'Median created-to-won time of the deals won, in days';
COMMENT ON COLUMN sales_kpi.kpi_summary.acv IS 'Annual contract value of the deals won';
COMMENT ON COLUMN sales_kpi.kpi_summary.clv IS 'Customer lifetime value from the deals won';
COMMENT ON COLUMN sales_kpi.kpi_summary.cac IS 'Marketing spend / customers acquired';
COMMENT ON COLUMN sales_kpi.kpi_summary.customer_retention IS 'Customers active on the first day still active on the last';
COMMENT ON COLUMN sales_kpi.kpi_summary.customer_churn IS 'Customers active on the first day gone by the last';
COMMENT ON COLUMN sales_kpi.kpi_summary.mrr IS 'Monthly recurring revenue on the last day';
COMMENT ON COLUMN sales_kpi.kpi_summary.market_share IS 'Revenue / market size';
COMMENT ON COLUMN sales_kpi.kpi_summary.rep_retention IS 'Reps employed on the first day still employed on the last';
COMMENT ON COLUMN sales_kpi.kpi_summary.avg_ramp_time IS 'Mean ramp time of the reps hired in the period';
COMMENT ON COLUMN sales_kpi.kpi_summary.avg_ramp_days IS 'avg_ramp_time in days';
COMMENT ON COLUMN sales_kpi.kpi_summary.referrals_per_rep IS 'Referred customers acquired / active reps';
COMMENT ON COLUMN sales_kpi.kpi_summary.quota_attainment IS 'Revenue / quota (prorated by days)';
COMMENT ON COLUMN sales_kpi.kpi_summary.as_of IS 'The as-of day';
