-- sales_kpi 1.0.1 -> 1.1

\echo Use "ALTER EXTENSION sales_kpi UPDATE TO '1.1'" to load this file. \quit

-- As in the install script: unqualified names resolve in pg_catalog only.
SET LOCAL search_path = pg_catalog, pg_temp;

-- A view's columns cannot be renamed, nor a materialized view's query
-- changed, in place: the views and twins below are dropped and created
-- again, and the privileges granted on them are kept (granted again at
-- the end).
CREATE TEMPORARY TABLE update_acl AS
SELECT c.relname, c.relacl FROM pg_class c
WHERE c.oid IN ('sales_kpi.team_activity'::regclass, 'sales_kpi.team_activity_mv'::regclass,
                'sales_kpi.customer_value_mv'::regclass,
                'sales_kpi.kpi_summary_periods_mv'::regclass, 'sales_kpi.kpi_summary_mv'::regclass,
                'sales_kpi.leaderboard_mv'::regclass,
                'sales_kpi.kpi_values_of_twins'::regclass, 'sales_kpi.kpi_alerts_of_twins'::regclass,
                'sales_kpi.kpi_alerts_mv'::regclass, 'sales_kpi.customer_cohorts_mv'::regclass,
                'sales_kpi.stage_probabilities_mv'::regclass, 'sales_kpi.lost_reasons_mv'::regclass);

-------------------------------------------------------------------------------
-- team_activity: each column says what it counts.  tasks_total and
-- tasks_completed counted this quarter's tasks while tasks_overdue counted
-- overdue tasks of any age, so a rep could read 584 overdue of 299 in total.
-- They are now tasks_this_quarter, tasks_completed_this_quarter and
-- tasks_overdue_any_age.
-------------------------------------------------------------------------------
DROP MATERIALIZED VIEW sales_kpi.team_activity_mv;
DROP VIEW sales_kpi.team_activity;

-- The quarter's activities are found through the index on created_at (by
-- rep, for a role that sees some reps; the quarter's start compared as a
-- timestamptz, which an index can, unlike a date), and the overdue tasks
-- through the index of tasks never completed (by rep, read from the index
-- alone) plus the one on completed_at (tasks completed after the as-of
-- day): neither part reads the whole history of activities.
CREATE VIEW sales_kpi.team_activity WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
quarter AS (
    SELECT a.rep_id,
           count(*) FILTER (WHERE a.kind = 'task') AS tasks_this_quarter,
           count(*) FILTER (WHERE a.kind = 'task' AND a.completed_at < (SELECT as_of_end FROM f))
               AS tasks_completed_this_quarter,
           count(*) FILTER (WHERE a.kind = 'call') AS calls,
           count(*) FILTER (WHERE a.kind = 'email') AS emails,
           count(*) FILTER (WHERE a.kind = 'meeting') AS meetings,
           count(*) AS activities_total
    FROM sales_kpi.activities a
    WHERE a.created_at >= (SELECT quarter_start::timestamptz FROM f) AND a.created_at < (SELECT as_of_end FROM f)
    GROUP BY a.rep_id
),
overdue AS (
    SELECT o.rep_id, count(*) AS tasks_overdue_any_age
    FROM (SELECT a.rep_id FROM sales_kpi.activities a
          WHERE a.kind = 'task' AND a.completed_at IS NULL
            AND a.due_at < (SELECT as_of_end FROM f) AND a.created_at < (SELECT as_of_end FROM f)
          UNION ALL
          SELECT a.rep_id FROM sales_kpi.activities a
          WHERE a.kind = 'task' AND a.completed_at >= (SELECT as_of_end FROM f)
            AND a.due_at < (SELECT as_of_end FROM f) AND a.created_at < (SELECT as_of_end FROM f)) o
    GROUP BY o.rep_id
)
SELECT r.rep_id,
       r.name AS rep_name,
       r.team,
       coalesce(q.tasks_this_quarter, 0) AS tasks_this_quarter,
       coalesce(q.tasks_completed_this_quarter, 0) AS tasks_completed_this_quarter,
       coalesce(o.tasks_overdue_any_age, 0) AS tasks_overdue_any_age,
       coalesce(q.calls, 0) AS calls,
       coalesce(q.emails, 0) AS emails,
       coalesce(q.meetings, 0) AS meetings,
       coalesce(q.activities_total, 0) AS activities_total,
       f.quarter_start AS period_start,
       f.as_of
FROM sales_kpi.reps r
CROSS JOIN f
LEFT JOIN quarter q ON q.rep_id = r.rep_id
LEFT JOIN overdue o ON o.rep_id = r.rep_id
WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.quarter_start);
COMMENT ON VIEW sales_kpi.team_activity IS
    'Team activity dashboard: per rep, tasks, calls, emails and meetings this fiscal quarter, and overdue tasks';
COMMENT ON COLUMN sales_kpi.team_activity.rep_id IS 'Rep';
COMMENT ON COLUMN sales_kpi.team_activity.rep_name IS 'Rep name';
COMMENT ON COLUMN sales_kpi.team_activity.team IS 'Team';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_this_quarter IS 'Tasks created this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_completed_this_quarter IS 'Tasks created this quarter and completed by the as-of day';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_overdue_any_age IS
    'Tasks due before the end of the as-of day and not completed by then, whenever created (not only this quarter''s)';
COMMENT ON COLUMN sales_kpi.team_activity.calls IS 'Calls this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.emails IS 'Emails this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.meetings IS 'Meetings this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.activities_total IS 'All activities this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.period_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.team_activity.as_of IS 'The as-of day';

DO $$
BEGIN
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.team_activity_mv AS '
            || sales_kpi.twin_query('sales_kpi.team_activity'::regclass);
END
$$;
CREATE UNIQUE INDEX team_activity_mv_key ON sales_kpi.team_activity_mv (rep_id) NULLS NOT DISTINCT;
COMMENT ON MATERIALIZED VIEW sales_kpi.team_activity_mv IS 'Snapshot of sales_kpi.team_activity (no row-level security)';

-------------------------------------------------------------------------------
-- customer_value: no predicted CLV (NULL) where the Gamma-Gamma fit has no
-- finite mean spend (q <= 1), instead of an error for the whole dashboard --
-- which a rep's own few customers could give.
-------------------------------------------------------------------------------
DROP MATERIALIZED VIEW sales_kpi.customer_value_mv;
CREATE OR REPLACE VIEW sales_kpi.customer_value WITH (security_invoker = true) AS
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
COMMENT ON COLUMN sales_kpi.customer_value.predicted_clv IS 'Predicted CLV over 12 months of 30 days, discounted 1% a month (BG/NBD x Gamma-Gamma); NULL when the Gamma-Gamma fit has no finite mean spend (q <= 1)';
DO $$
BEGIN
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.customer_value_mv AS '
            || sales_kpi.twin_query('sales_kpi.customer_value'::regclass);
END
$$;
CREATE UNIQUE INDEX customer_value_mv_key ON sales_kpi.customer_value_mv (customer_id) NULLS NOT DISTINCT;
COMMENT ON MATERIALIZED VIEW sales_kpi.customer_value_mv IS 'Snapshot of sales_kpi.customer_value (no row-level security)';

-- (both twins were computed just now, as of this session's day: the next
-- refresh_dashboards() computes them again and records it)
DELETE FROM sales_kpi.dashboard_refreshes
WHERE view_name IN ('sales_kpi.team_activity_mv', 'sales_kpi.customer_value_mv');

-------------------------------------------------------------------------------
-- The change-capture triggers run as the extension's owner: a role granted
-- writes on a model table needs no privilege on the change log.
-------------------------------------------------------------------------------
ALTER FUNCTION sales_kpi.dashboard_deals_changed() SECURITY DEFINER;
ALTER FUNCTION sales_kpi.dashboard_table_changed() SECURITY DEFINER;
ALTER FUNCTION sales_kpi.dashboard_activities_updated() SECURITY DEFINER;
REVOKE ALL ON FUNCTION sales_kpi.dashboard_deals_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION sales_kpi.dashboard_table_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION sales_kpi.dashboard_activities_updated() FROM PUBLIC;

-------------------------------------------------------------------------------
-- A rep's versions, read through the rep security policy: an index (built
-- here over the whole history, which takes a while on a large one).
-------------------------------------------------------------------------------
CREATE INDEX deal_history_rep_id ON sales_kpi.deal_history (rep_id);

-------------------------------------------------------------------------------
-- Activities by rep: the quarter's by (rep_id, created_at), which replaces
-- the index on rep_id alone, and the tasks never completed by rep with what
-- the overdue count reads (src/model.sql); built here over every activity.
-------------------------------------------------------------------------------
DROP INDEX sales_kpi.activities_rep_id;
CREATE INDEX activities_rep_id_created_at ON sales_kpi.activities (rep_id, created_at);
DROP INDEX sales_kpi.activities_open_tasks;
CREATE INDEX activities_open_tasks ON sales_kpi.activities (rep_id, due_at, created_at) WHERE kind = 'task' AND completed_at IS NULL;

-------------------------------------------------------------------------------
-- kpi_summary: customer retention, churn and MRR from running totals instead
-- of one aggregate per period over every customer and subscription (same
-- numbers; src/dashboards/kpi_summary.sql).  The twins that run its query,
-- and the alerts' twin that reads them, are created again with their
-- privileges.  So is the leaderboard's twin, which the alerts' twin reads
-- too: the leaderboard finds the quarter's activities through the index by
-- rep and creation (src/dashboards/leaderboard.sql).
-------------------------------------------------------------------------------
DROP MATERIALIZED VIEW sales_kpi.kpi_alerts_mv;
DROP VIEW sales_kpi.kpi_alerts_of_twins;
DROP VIEW sales_kpi.kpi_values_of_twins;
DROP MATERIALIZED VIEW sales_kpi.kpi_summary_mv;
DROP MATERIALIZED VIEW sales_kpi.kpi_summary_periods_mv;
DROP MATERIALIZED VIEW sales_kpi.leaderboard_mv;
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

CREATE OR REPLACE VIEW sales_kpi.kpi_summary_periods WITH (security_invoker = true) AS
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
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.new_customers IS 'Customers acquired in the period (to the as-of day)';
COMMENT ON COLUMN sales_kpi.kpi_summary_periods.referrals IS 'Of those, the customers referred by a rep';

-- Deals are summarised per fiscal month once (the KPI aggregates' summaries,
-- sums and counts), and the months rolled up into quarters and years:
-- exactly what the aggregates give over the rows, at a third of the work.
CREATE OR REPLACE VIEW sales_kpi.kpi_summary WITH (security_invoker = true) AS
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

-- Dashboard: Leaderboard.  Reps and teams for the fiscal quarter to date:
-- quota attainment (quota prorated by days), won revenue, deals won,
-- average sales cycle of those deals, pipeline generated (amount of deals
-- created this quarter), open pipeline, activities; ranked by attainment,
-- then won revenue, within reps and within teams.  Team KPIs are computed
-- over the team's deals, not averaged over its reps.

CREATE OR REPLACE VIEW sales_kpi.leaderboard WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
reps AS (
    SELECT r.rep_id, r.name, coalesce(r.team, '(none)') AS team
    FROM sales_kpi.reps r CROSS JOIN f
    WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.quarter_start)
),
-- each rep's deals summarised once (a plain GROUP BY), then reps and teams
-- rolled up from them: team KPIs over the team's deals
per_rep AS (
    SELECT ds.rep_id,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'won' AND ds.closed_at >= f.quarter_start) AS won_revenue,
           count(*) FILTER (WHERE ds.outcome = 'won' AND ds.closed_at >= f.quarter_start) AS deals_won,
           @extschema@.sales_cycle_length_summary(ds.created_at, ds.closed_at)
               FILTER (WHERE ds.outcome = 'won' AND ds.closed_at >= f.quarter_start) AS sales_cycle,
           sum(ds.amount) FILTER (WHERE ds.created_at >= f.quarter_start) AS pipeline_generated,
           sum(ds.amount) FILTER (WHERE ds.outcome = 'open') AS open_pipeline
    FROM sales_kpi.deal_state ds
    CROSS JOIN f
    -- the deals any of these counts: open, or won or created this quarter
    WHERE ds.outcome = 'open' OR ds.closed_at >= f.quarter_start OR ds.created_at >= f.quarter_start
    GROUP BY ds.rep_id
),
deal_kpis AS (
    SELECT GROUPING(r.rep_id) = 1 AS is_team, r.rep_id, r.team,
           coalesce(sum(p.won_revenue), 0) AS won_revenue,
           coalesce(sum(p.deals_won), 0)::bigint AS deals_won,
           @extschema@.sales_cycle_length(@extschema@.rollup(p.sales_cycle)) AS avg_sales_cycle,
           coalesce(sum(p.pipeline_generated), 0) AS pipeline_generated,
           coalesce(sum(p.open_pipeline), 0) AS open_pipeline
    FROM reps r
    LEFT JOIN per_rep p ON p.rep_id = r.rep_id
    GROUP BY GROUPING SETS ((r.team, r.rep_id), (r.team))
),
rep_quota AS (
    SELECT q.rep_id, sum(sales_kpi.prorate(q.amount, q.period, daterange(f.quarter_start, f.as_of + 1))) AS quota
    FROM sales_kpi.quotas q CROSS JOIN f
    WHERE q.period && daterange(f.quarter_start, f.as_of + 1)
    GROUP BY q.rep_id
),
-- (the quarter's start as a timestamptz, which an index on created_at can
-- compare: a date's comparison with a timestamptz depends on the time zone)
rep_activity AS (
    SELECT a.rep_id, count(*) AS activities
    FROM sales_kpi.activities a CROSS JOIN f
    WHERE a.created_at >= f.quarter_start::timestamptz AND a.created_at < f.as_of_end
    GROUP BY a.rep_id
),
per_entity AS (
    SELECT k.*,
           CASE WHEN k.is_team THEN (SELECT sum(q.quota) FROM rep_quota q JOIN reps r USING (rep_id) WHERE r.team = k.team)
                ELSE (SELECT q.quota FROM rep_quota q WHERE q.rep_id = k.rep_id) END AS quota,
           coalesce(CASE WHEN k.is_team THEN (SELECT sum(a.activities) FROM rep_activity a JOIN reps r USING (rep_id) WHERE r.team = k.team)
                         ELSE (SELECT a.activities FROM rep_activity a WHERE a.rep_id = k.rep_id) END, 0)::bigint AS activities
    FROM deal_kpis k
)
SELECT CASE WHEN e.is_team THEN 'team' ELSE 'rep' END AS level,
       CASE WHEN e.is_team THEN e.team ELSE e.rep_id END AS entity_id,
       CASE WHEN e.is_team THEN e.team ELSE r.name END AS name,
       e.team,
       rank() OVER (PARTITION BY e.is_team
                    ORDER BY @extschema@.quota_attainment(e.won_revenue, e.quota) DESC NULLS LAST,
                             e.won_revenue DESC) AS rank,
       @extschema@.quota_attainment(e.won_revenue, e.quota) AS quota_attainment,
       e.won_revenue,
       round(e.quota, 2) AS quota,
       e.deals_won,
       e.avg_sales_cycle,
       round((extract(epoch FROM e.avg_sales_cycle) / 86400)::numeric, 2) AS avg_sales_cycle_days,
       e.pipeline_generated,
       e.open_pipeline,
       e.activities,
       f.quarter_start AS period_start,
       f.as_of
FROM per_entity e
CROSS JOIN f
LEFT JOIN reps r ON r.rep_id = e.rep_id;
DO $$
BEGIN
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.leaderboard_mv AS '
            || sales_kpi.twin_query('sales_kpi.leaderboard'::regclass);
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.kpi_summary_periods_mv AS '
            || sales_kpi.twin_query('sales_kpi.kpi_summary_periods'::regclass);
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.kpi_summary_mv AS '
            || sales_kpi.twin_query('sales_kpi.kpi_summary'::regclass);
END
$$;
CREATE UNIQUE INDEX leaderboard_mv_key ON sales_kpi.leaderboard_mv (level, entity_id) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX kpi_summary_periods_mv_key ON sales_kpi.kpi_summary_periods_mv (grain, period_start) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX kpi_summary_mv_key ON sales_kpi.kpi_summary_mv (grain, period_start) NULLS NOT DISTINCT;
COMMENT ON MATERIALIZED VIEW sales_kpi.leaderboard_mv IS 'Snapshot of sales_kpi.leaderboard (no row-level security)';
DO $$
BEGIN
    EXECUTE 'CREATE VIEW sales_kpi.kpi_values_of_twins WITH (security_invoker = true) AS '
            || sales_kpi.kpi_values_query('sales_kpi.kpi_summary_mv', 'sales_kpi.pipeline_mv', 'sales_kpi.leaderboard_mv');
    EXECUTE 'CREATE VIEW sales_kpi.kpi_alerts_of_twins WITH (security_invoker = true) AS '
            || sales_kpi.kpi_alerts_query('sales_kpi.kpi_values_of_twins');
    -- the live views' column comments
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN %s.%I IS %L', t.twin, a.attname,
                                      col_description(t.live, a.attnum)), '; ')
             FROM (VALUES ('sales_kpi.kpi_values'::regclass, 'sales_kpi.kpi_values_of_twins'),
                          ('sales_kpi.kpi_alerts'::regclass, 'sales_kpi.kpi_alerts_of_twins')) t(live, twin)
             JOIN pg_attribute a ON a.attrelid = t.live AND a.attnum > 0 AND NOT a.attisdropped);
END
$$;
COMMENT ON VIEW sales_kpi.kpi_values_of_twins IS 'sales_kpi.kpi_values over the twins (what the alerts'' twin reads)';
COMMENT ON VIEW sales_kpi.kpi_alerts_of_twins IS 'sales_kpi.kpi_alerts over the twins (the query of kpi_alerts_mv)';
CREATE MATERIALIZED VIEW sales_kpi.kpi_alerts_mv AS SELECT * FROM sales_kpi.kpi_alerts_of_twins;
CREATE UNIQUE INDEX kpi_alerts_mv_key ON sales_kpi.kpi_alerts_mv (target_id, scope_id);
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_summary_periods_mv IS 'Snapshot of sales_kpi.kpi_summary_periods, which kpi_summary_mv reads (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_summary_mv IS 'Snapshot of sales_kpi.kpi_summary (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.kpi_alerts_mv IS 'Snapshot of sales_kpi.kpi_alerts, computed from the other twins (no row-level security)';
DELETE FROM sales_kpi.dashboard_refreshes
WHERE view_name IN ('sales_kpi.kpi_summary_periods_mv', 'sales_kpi.kpi_summary_mv', 'sales_kpi.kpi_alerts_mv',
                    'sales_kpi.leaderboard_mv');

-------------------------------------------------------------------------------
-- deal_state reads the refresh's per-deal store where it is current and
-- shows the caller what the versions would, and computes from their
-- versions only the deals written since (src/dashboards/00_deal_state.sql).
-- The change log records the reps of the rows written, so that the rep
-- policies show a rep the changes of their deals.
-------------------------------------------------------------------------------
ALTER TABLE sales_kpi.dashboard_changes ADD COLUMN rep_id text;
COMMENT ON COLUMN sales_kpi.dashboard_changes.rep_id IS
    'The rep of a row written of that deal (one row per rep: before and after an owner change); the rep security policies show a rep the changes of their deals';
CREATE INDEX dashboard_changes_rep_id ON sales_kpi.dashboard_changes (rep_id);
CREATE INDEX deal_state_store_rep_id ON sales_kpi.deal_state_store (rep_id);
COMMENT ON TABLE sales_kpi.deal_state_store IS
    'sales_kpi.deal_state as of the last refresh, kept per deal by sales_kpi.refresh_dashboards() (what the twins read, and sales_kpi.deal_state for the deals not written since)';
CREATE INDEX deal_state_quarter_open_store_rep_id ON sales_kpi.deal_state_quarter_open_store (rep_id);
COMMENT ON TABLE sales_kpi.deal_state_quarter_open_store IS
    'sales_kpi.deal_state_quarter_open (the deals when the quarter began) as of the last refresh, kept per deal like deal_state_store (what the pipeline flow twin reads, and deal_state_quarter_open for the deals not written since)';
CREATE OR REPLACE FUNCTION sales_kpi.dashboard_deals_changed()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO sales_kpi.dashboard_changes (source, deal_id, rep_id) SELECT DISTINCT 'deals', deal_id, rep_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO sales_kpi.dashboard_changes (source, deal_id, rep_id) SELECT DISTINCT 'deals', deal_id, rep_id FROM old_rows;
    ELSE
        INSERT INTO sales_kpi.dashboard_changes (source, deal_id, rep_id)
        SELECT 'deals', deal_id, rep_id FROM new_rows UNION SELECT 'deals', deal_id, rep_id FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.dashboard_deals_changed() IS
    'Statement trigger on sales_kpi.deals and sales_kpi.deal_history: records the deals written, for the next incremental refresh';
REVOKE ALL ON FUNCTION sales_kpi.dashboard_deals_changed() FROM PUBLIC;

-- The settings the stores depend on, now, and the start of the statement
-- (a refresh's).  STABLE: the views ask it, through
-- deal_state_store_current(), inside statements that may run in parallel
-- mode after writing (CREATE TABLE AS), where a VOLATILE SQL function would
-- have to start a command of its own and cannot.
CREATE OR REPLACE FUNCTION sales_kpi.dashboard_settings_now()
RETURNS sales_kpi.dashboard_refresh_state
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT true, sales_kpi.as_of(), current_setting('TimeZone'),
           current_setting('sales_kpi.fiscal_year_start_month')::integer,
           -- the catalog, the rates and the settings the amounts and probabilities follow
           md5((SELECT coalesce(string_agg(s::text, ',' ORDER BY s::text), '') FROM sales_kpi.stages s)
               || '|' || (SELECT coalesce(string_agg(x::text, ',' ORDER BY x::text), '') FROM sales_kpi.exchange_rates x)
               || '|' || coalesce(sales_kpi.corporate_currency(), '') || '|' || sales_kpi.probability_source()
               || '|' || sales_kpi.probability_window()),
           (SELECT min(d.created_at) FROM sales_kpi.deals d),
           statement_timestamp()
$$;
COMMENT ON FUNCTION sales_kpi.dashboard_settings_now() IS
    'The as-of day, time zone, fiscal year start, stage catalog, exchange rates and currency and probability settings (md5), and first deal the dashboards would be computed under now';

CREATE FUNCTION sales_kpi.deal_state_store_current()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM sales_kpi.dashboard_refresh_state s, sales_kpi.dashboard_settings_now() n
                   WHERE (s.as_of, s.time_zone, s.fiscal_year_start_month, s.catalog)
                         IS NOT DISTINCT FROM (n.as_of, n.time_zone, n.fiscal_year_start_month, n.catalog))
       AND NOT EXISTS (SELECT FROM sales_kpi.dashboard_changes c
                       WHERE c.source OPERATOR(pg_catalog.=) 'deals' AND c.deal_id IS NULL)
$$;
COMMENT ON FUNCTION sales_kpi.deal_state_store_current() IS
    'Whether sales_kpi.deal_state_store was built under the as-of day, time zone, fiscal year start, catalog, rates and settings of now, with no TRUNCATE of the history since (what sales_kpi.deal_state_rows() asks; the quarter-open store is kept with it)';
-- (granted by sales_kpi.grant_rep_access(); a role without it reads
-- deal_state computed from the versions)
REVOKE ALL ON FUNCTION sales_kpi.deal_state_store_current() FROM PUBLIC;

CREATE OR REPLACE FUNCTION sales_kpi.refresh_dashboard_stores(full boolean)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
    ids text[];
    versions constant text := '(SELECT * FROM sales_kpi.deal_versions WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    stages constant text := '(SELECT * FROM sales_kpi.deal_stage_history WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    visits constant text := '(SELECT * FROM sales_kpi.stage_visits_store WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    history constant text := '(SELECT * FROM sales_kpi.deal_history WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
    deals constant text := '(SELECT * FROM sales_kpi.deals WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))';
BEGIN
    -- the reps of the deals (each stored visit carries its deal's sole rep)
    IF to_regclass('pg_temp.dashboard_deal_owners') IS NOT NULL THEN
        DROP TABLE pg_temp.dashboard_deal_owners;
    END IF;
    IF refresh_dashboard_stores.full THEN
        -- the live dashboards read the two deal state stores (whose rows
        -- they use only while the settings are those the refresh records,
        -- in this same transaction): deleting, not truncating, keeps them
        -- readable meanwhile; only the refresh reads the others
        DELETE FROM sales_kpi.deal_state_store;
        DELETE FROM sales_kpi.deal_state_quarter_open_store;
        -- (and the stage visits' stores too, which stage_visits reads)
        DELETE FROM sales_kpi.stage_visits_store;
        DELETE FROM sales_kpi.stage_visit_reps_store;
        DELETE FROM sales_kpi.stage_visits_by_rep_store;
        TRUNCATE sales_kpi.stage_visit_totals_store;
        -- (in rep order, as the visits below: a rep's or a manager's deals
        -- then lie together -- a manager's 41,639 of a million on 1,554
        -- pages instead of 22,470)
        INSERT INTO sales_kpi.deal_state_store SELECT * FROM sales_kpi.deal_state_computed ORDER BY rep_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        INSERT INTO sales_kpi.deal_state_quarter_open_store
        SELECT * FROM sales_kpi.deal_state_quarter_open_computed ORDER BY rep_id;
        ANALYZE sales_kpi.deal_state_quarter_open_store;
        CREATE TEMP TABLE dashboard_deal_owners ON COMMIT DROP AS SELECT * FROM sales_kpi.deal_owners;
        INSERT INTO sales_kpi.stage_visits_store
        SELECT v.*, o.sole_rep FROM sales_kpi.stage_visits_computed v
        LEFT JOIN pg_temp.dashboard_deal_owners o ON o.deal_id OPERATOR(pg_catalog.=) v.deal_id
        ORDER BY o.sole_rep;
        INSERT INTO sales_kpi.stage_visit_reps_store
        SELECT o.deal_id, unnest(o.reps) FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL;
        EXECUTE 'INSERT INTO sales_kpi.stage_visits_by_rep_store SELECT * FROM ('
                || sales_kpi.stage_visits_by_rep_query('SELECT o.deal_id FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL')
                || ') v ORDER BY v.rep_id';
        ANALYZE sales_kpi.deal_state_store;
        ANALYZE sales_kpi.stage_visits_store;
        ANALYZE sales_kpi.stage_visit_reps_store;
        ANALYZE sales_kpi.stage_visits_by_rep_store;
        EXECUTE 'INSERT INTO sales_kpi.stage_visit_totals_store '
                || sales_kpi.stage_visit_totals_query('sales_kpi.stage_visits_store');
        RETURN n;
    END IF;
    SELECT count(*) INTO n FROM pg_temp.dashboard_changed_deals;
    IF n = 0 THEN
        RETURN 0;
    END IF;
    SELECT array_agg(deal_id) INTO ids FROM pg_temp.dashboard_changed_deals;
    -- the stage totals of those deals' visits as they were
    IF to_regclass('pg_temp.dashboard_totals_delta') IS NOT NULL THEN
        DROP TABLE pg_temp.dashboard_totals_delta;
    END IF;
    EXECUTE 'CREATE TEMP TABLE dashboard_totals_delta ON COMMIT DROP AS SELECT -1 AS sign, * FROM ('
            || sales_kpi.stage_visit_totals_query(visits)
            || ') t'
    USING ids;
    DELETE FROM sales_kpi.deal_state_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.deal_state_quarter_open_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.stage_visits_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.stage_visit_reps_store s WHERE s.deal_id = ANY (ids);
    DELETE FROM sales_kpi.stage_visits_by_rep_store s WHERE s.deal_id = ANY (ids);
    -- the views' own queries, over the versions of those deals only
    EXECUTE 'INSERT INTO sales_kpi.deal_state_store '
            || sales_kpi.view_query('sales_kpi.deal_state_computed', ARRAY['sales_kpi.deal_versions'], ARRAY[versions])
    USING ids;
    EXECUTE 'INSERT INTO sales_kpi.deal_state_quarter_open_store '
            || sales_kpi.view_query('sales_kpi.deal_state_quarter_open_computed', ARRAY['sales_kpi.deal_versions'], ARRAY[versions])
    USING ids;
    EXECUTE 'CREATE TEMP TABLE dashboard_deal_owners ON COMMIT DROP AS '
            || sales_kpi.view_query('sales_kpi.deal_owners', ARRAY['sales_kpi.deal_history', 'sales_kpi.deals'],
                                    ARRAY[history, deals])
    USING ids;
    EXECUTE 'INSERT INTO sales_kpi.stage_visits_store SELECT v.*, o.sole_rep FROM ('
            || sales_kpi.view_query('sales_kpi.stage_visits_computed', ARRAY['sales_kpi.deal_versions', 'sales_kpi.deal_stage_history'],
                                    ARRAY[versions, stages])
            || ') v LEFT JOIN pg_temp.dashboard_deal_owners o ON o.deal_id OPERATOR(pg_catalog.=) v.deal_id'
    USING ids;
    INSERT INTO sales_kpi.stage_visit_reps_store
    SELECT o.deal_id, unnest(o.reps) FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL;
    EXECUTE 'INSERT INTO sales_kpi.stage_visits_by_rep_store '
            || sales_kpi.stage_visits_by_rep_query('SELECT o.deal_id FROM pg_temp.dashboard_deal_owners o WHERE o.sole_rep IS NULL');
    -- and as they are now: the totals move by the difference (sums and
    -- counts, exact; a stage's label and order are the catalog's)
    EXECUTE 'INSERT INTO pg_temp.dashboard_totals_delta SELECT 1, * FROM ('
            || sales_kpi.stage_visit_totals_query(visits)
            || ') t'
    USING ids;
    INSERT INTO sales_kpi.stage_visit_totals_store AS s
    SELECT d.pipeline, d.stage, min(d.label) FILTER (WHERE d.sign = 1), min(d.pipeline_order) FILTER (WHERE d.sign = 1),
           sum(d.sign * d.entered), sum(d.sign * d.deals_entered), sum(d.sign * d.in_stage_now),
           sum(d.sign * d.moved_on), sum(d.sign * d.lost_from_stage),
           coalesce(sum(d.open_time) FILTER (WHERE d.sign = 1), interval '0')
             - coalesce(sum(d.open_time) FILTER (WHERE d.sign = -1), interval '0'),
           sum(d.sign * d.open_visits), sum(d.sign * d.converted), sum(d.sign * d.stalled_deals)
    FROM pg_temp.dashboard_totals_delta d
    GROUP BY d.pipeline, d.stage
    ON CONFLICT (pipeline, stage) DO UPDATE
       SET label = coalesce(s.label, excluded.label), pipeline_order = coalesce(s.pipeline_order, excluded.pipeline_order),
           entered = s.entered + excluded.entered, deals_entered = s.deals_entered + excluded.deals_entered,
           in_stage_now = s.in_stage_now + excluded.in_stage_now, moved_on = s.moved_on + excluded.moved_on,
           lost_from_stage = s.lost_from_stage + excluded.lost_from_stage,
           open_time = coalesce(s.open_time, interval '0') + excluded.open_time,
           open_visits = s.open_visits + excluded.open_visits, converted = s.converted + excluded.converted,
           stalled_deals = s.stalled_deals + excluded.stalled_deals;
    DELETE FROM sales_kpi.stage_visit_totals_store WHERE entered = 0;
    RETURN n;
END
$$;
COMMENT ON FUNCTION sales_kpi.refresh_dashboard_stores(boolean) IS
    'Recomputes the stores'' rows of the deals in pg_temp.dashboard_changed_deals, or (full) all of them; used by sales_kpi.refresh_dashboards()';
REVOKE ALL ON FUNCTION sales_kpi.refresh_dashboard_stores(boolean) FROM PUBLIC;

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

CREATE OR REPLACE VIEW sales_kpi.deal_state WITH (security_invoker = true) AS
SELECT * FROM sales_kpi.deal_state_rows(false);
DO $$
BEGIN
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN sales_kpi.deal_state_computed.%I IS %L', a.attname,
                                      col_description(a.attrelid, a.attnum)), '; ')
             FROM pg_attribute a WHERE a.attrelid = 'sales_kpi.deal_state'::regclass AND a.attnum > 0);
END
$$;

CREATE OR REPLACE FUNCTION sales_kpi.deal_state_query(day text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(rtrim(rtrim(pg_get_viewdef('sales_kpi.deal_state_computed'::regclass), E' \n'), ';'),
                   'sales_kpi.as_of()', '(' || day || ')')
$$;
COMMENT ON FUNCTION sales_kpi.deal_state_query(text) IS
    'The query of sales_kpi.deal_state with the as-of day given by an SQL expression (how the pipeline flow reads the deals at two days)';

-- Like deal_state, the view reads the refresh's store and computes the
-- deals written since (sales_kpi.deal_state_rows(true)).
DO $$
BEGIN
    EXECUTE 'CREATE VIEW sales_kpi.deal_state_quarter_open_computed WITH (security_invoker = true) AS '
            || sales_kpi.deal_state_query('@extschema@.fiscal_period_start(sales_kpi.as_of(), ''quarter'') - 1');
    EXECUTE 'CREATE OR REPLACE VIEW sales_kpi.deal_state_quarter_open WITH (security_invoker = true) AS '
            'SELECT * FROM sales_kpi.deal_state_rows(true)';
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN %s.%I IS %L', v, a.attname,
                                      col_description(a.attrelid, a.attnum)), '; ')
             FROM pg_attribute a,
                  unnest(ARRAY['sales_kpi.deal_state_quarter_open', 'sales_kpi.deal_state_quarter_open_computed']) v
             WHERE a.attrelid = 'sales_kpi.deal_state'::regclass AND a.attnum > 0);
END
$$;
COMMENT ON VIEW sales_kpi.deal_state_quarter_open_computed IS
    'sales_kpi.deal_state_computed as of the day before the as-of day''s fiscal quarter began (what the refresh keeps in sales_kpi.deal_state_quarter_open_store)';
-- (security_invoker, as deal_state_computed)
GRANT SELECT ON sales_kpi.deal_state_quarter_open_computed TO PUBLIC;
COMMENT ON VIEW sales_kpi.deal_state_quarter_open IS
    'sales_kpi.deal_state as of the day before the as-of day''s fiscal quarter began (the opening of the pipeline_flow dashboard)';

-------------------------------------------------------------------------------
-- stage_visits reads the refresh's per-deal store the way deal_state
-- does (src/dashboards/00_stage_visits.sql): the view's own query is now
-- stage_visits_computed, and the store records each visit's deal's sole
-- rep, and new stores the reps of the other deals and their visits as
-- each rep's versions give them, for the rep policies to restrict all
-- three.  They are filled here from the deals as they are: a
-- deal written since the last refresh is computed from its versions anyway.
-------------------------------------------------------------------------------
-- Every stage visit up to the end of the as-of day, one row per visit,
-- with what the dashboard needs from the catalog: the stage as the catalog
-- names it, its label and order, and the outcome and order of the stage the
-- deal moved to next.  A visit depends on its own deal's versions and the
-- catalog only, so the refresh keeps a per-deal copy of it
-- (sales_kpi.stage_visits_store, incremental.sql) for the deals that changed,
-- and sales_kpi.stage_visits reads that copy where it can (below).
CREATE VIEW sales_kpi.stage_visits_computed WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
ends AS (
    -- when each deal's history ends (infinity while it exists)
    SELECT h.deal_id, max(CASE WHEN upper_inf(h.valid) THEN 'infinity'::timestamptz ELSE upper(h.valid) END) AS last_end
    FROM sales_kpi.deal_versions h CROSS JOIN f
    WHERE lower(h.valid) < f.as_of_end
    GROUP BY h.deal_id
),
h AS (
    SELECT h.deal_id, h.pipeline, h.stage, h.entered_at,
           lead(h.stage) OVER w AS next_stage, lead(h.pipeline) OVER w AS next_pipeline,
           @extschema@.stage_normalize(h.stage) AS normalized,
           @extschema@.stage_normalize(lead(h.stage) OVER w) AS next_normalized,
           coalesce(lead(h.entered_at) OVER w, least(e.last_end, f.as_of_end)) - h.entered_at AS in_stage,
           lead(h.entered_at) OVER w IS NULL AND e.last_end >= f.as_of_end AS current
    FROM sales_kpi.deal_stage_history h
    JOIN ends e ON e.deal_id = h.deal_id
    CROSS JOIN f
    WHERE h.entered_at < f.as_of_end
    WINDOW w AS (PARTITION BY h.deal_id ORDER BY h.entered_at)
),
v AS (
    SELECT h.deal_id, h.entered_at, h.pipeline,
           coalesce(sp.name, sa.name, h.stage) AS stage,
           coalesce(sp.label, sa.label, sp.name, sa.name, h.stage) AS label,
           coalesce(sp.pipeline_order, sa.pipeline_order) AS pipeline_order,
           coalesce(sp.stalled_after_days, sa.stalled_after_days) AS stalled_after_days,
           h.in_stage, h.next_stage, h.current,
           @extschema@.stage_outcome(h.pipeline, h.stage) AS outcome,
           @extschema@.stage_outcome(h.next_pipeline, h.next_stage) AS next_outcome,
           coalesce(np.pipeline_order, na.pipeline_order) AS next_order
    FROM h
    LEFT JOIN sales_kpi.stages sp ON sp.pipeline = h.pipeline AND sp.normalized = h.normalized
    LEFT JOIN sales_kpi.stages sa ON sa.pipeline IS NULL AND sa.normalized = h.normalized
    LEFT JOIN sales_kpi.stages np ON np.pipeline = h.next_pipeline AND np.normalized = h.next_normalized
    LEFT JOIN sales_kpi.stages na ON na.pipeline IS NULL AND na.normalized = h.next_normalized
)
SELECT v.deal_id, v.entered_at, v.pipeline, v.stage, v.label, v.pipeline_order, v.stalled_after_days,
       v.in_stage, v.next_stage, v.current, v.outcome, v.next_outcome, v.next_order,
       row_number() OVER (PARTITION BY v.deal_id, v.pipeline, v.stage ORDER BY v.entered_at) = 1 AS first_visit,
       (SELECT f.as_of FROM f) AS as_of
FROM v;
COMMENT ON VIEW sales_kpi.stage_visits_computed IS
    'sales_kpi.stage_visits computed from the versions of every deal (what the refresh keeps in sales_kpi.stage_visits_store)';
-- (security_invoker, and granted like deal_state_computed: the roles that
-- may read the versions may read it)
GRANT SELECT ON sales_kpi.stage_visits_computed TO PUBLIC;

-- Per deal, the reps its versions name: the one rep of every version
-- (sole_rep), or NULL when they name several or some name none, and then
-- the reps named.  The rep policies show a role every version of a deal
-- with a sole rep or none of them; of another deal, maybe some only, whose
-- visits are not the deal's visits.  So the refresh records the sole rep
-- beside each stored visit and the reps of the other deals
-- (sales_kpi.stage_visit_reps_store, incremental.sql).
CREATE VIEW sales_kpi.deal_owners WITH (security_invoker = true) AS
SELECT o.deal_id,
       CASE WHEN count(DISTINCT o.rep_id) = 1 AND count(o.rep_id) = count(*) THEN min(o.rep_id) END AS sole_rep,
       array_agg(DISTINCT o.rep_id) FILTER (WHERE o.rep_id IS NOT NULL) AS reps
FROM (SELECT h.deal_id, h.rep_id FROM sales_kpi.deal_history h
      UNION ALL
      SELECT d.deal_id, d.rep_id FROM sales_kpi.deals d) o
GROUP BY o.deal_id;
COMMENT ON VIEW sales_kpi.deal_owners IS
    'Per deal, the rep named by every version (sole_rep; NULL if several or none are) and the reps its versions name';
COMMENT ON COLUMN sales_kpi.deal_owners.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.deal_owners.sole_rep IS 'The rep of every version of the deal (NULL: several reps, or a version without one)';
COMMENT ON COLUMN sales_kpi.deal_owners.reps IS 'The reps the versions name';

-- What the dashboards read: stage_visits_computed, or as much of it as the
-- refresh kept in sales_kpi.stage_visits_store when that is the same thing,
-- as for deal_state (00_deal_state.sql; the same refresh keeps both stores,
-- so sales_kpi.deal_state_store_current() says whether this one is current
-- too).  Under the rep policies a role sees a stored visit when it sees the
-- deal's sole rep, and so every version the visit was computed from.  The
-- visits of a deal with several reps whose stored rows the role does not
-- see (only roles that see every rep do), and of every deal written since
-- the refresh, are computed from the versions the role sees -- but for a
-- deal of which the role sees one rep, whose visits from that rep's versions
-- the refresh keeps too (sales_kpi.stage_visits_by_rep_store).  So a rep, or
-- a manager, reads their reps' stored visits through the rep_id index
-- instead of the versions of all their deals.
-- The same for the visits of some deals only (deals NULL: every deal),
-- which reads only those deals' stored rows, through the deal_id index:
-- the lost reasons want the visits of this year's lost deals, a few
-- thousand of a manager's 150,000 visits.
-- (its row estimate: the visits the statistics know of, src/deal_state.c)
CREATE FUNCTION sales_kpi.stage_visits_rows_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_visits_rows_support' LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.stage_visits_rows_support(internal) IS
    'Planner support for sales_kpi.stage_visits_of(): estimates its rows as the visits the statistics know of, or of the deals it is given';

-- The query stage_visits_of() runs and its parameters ($1 changed, $2
-- one_rep, $3 the deals asked for): what stage_visit_totals_rows()
-- aggregates in the same statement (stage_analysis.sql).
CREATE FUNCTION sales_kpi.stage_visits_plan(deals text[], OUT query_text text, OUT changed text[], OUT one_rep text[])
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    use_store boolean := false;
    versions text;
    computed text;
BEGIN
    one_rep := '{}';
    IF sales_kpi.stores_readable(ARRAY['sales_kpi.stage_visits_store', 'sales_kpi.stage_visit_reps_store',
                                       'sales_kpi.stage_visits_by_rep_store']::regclass[]) THEN
        -- (a statement of its own: calling a function takes the privilege
        -- to, checked when the statement starts)
        use_store := sales_kpi.deal_state_store_current();
    END IF;
    IF NOT use_store AND deals IS NULL THEN
        query_text := 'SELECT * FROM sales_kpi.stage_visits_computed';
        RETURN;
    END IF;
    -- the view's own query over the versions of the deals $1 (a filter on
    -- the view would not reach the per-deal ends it joins), the versions'
    -- own query over those deals' rows: a filter on deal_versions would not
    -- reach the history its deals never recorded are looked up in, which
    -- (nested loops off, below) a manager's 186,000 versions were hashed
    -- for.  The versions are read once, for the visits and for the stage
    -- history (each reading costs the history's index scans).
    versions := sales_kpi.view_query('sales_kpi.deal_versions',
                                     ARRAY['sales_kpi.deal_history', 'sales_kpi.deals'],
                                     ARRAY['(SELECT * FROM sales_kpi.deal_history WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))',
                                           '(SELECT * FROM sales_kpi.deals WHERE deal_id OPERATOR(pg_catalog.=) ANY ($1))']);
    computed := 'WITH changed_versions AS MATERIALIZED (' || versions || ')
         SELECT * FROM ('
        || sales_kpi.view_query('sales_kpi.stage_visits_computed',
                                ARRAY['sales_kpi.deal_versions', 'sales_kpi.deal_stage_history'],
                                ARRAY['changed_versions',
                                      '(' || sales_kpi.view_query('sales_kpi.deal_stage_history',
                                                                  ARRAY['sales_kpi.deal_versions'],
                                                                  ARRAY['changed_versions']) || ')'])
        || ') c';
    IF NOT use_store THEN
        -- (a query naming no store, which the role may not read)
        query_text := computed;
        changed := deals;
        RETURN;
    END IF;
    -- the deals written since the refresh
    SELECT coalesce(array_agg(DISTINCT c.deal_id), '{}') INTO changed
    FROM sales_kpi.dashboard_changes c
    WHERE c.source OPERATOR(pg_catalog.=) 'deals' AND c.deal_id IS NOT NULL;
    -- the deals of several reps, whose stored visits (rep_id NULL) a role
    -- the rep policy restricts does not see -- the extension's policies
    -- alone decide here (stores_readable()), and show those rows to every
    -- role or to none but sales_kpi_all_reps members: of those deals, the
    -- ones it sees one rep of are kept as that rep's versions give them,
    -- the others are computed too
    IF sales_kpi.rep_policy_restricts('sales_kpi.stage_visits_store') THEN
        SELECT coalesce(array_agg(m.deal_id) FILTER (WHERE m.seen OPERATOR(pg_catalog.=) 1
                                                         AND NOT m.deal_id OPERATOR(pg_catalog.=) ANY (changed)), '{}'),
               changed OPERATOR(pg_catalog.||) coalesce(array_agg(m.deal_id) FILTER (WHERE m.seen OPERATOR(pg_catalog.>) 1), '{}')
        INTO one_rep, changed
        FROM (SELECT r.deal_id, count(*) AS seen FROM sales_kpi.stage_visit_reps_store r GROUP BY r.deal_id) m;
    END IF;
    -- of those, the deals asked for (hashed: either side may be many)
    IF deals IS NOT NULL THEN
        changed := ARRAY(SELECT unnest(deals) INTERSECT SELECT unnest(changed));
        one_rep := ARRAY(SELECT unnest(deals) INTERSECT SELECT unnest(one_rep));
    END IF;
    -- (with deals NULL, "$3 IS NULL" is a constant true and the store is
    -- read whole; else through its deal_id index.  With no deal to compute,
    -- as right after a refresh, neither the anti-join nor the computation:
    -- a manager of 10's 152,239 visits at 1M deals, 176 -> 155 ms.)
    query_text :=
        'SELECT s.deal_id, s.entered_at, s.pipeline, s.stage, s.label, s.pipeline_order, s.stalled_after_days,
                s.in_stage, s.next_stage, s.current, s.outcome, s.next_outcome, s.next_order, s.first_visit, s.as_of
         FROM sales_kpi.stage_visits_store s
         WHERE ($3 IS NULL OR s.deal_id OPERATOR(pg_catalog.=) ANY ($3))'
        || CASE WHEN changed OPERATOR(pg_catalog.=) '{}' THEN '' ELSE '
           AND NOT EXISTS (SELECT FROM unnest($1) AS x(deal_id) WHERE x.deal_id OPERATOR(pg_catalog.=) s.deal_id)' END
        || '
         UNION ALL
         SELECT p.deal_id, p.entered_at, p.pipeline, p.stage, p.label, p.pipeline_order, p.stalled_after_days,
                p.in_stage, p.next_stage, p.current, p.outcome, p.next_outcome, p.next_order, p.first_visit, p.as_of
         FROM sales_kpi.stage_visits_by_rep_store p
         WHERE p.deal_id OPERATOR(pg_catalog.=) ANY ($2)'
        || CASE WHEN changed OPERATOR(pg_catalog.=) '{}' THEN '' ELSE '
         UNION ALL
         SELECT v.* FROM (' || computed || ') v' END;
END
$$;
COMMENT ON FUNCTION sales_kpi.stage_visits_plan(text[]) IS
    'The query sales_kpi.stage_visits_of() runs for the caller and its parameters: the deals to compute ($1), those of several reps read as one rep''s ($2), the deals asked for ($3)';

-- (enable_nestloop off: the planner, estimating a few rows for the deals
-- computed, joins each visit to its deal's end one pair at a time -- 8
-- million comparisons, 1 s, for a manager's 2,000 deals of several reps)
CREATE FUNCTION sales_kpi.stage_visits_of(deals text[])
RETURNS SETOF sales_kpi.stage_visits_computed
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
SUPPORT sales_kpi.stage_visits_rows_support
AS $$
DECLARE
    p record;
BEGIN
    SELECT * INTO p FROM sales_kpi.stage_visits_plan(deals);
    RETURN QUERY EXECUTE p.query_text USING p.changed, p.one_rep, deals;
END
$$;
COMMENT ON FUNCTION sales_kpi.stage_visits_of(text[]) IS
    'The stage visits of the deals given (NULL: of every deal, as sales_kpi.stage_visits): the refresh''s per-deal store where it is current and shows the caller what the versions would, the deals written since (and those of several reps whose stored rows the caller does not see) computed from their versions; else all computed';

-- What the view reads: an SQL function the planner replaces by its body, so
-- that the view scans stage_visits_of(NULL) itself.
CREATE FUNCTION sales_kpi.stage_visits_rows()
RETURNS SETOF sales_kpi.stage_visits_computed
LANGUAGE sql STABLE PARALLEL RESTRICTED
AS $$ SELECT * FROM sales_kpi.stage_visits_of(NULL::text[]) $$;
COMMENT ON FUNCTION sales_kpi.stage_visits_rows() IS
    'The rows of sales_kpi.stage_visits: sales_kpi.stage_visits_of(NULL), every deal''s visits';

CREATE OR REPLACE VIEW sales_kpi.stage_visits WITH (security_invoker = true) AS
SELECT * FROM sales_kpi.stage_visits_rows();
DO $$
BEGIN
    EXECUTE (SELECT string_agg(format('COMMENT ON COLUMN sales_kpi.stage_visits_computed.%I IS %L', a.attname,
                                      col_description(a.attrelid, a.attnum)), '; ')
             FROM pg_attribute a WHERE a.attrelid = 'sales_kpi.stage_visits'::regclass AND a.attnum > 0);
END
$$;

-- stage_visit_totals: the visits aggregated as they are read (src/dashboards/stage_analysis.sql).
-- The query over a relation of visits (alias v): the view runs it over the
-- visits the caller sees, the refresh over the stored visits of all or some
-- deals (incremental.sql).
CREATE FUNCTION sales_kpi.stage_visit_totals_query(visits text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
SELECT format($q$
SELECT v.pipeline,
       v.stage,
       min(v.label) AS label,
       min(v.pipeline_order) AS pipeline_order,
       count(*) AS entered,
       count(*) FILTER (WHERE v.first_visit) AS deals_entered,
       count(*) FILTER (WHERE v.current) AS in_stage_now,
       count(*) FILTER (WHERE v.next_stage IS NOT NULL) AS moved_on,
       count(*) FILTER (WHERE v.next_outcome = 'lost') AS lost_from_stage,
       sum(v.in_stage) FILTER (WHERE v.outcome = 'open') AS open_time,
       count(v.in_stage) FILTER (WHERE v.outcome = 'open') AS open_visits,
       count(*) FILTER (WHERE v.next_stage IS NOT NULL AND v.next_outcome <> 'lost'
                          AND (v.next_order > v.pipeline_order OR v.next_order IS NULL OR v.pipeline_order IS NULL))
           AS converted,
       count(*) FILTER (WHERE v.current AND v.outcome = 'open' AND v.stalled_after_days IS NOT NULL
                          AND v.in_stage > v.stalled_after_days * interval '1 day') AS stalled_deals
FROM %s v
GROUP BY v.pipeline, v.stage
$q$, visits)
$f$;
COMMENT ON FUNCTION sales_kpi.stage_visit_totals_query(text) IS
    'The query of sales_kpi.stage_visit_totals over the given relation of stage visits';

-- The totals over the visits sales_kpi.stage_visits shows the caller,
-- aggregated in the statement that reads them (stage_visits_plan(),
-- 00_stage_visits.sql): the visits are summed as they are read from the
-- store instead of being returned one by one first (a manager of 10's
-- 152,239 visits at 1M deals).
CREATE FUNCTION sales_kpi.stage_visit_totals_rows()
RETURNS TABLE (pipeline text, stage text, label text, pipeline_order integer, entered bigint,
               deals_entered bigint, in_stage_now bigint, moved_on bigint, lost_from_stage bigint,
               open_time interval, open_visits bigint, converted bigint, stalled_deals bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET enable_nestloop = off
ROWS 20
AS $$
DECLARE
    p record;
BEGIN
    SELECT * INTO p FROM sales_kpi.stage_visits_plan(NULL);
    RETURN QUERY EXECUTE sales_kpi.stage_visit_totals_query('(' || p.query_text || ')') USING p.changed, p.one_rep, NULL::text[];
END
$$;
COMMENT ON FUNCTION sales_kpi.stage_visit_totals_rows() IS
    'The rows of sales_kpi.stage_visit_totals: the totals of the stage visits the caller sees, aggregated as they are read';

CREATE OR REPLACE VIEW sales_kpi.stage_visit_totals WITH (security_invoker = true) AS
SELECT * FROM sales_kpi.stage_visit_totals_rows();

ALTER TABLE sales_kpi.stage_visits_store ADD COLUMN rep_id text;
CREATE INDEX stage_visits_store_rep_id ON sales_kpi.stage_visits_store (rep_id);
COMMENT ON TABLE sales_kpi.stage_visits_store IS
    'sales_kpi.stage_visits as of the last refresh, kept per deal by sales_kpi.refresh_dashboards() (what the twins read, and sales_kpi.stage_visits for the deals not written since)';
COMMENT ON COLUMN sales_kpi.stage_visits_store.rep_id IS
    'The rep of every version of the deal (sales_kpi.deal_owners.sole_rep; NULL: several reps, or a version without one)';
CREATE TABLE sales_kpi.stage_visit_reps_store (deal_id text NOT NULL, rep_id text NOT NULL, PRIMARY KEY (deal_id, rep_id));
CREATE INDEX stage_visit_reps_store_rep_id ON sales_kpi.stage_visit_reps_store (rep_id);
COMMENT ON TABLE sales_kpi.stage_visit_reps_store IS
    'The reps of each deal whose versions name several reps, or some none (sales_kpi.deal_owners), as of the last refresh: whose stage visits sales_kpi.stage_visits computes for a role that sees some of them';
-- (a role that sees one rep of such a deal sees that rep's versions of it
-- alone, and the visits they give are kept too)
CREATE TABLE sales_kpi.stage_visits_by_rep_store (LIKE sales_kpi.stage_visits_computed, rep_id text NOT NULL);
CREATE INDEX stage_visits_by_rep_store_deal ON sales_kpi.stage_visits_by_rep_store (deal_id);
CREATE INDEX stage_visits_by_rep_store_rep_id ON sales_kpi.stage_visits_by_rep_store (rep_id);
COMMENT ON TABLE sales_kpi.stage_visits_by_rep_store IS
    'The stage visits of each deal in stage_visit_reps_store as the versions of each of its reps alone give them, as of the last refresh: what sales_kpi.stage_visits reads for a role that sees one of the deal''s reps';
COMMENT ON COLUMN sales_kpi.stage_visits_by_rep_store.rep_id IS 'The rep whose versions of the deal these visits are computed from';

UPDATE sales_kpi.stage_visits_store s SET rep_id = o.sole_rep
FROM sales_kpi.deal_owners o WHERE o.deal_id OPERATOR(pg_catalog.=) s.deal_id;
INSERT INTO sales_kpi.stage_visit_reps_store
SELECT o.deal_id, unnest(o.reps) FROM sales_kpi.deal_owners o WHERE o.sole_rep IS NULL;

-- The query of stage_visits_by_rep_store's rows for the deals the query
-- `deals` lists: stage_visits_computed's own query, over each (deal, rep)
-- pair's versions as a deal of its own -- the rep's versions of the deal, or
-- its current row when none of them is the rep's, as a role seeing that
-- rep alone sees them (sales_kpi.deal_versions).  A pair's key is the rep's
-- length, a colon, the rep and the deal, which no two pairs share however
-- the ids are spelt.
CREATE FUNCTION sales_kpi.stage_visits_by_rep_query(deals text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
SELECT format($q$
SELECT substr(v.deal_id, strpos(v.deal_id, ':') + 1 + split_part(v.deal_id, ':', 1)::integer) AS deal_id,
       v.entered_at, v.pipeline, v.stage, v.label, v.pipeline_order, v.stalled_after_days, v.in_stage,
       v.next_stage, v.current, v.outcome, v.next_outcome, v.next_order, v.first_visit, v.as_of,
       substr(v.deal_id, strpos(v.deal_id, ':') + 1, split_part(v.deal_id, ':', 1)::integer) AS rep_id
FROM (%s) v
$q$, sales_kpi.view_query('sales_kpi.stage_visits_computed',
                          ARRAY['sales_kpi.deal_versions', 'sales_kpi.deal_stage_history'],
                          ARRAY[format('(%s)', pv), format('(SELECT v.deal_id, v.pipeline, v.stage, v.stage_entered_at AS entered_at FROM (%s) v WHERE v.stage_entered_at OPERATOR(pg_catalog.=) lower(v.valid))', pv)]))
FROM (SELECT format($v$
    SELECT length(h.rep_id) || ':' || h.rep_id || h.deal_id AS deal_id, h.valid, h.pipeline, h.stage, h.stage_entered_at
    FROM sales_kpi.deal_history h
    WHERE h.deal_id IN (%1$s) AND h.rep_id IS NOT NULL
    UNION ALL
    SELECT length(d.rep_id) || ':' || d.rep_id || d.deal_id, tstzrange(d.created_at, NULL), d.pipeline, d.stage, d.created_at
    FROM sales_kpi.deals d
    WHERE d.deal_id IN (%1$s) AND d.rep_id IS NOT NULL
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h
                      WHERE h.deal_id OPERATOR(pg_catalog.=) d.deal_id AND h.rep_id OPERATOR(pg_catalog.=) d.rep_id)
$v$, deals) AS pv) x
$f$;
COMMENT ON FUNCTION sales_kpi.stage_visits_by_rep_query(text) IS
    'The query of sales_kpi.stage_visits_by_rep_store''s rows for the deals a query lists: each of their reps'' versions'' stage visits';
REVOKE ALL ON FUNCTION sales_kpi.stage_visits_by_rep_query(text) FROM PUBLIC;

DO $$
BEGIN
    EXECUTE 'INSERT INTO sales_kpi.stage_visits_by_rep_store '
            || sales_kpi.stage_visits_by_rep_query('SELECT o.deal_id FROM sales_kpi.deal_owners o WHERE o.sole_rep IS NULL');
END
$$;

-------------------------------------------------------------------------------
-- Per-rep security and the grant functions (src/rep_security.sql,
-- src/grants.sql).
-------------------------------------------------------------------------------
-- Per-rep security: the extension's own row-level security policies, so
-- that a rep's login sees that rep's rows, a manager's login the rows of
-- everyone below them in reps.manager_id (any depth), and members of the
-- role sales_kpi_all_reps everything.  The live dashboards are
-- security_invoker views, so each shows exactly the numbers of the rows its
-- reader may see.
--
--   sales_kpi.rep_visibility      login -> rep_id: who sees whose rows, kept
--                                 from reps by a trigger (the org chart
--                                 unrolled, so a policy is one lookup)
--   reps_manager_acyclic          a manager chain never leads back to the
--                                 rep (checked at commit, like the
--                                 deferred foreign key on manager_id)
--   reps_hierarchy_guarded        with the policies on, only the owner, a
--                                 role that bypasses row-level security or a
--                                 member of sales_kpi_all_reps changes a
--                                 rep's rep_id, login or manager_id
--   the policies                  on every model table and store holding
--                                 rows of a rep: sales_kpi_rep_access
--                                 (rep_id = ANY (visible_rep_ids()), which
--                                 an index on rep_id answers),
--                                 sales_kpi_all_reps (TO that role: true),
--                                 and, while switched off,
--                                 sales_kpi_rep_security_off
--   enable_rep_security()         the switch: a row of
--   disable_rep_security()        sales_kpi.rep_security_state, whose
--                                 trigger adds or drops the "off" policy
--
-- pg_dump carries neither the policies nor the row-level security of an
-- extension's tables, only the rows of its configuration tables: so the
-- policies are created with the extension (CREATE EXTENSION re-creates them
-- on restore, switched off) and the switch is a row pg_dump carries, whose
-- trigger switches them on again as pg_restore loads it.  Switched off, the
-- "off" policy lets every row through unless the table has permissive
-- policies of the user's own, which then decide alone, as before these
-- policies existed.  Switched on, a restricted role's only policy is one
-- comparison with an array, so its dashboards read through the indexes on
-- rep_id; a member of sales_kpi_all_reps has a policy that is simply true.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sales_kpi_all_reps') THEN
        CREATE ROLE sales_kpi_all_reps NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE sales_kpi_all_reps IS
    'sales_kpi: members see every rep''s rows when sales_kpi.enable_rep_security() is on (grant it to company-wide roles)';

-- Whether the calling role sees every rep's rows.
CREATE FUNCTION sales_kpi.sees_all_reps()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_has_role(current_user, 'sales_kpi_all_reps', 'USAGE')
$$;
COMMENT ON FUNCTION sales_kpi.sees_all_reps() IS
    'True when the current role is a member of sales_kpi_all_reps: the rep security policies show it every row';

-- The switch.  No row (a fresh install) is off; pg_dump carries the row.
CREATE TABLE sales_kpi.rep_security_state (
    singleton   boolean PRIMARY KEY DEFAULT true CONSTRAINT rep_security_state_one_row CHECK (singleton),
    enabled     boolean NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by  name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE sales_kpi.rep_security_state IS
    'Whether the rep security policies are on: set by sales_kpi.enable_rep_security() and disable_rep_security()';
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.rep_security_state', '');
GRANT SELECT ON sales_kpi.rep_security_state TO PUBLIC;

CREATE FUNCTION sales_kpi.rep_security_enabled()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT s.enabled FROM sales_kpi.rep_security_state s), false)
$$;
COMMENT ON FUNCTION sales_kpi.rep_security_enabled() IS
    'True when sales_kpi.enable_rep_security() is in force';

CREATE TABLE sales_kpi.rep_visibility (
    login   name NOT NULL,
    rep_id  text NOT NULL,
    PRIMARY KEY (login, rep_id)
);
COMMENT ON TABLE sales_kpi.rep_visibility IS
    'Whose rows each login sees under sales_kpi.enable_rep_security(): its own rep and everyone below it in reps.manager_id; kept from sales_kpi.reps by a trigger';
COMMENT ON COLUMN sales_kpi.rep_visibility.login IS 'A rep''s login (reps.login)';
COMMENT ON COLUMN sales_kpi.rep_visibility.rep_id IS 'A rep whose rows that login sees: itself or someone it manages, directly or not';
-- Each role reads its own rows only (the policies read it as the caller).
ALTER TABLE sales_kpi.rep_visibility ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_login ON sales_kpi.rep_visibility
    USING (login = current_user OR (SELECT sales_kpi.sees_all_reps()));
GRANT SELECT ON sales_kpi.rep_visibility TO PUBLIC;

-- The reps whose rows the calling role sees (policies compare rep_id with
-- this array once per query).
CREATE FUNCTION sales_kpi.visible_rep_ids()
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- (switched off: none, so that only the "off" policy and the user's own
    -- decide)
    SELECT coalesce(array_agg(v.rep_id ORDER BY v.rep_id), '{}')
    FROM sales_kpi.rep_visibility v
    WHERE v.login = current_user AND sales_kpi.rep_security_enabled()
$$;
COMMENT ON FUNCTION sales_kpi.visible_rep_ids() IS
    'The rep_ids whose rows the current role sees under the rep security policies: its own rep and those it manages (any depth); none while switched off';

-- Whether the rep policy restricts the current role's rows of a table:
-- row-level security applies to it there, the switch is on, and the role
-- is no sales_kpi_all_reps member (then, where the extension's policies
-- alone decide, it sees the rows of its visible reps, and none without a
-- rep).
CREATE FUNCTION sales_kpi.rep_policy_restricts(tbl regclass)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT row_security_active(tbl) AND sales_kpi.rep_security_enabled() AND NOT sales_kpi.sees_all_reps()
$$;
COMMENT ON FUNCTION sales_kpi.rep_policy_restricts(regclass) IS
    'Whether the rep security policy restricts the current role''s rows of a table (row-level security active there, switched on, not a sales_kpi_all_reps member)';

-- What share of the reps' rows the current role sees, for the planner's
-- row estimates of the live views' per-deal scans (src/deal_state.c): a
-- manager of 10 of 250 reps reads 4% of the deals, and a plan made for all
-- of them sorts and merges where hashing a few thousand rows is faster.
-- 1 when no rep policy restricts the role.
CREATE FUNCTION sales_kpi.visible_rep_share()
RETURNS float8
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN NOT sales_kpi.rep_policy_restricts('sales_kpi.deal_history') THEN 1
                ELSE coalesce(least(1, (SELECT count(*) FROM sales_kpi.rep_visibility v
                                        WHERE v.login OPERATOR(pg_catalog.=) current_user)::float8
                                       / nullif(greatest((SELECT c.reltuples FROM pg_catalog.pg_class c
                                                          WHERE c.oid OPERATOR(pg_catalog.=) 'sales_kpi.reps'::regclass), 0), 0)),
                              1) END
$$;
COMMENT ON FUNCTION sales_kpi.visible_rep_share() IS
    'The share of the reps whose rows the current role sees under the rep security policies (1: every rep); the live views'' row estimates';

-- The org chart unrolled: every login with its own rep and everyone below.
-- Set semantics (UNION) make the walk end even on a cycle the commit-time
-- check is about to refuse.
CREATE FUNCTION sales_kpi.rep_visibility_rebuild()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- one rebuild at a time; readers are not blocked
    LOCK TABLE sales_kpi.rep_visibility IN EXCLUSIVE MODE;
    WITH RECURSIVE below(login, rep_id) AS (
        SELECT r.login, r.rep_id FROM sales_kpi.reps r WHERE r.login IS NOT NULL
        UNION
        SELECT b.login, r.rep_id FROM below b JOIN sales_kpi.reps r ON r.manager_id OPERATOR(pg_catalog.=) b.rep_id
    ),
    gone AS (
        DELETE FROM sales_kpi.rep_visibility v
        WHERE NOT EXISTS (SELECT FROM below b
                          WHERE b.login OPERATOR(pg_catalog.=) v.login AND b.rep_id OPERATOR(pg_catalog.=) v.rep_id)
    )
    INSERT INTO sales_kpi.rep_visibility (login, rep_id)
    SELECT login, rep_id FROM below
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.rep_visibility_rebuild() IS
    'Trigger: keeps sales_kpi.rep_visibility equal to the org chart of sales_kpi.reps';
REVOKE ALL ON FUNCTION sales_kpi.rep_visibility_rebuild() FROM PUBLIC;
CREATE TRIGGER reps_visibility AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sales_kpi.reps
    FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.rep_visibility_rebuild();

-- The reps whose manager chain leads back to them.
CREATE FUNCTION sales_kpi.manager_cycle_members()
RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE up(start, cur) AS (
        SELECT r.rep_id, r.manager_id FROM sales_kpi.reps r WHERE r.manager_id IS NOT NULL
        UNION
        SELECT u.start, r.manager_id FROM up u JOIN sales_kpi.reps r ON r.rep_id OPERATOR(pg_catalog.=) u.cur
        WHERE r.manager_id IS NOT NULL AND u.cur OPERATOR(pg_catalog.<>) u.start
    )
    SELECT start FROM up WHERE cur OPERATOR(pg_catalog.=) start
$$;
COMMENT ON FUNCTION sales_kpi.manager_cycle_members() IS
    'The reps whose manager chain (reps.manager_id) leads back to them: none, once a transaction has committed';

-- A manager chain must end: checked at commit, when the deferred foreign key
-- on manager_id is, so that a load may write reps in any order.
CREATE FUNCTION sales_kpi.reps_manager_acyclic()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chain text[] := ARRAY[NEW.rep_id];
    cur text := NEW.manager_id;
BEGIN
    WHILE cur IS NOT NULL LOOP
        IF cur OPERATOR(pg_catalog.=) ANY (chain) THEN
            IF cur OPERATOR(pg_catalog.=) NEW.rep_id THEN
                RAISE EXCEPTION 'rep % would manage themselves through reps.manager_id', NEW.rep_id
                    USING ERRCODE = 'check_violation', TABLE = 'reps', SCHEMA = 'sales_kpi',
                          CONSTRAINT = 'reps_manager_acyclic',
                          DETAIL = format('The manager chain %s leads back to %s.',
                                          array_to_string(chain OPERATOR(pg_catalog.||) cur, ' -> '), NEW.rep_id),
                          HINT = 'Set the manager_id of one rep of the chain to a rep outside it, or to NULL.';
            END IF;
            EXIT;  -- a cycle above this rep, refused where it is written
        END IF;
        chain := chain OPERATOR(pg_catalog.||) cur;
        SELECT r.manager_id INTO cur FROM sales_kpi.reps r WHERE r.rep_id OPERATOR(pg_catalog.=) cur;
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.reps_manager_acyclic() IS
    'Constraint trigger: refuses a reps.manager_id that makes a rep their own manager, directly or not (SQLSTATE 23514)';
REVOKE ALL ON FUNCTION sales_kpi.reps_manager_acyclic() FROM PUBLIC;
CREATE CONSTRAINT TRIGGER reps_manager_acyclic AFTER INSERT OR UPDATE OF manager_id, rep_id ON sales_kpi.reps
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.manager_id IS NOT NULL) EXECUTE FUNCTION sales_kpi.reps_manager_acyclic();

-- Switched off, a table's policies let every row through, unless the table
-- has permissive policies of the user's own.
CREATE FUNCTION sales_kpi.rep_policy_open(tbl regclass)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT NOT sales_kpi.rep_security_enabled()
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy p
                       WHERE p.polrelid OPERATOR(pg_catalog.=) tbl AND p.polpermissive
                         AND p.polname OPERATOR(pg_catalog.<>) ALL (ARRAY['sales_kpi_rep_access', 'sales_kpi_all_reps',
                                                                         'sales_kpi_rep_security_off']::name[]))
$$;
COMMENT ON FUNCTION sales_kpi.rep_policy_open(regclass) IS
    'True when rep security is off and the table has no permissive policy of its own: its sales_kpi_rep_security_off policy lets every row through';

-- With the policies on, a rep's rep_id, login and manager_id decide what
-- every role sees: a role the policies restrict may not change them (even
-- if granted UPDATE on reps), nor insert a rep with a login or manager.
CREATE FUNCTION sales_kpi.reps_hierarchy_guarded()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE'
       AND NEW.rep_id IS NOT DISTINCT FROM OLD.rep_id AND NEW.login IS NOT DISTINCT FROM OLD.login
       AND NEW.manager_id IS NOT DISTINCT FROM OLD.manager_id THEN
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' AND NEW.login IS NULL AND NEW.manager_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT sales_kpi.rep_security_enabled()
       OR sales_kpi.sees_all_reps()
       OR row_security_active('sales_kpi.reps'::regclass) IS NOT TRUE THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'permission denied to change the login or manager of rep %', NEW.rep_id
        USING ERRCODE = 'insufficient_privilege', TABLE = 'reps', SCHEMA = 'sales_kpi',
              DETAIL = 'With sales_kpi.enable_rep_security() on, reps.rep_id, login and manager_id decide which rows every role sees.',
              HINT = 'Change them as the owner of sales_kpi.reps, a role that bypasses row-level security, or a member of sales_kpi_all_reps.';
END
$$;
COMMENT ON FUNCTION sales_kpi.reps_hierarchy_guarded() IS
    'Trigger: with rep security on, only unrestricted roles change reps.rep_id, login and manager_id (SQLSTATE 42501)';
CREATE TRIGGER reps_hierarchy_guarded BEFORE INSERT OR UPDATE ON sales_kpi.reps
    FOR EACH ROW EXECUTE FUNCTION sales_kpi.reps_hierarchy_guarded();

-- The tables the policies cover, and the column that names the rep of each
-- row (NULL: a store of rows of several reps, which only roles that see
-- every rep may read).
CREATE FUNCTION sales_kpi.rep_security_tables()
RETURNS TABLE (table_name regclass, rep_column name)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    VALUES ('sales_kpi.reps'::regclass, 'rep_id'::name),
           ('sales_kpi.deals', 'rep_id'),
           ('sales_kpi.deal_history', 'rep_id'),
           ('sales_kpi.activities', 'rep_id'),
           ('sales_kpi.quotas', 'rep_id'),
           ('sales_kpi.leads', 'rep_id'),
           ('sales_kpi.deal_state_store', 'rep_id'),
           ('sales_kpi.deal_state_quarter_open_store', 'rep_id'),
           ('sales_kpi.stage_visits_store', 'rep_id'),
           ('sales_kpi.stage_visit_reps_store', 'rep_id'),
           ('sales_kpi.stage_visits_by_rep_store', 'rep_id'),
           ('sales_kpi.stage_visit_totals_store', NULL),
           ('sales_kpi.dashboard_changes', 'rep_id')
$$;
COMMENT ON FUNCTION sales_kpi.rep_security_tables() IS
    'The tables sales_kpi.enable_rep_security() puts a policy on, with the column naming each row''s rep (NULL: only sales_kpi_all_reps members read it)';

-- Whether the extension's rep policies alone decide which rows of these
-- tables a restricted role sees, the same way on each: row-level security
-- on, the rep policy there, no policy of anyone else, and the "off" policy
-- on all of them or none.  (sales_kpi.deal_state_rows() reads the store
-- instead of the versions only then.)
CREATE FUNCTION sales_kpi.rep_policies_alone(tables regclass[])
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(bool_and(c.relrowsecurity
                             AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid
                                           AND p.polname OPERATOR(pg_catalog.=) 'sales_kpi_rep_access')
                             AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid
                                               AND p.polname OPERATOR(pg_catalog.<>) ALL (ARRAY['sales_kpi_rep_access',
                                                   'sales_kpi_all_reps', 'sales_kpi_rep_security_off']::name[]))), false)
           AND count(DISTINCT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) c.oid
                                        AND p.polname OPERATOR(pg_catalog.=) 'sales_kpi_rep_security_off')) OPERATOR(pg_catalog.=) 1
    FROM pg_catalog.pg_class c
    WHERE c.oid OPERATOR(pg_catalog.=) ANY (tables)
$$;
COMMENT ON FUNCTION sales_kpi.rep_policies_alone(regclass[]) IS
    'Whether the extension''s rep policies alone, and alike, restrict the rows of these tables (row-level security on, no other policy)';

-- The policies, as the switch says.
CREATE FUNCTION sales_kpi.rep_policies_apply()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    enabled boolean := sales_kpi.rep_security_enabled();
BEGIN
    FOR t IN SELECT * FROM sales_kpi.rep_security_tables() LOOP
        IF t.rep_column IS NOT NULL
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) t.table_name
                             AND p.polname OPERATOR(pg_catalog.=) 'sales_kpi_rep_access') THEN
            EXECUTE format('CREATE POLICY sales_kpi_rep_access ON %s '
                           'USING (%I OPERATOR(pg_catalog.=) ANY (CAST((SELECT sales_kpi.visible_rep_ids()) AS text[])))',
                           t.table_name, t.rep_column);
        END IF;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) t.table_name
                         AND p.polname OPERATOR(pg_catalog.=) 'sales_kpi_all_reps') THEN
            EXECUTE format('CREATE POLICY sales_kpi_all_reps ON %s TO sales_kpi_all_reps USING (true)', t.table_name);
        END IF;
        IF enabled THEN
            IF EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) t.table_name
                         AND p.polname OPERATOR(pg_catalog.=) 'sales_kpi_rep_security_off') THEN
                EXECUTE format('DROP POLICY sales_kpi_rep_security_off ON %s', t.table_name);
            END IF;
        ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) t.table_name
                            AND p.polname OPERATOR(pg_catalog.=) 'sales_kpi_rep_security_off') THEN
            EXECUTE format('CREATE POLICY sales_kpi_rep_security_off ON %s USING ((SELECT sales_kpi.rep_policy_open(%L)))',
                           t.table_name, t.table_name);
        END IF;
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t.table_name);
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.rep_policies_apply() IS
    'Makes the policies of sales_kpi.rep_security_tables() what the switch says (creating any missing), and turns row-level security on there';
REVOKE ALL ON FUNCTION sales_kpi.rep_policies_apply() FROM PUBLIC;
SELECT sales_kpi.rep_policies_apply();

-- Every change of the switch applies it: enable and disable write the row,
-- and so does pg_restore, which is how a restored database is switched on.
CREATE FUNCTION sales_kpi.rep_security_state_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM sales_kpi.rep_policies_apply();
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.rep_security_state_changed() IS
    'Trigger on sales_kpi.rep_security_state: applies the switch to the policies';
REVOKE ALL ON FUNCTION sales_kpi.rep_security_state_changed() FROM PUBLIC;
CREATE TRIGGER rep_security_state_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sales_kpi.rep_security_state
    FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.rep_security_state_changed();

CREATE FUNCTION sales_kpi.enable_rep_security()
RETURNS TABLE (table_name regclass, policy text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    others text;
BEGIN
    -- (the trigger applies it, and puts back a policy dropped or row-level
    -- security turned off by hand)
    INSERT INTO sales_kpi.rep_security_state AS s (enabled) VALUES (true)
    ON CONFLICT (singleton) DO UPDATE SET enabled = true, changed_at = excluded.changed_at, changed_by = excluded.changed_by;
    FOR t IN SELECT * FROM sales_kpi.rep_security_tables() LOOP
        -- permissive policies add up: another one would widen what a rep sees
        SELECT string_agg(quote_ident(p.polname), ', ') INTO others FROM pg_catalog.pg_policy p
        WHERE p.polrelid OPERATOR(pg_catalog.=) t.table_name AND p.polpermissive
          AND p.polname OPERATOR(pg_catalog.<>) ALL (ARRAY['sales_kpi_rep_access', 'sales_kpi_all_reps']::name[]);
        IF others IS NOT NULL THEN
            RAISE WARNING 'table % has other permissive policies: %', t.table_name, others
                USING DETAIL = 'Permissive policies are combined with OR: a row any of them allows is visible.',
                      HINT = 'Drop them, or make them AS RESTRICTIVE to narrow sales_kpi_rep_access further.';
        END IF;
        table_name := t.table_name;
        policy := CASE WHEN t.rep_column IS NULL THEN 'sales_kpi_all_reps' ELSE 'sales_kpi_rep_access' END;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.enable_rep_security() IS
    'Turns on the rep security policies: a rep''s login sees their own rows, a manager''s those of everyone below them, sales_kpi_all_reps members everything';
REVOKE ALL ON FUNCTION sales_kpi.enable_rep_security() FROM PUBLIC;

CREATE FUNCTION sales_kpi.disable_rep_security()
RETURNS TABLE (table_name regclass, own_policies_decide boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO sales_kpi.rep_security_state AS s (enabled) VALUES (false)
    ON CONFLICT (singleton) DO UPDATE SET enabled = false, changed_at = excluded.changed_at, changed_by = excluded.changed_by;
    RETURN QUERY SELECT t.table_name, NOT sales_kpi.rep_policy_open(t.table_name)
                 FROM sales_kpi.rep_security_tables() t;
END
$$;
COMMENT ON FUNCTION sales_kpi.disable_rep_security() IS
    'Turns the rep security policies off: every row visible again, except on a table with permissive policies of its own, which then decide';
REVOKE ALL ON FUNCTION sales_kpi.disable_rep_security() FROM PUBLIC;

-- the org chart of the reps already there
WITH RECURSIVE below(login, rep_id) AS (
    SELECT r.login, r.rep_id FROM sales_kpi.reps r WHERE r.login IS NOT NULL
    UNION
    SELECT b.login, r.rep_id FROM below b JOIN sales_kpi.reps r ON r.manager_id OPERATOR(pg_catalog.=) b.rep_id
)
INSERT INTO sales_kpi.rep_visibility (login, rep_id) SELECT login, rep_id FROM below;

-- Grants in one call: what a dashboard role and a rep's role may read.
--
--   grant_dashboard_reader(role)   the materialized twins (company-wide,
--   revoke_dashboard_reader(role)  fast, no row-level security)
--   grant_rep_access(role)         the live dashboards and the tables they
--   revoke_rep_access(role)        read, under the rep security policies
--
-- Each returns the statements it ran.  They run with the caller's
-- privileges: call them as the extension's owner (or a role holding the
-- privileges WITH GRANT OPTION).

-- What a rep's role reads: the model tables (per-rep tables under the
-- policies, the rest shared reference data), the deal state and stage visit
-- stores and the change log (under the policies too: sales_kpi.deal_state
-- and sales_kpi.stage_visits read them), and
-- every view of the schema that reads none of the twins, other stores or
-- operational tables.
CREATE FUNCTION sales_kpi.rep_readable_relations()
RETURNS SETOF regclass
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH internal AS (
        SELECT c.oid FROM pg_catalog.pg_class c
        WHERE c.relnamespace OPERATOR(pg_catalog.=) 'sales_kpi'::regnamespace
          AND (c.relkind OPERATOR(pg_catalog.=) 'm'
               OR c.relname OPERATOR(pg_catalog.=) ANY (ARRAY['dashboard_refreshes',
                    'dashboard_sources', 'dashboard_refresh_state',
                    'stage_visit_totals_store', 'quarantine', 'sync_state']::name[]))
    )
    SELECT c.oid::regclass FROM pg_catalog.pg_class c
    WHERE c.relnamespace OPERATOR(pg_catalog.=) 'sales_kpi'::regnamespace
      AND (c.relkind OPERATOR(pg_catalog.=) 'r' AND c.oid NOT IN (SELECT oid FROM internal)
           OR c.relkind OPERATOR(pg_catalog.=) 'v'
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_depend d
                                  ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
                                 AND d.objid OPERATOR(pg_catalog.=) w.oid
                              WHERE w.ev_class OPERATOR(pg_catalog.=) c.oid
                                AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
                                AND d.refobjid IN (SELECT oid FROM internal)))
    ORDER BY c.relname
$$;
COMMENT ON FUNCTION sales_kpi.rep_readable_relations() IS
    'The tables and live views sales_kpi.grant_rep_access() grants: none of the twins, stores or operational tables';

CREATE FUNCTION sales_kpi.run_grants(statements text[])
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY statements LOOP
        EXECUTE s;
        RETURN NEXT s;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.run_grants(text[]) IS 'Runs and returns the statements of the grant functions';
REVOKE ALL ON FUNCTION sales_kpi.run_grants(text[]) FROM PUBLIC;

CREATE FUNCTION sales_kpi.grant_dashboard_reader(role regrole)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rep text;
BEGIN
    SELECT r.rep_id INTO rep FROM sales_kpi.reps r
    WHERE r.login OPERATOR(pg_catalog.=) (SELECT a.rolname FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) role);
    IF rep IS NOT NULL AND NOT pg_has_role(role, 'sales_kpi_all_reps', 'USAGE') THEN
        RAISE WARNING 'role % is the login of rep %: the twins show it every rep''s rows', role, rep
            USING DETAIL = 'Materialized twins hold what their owner saw at refresh time; row-level security does not apply to them.',
                  HINT = 'For a rep''s own dashboards use sales_kpi.grant_rep_access().';
    END IF;
    RETURN QUERY SELECT sales_kpi.run_grants(ARRAY[
        format('GRANT USAGE ON SCHEMA sales_kpi TO %s', role),
        format('GRANT SELECT ON %s TO %s',
               (SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY c.relname) FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) 'sales_kpi'::regnamespace
                  AND c.relkind OPERATOR(pg_catalog.=) 'm'), role)]);
END
$$;
COMMENT ON FUNCTION sales_kpi.grant_dashboard_reader(regrole) IS
    'Lets a role read every dashboard''s materialized twin (company-wide, no row-level security) and nothing else; returns the GRANTs run';
REVOKE ALL ON FUNCTION sales_kpi.grant_dashboard_reader(regrole) FROM PUBLIC;

CREATE FUNCTION sales_kpi.revoke_dashboard_reader(role regrole)
RETURNS SETOF text
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sales_kpi.run_grants(ARRAY[
        format('REVOKE SELECT ON %s FROM %s',
               (SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY c.relname) FROM pg_catalog.pg_class c
                WHERE c.relnamespace OPERATOR(pg_catalog.=) 'sales_kpi'::regnamespace
                  AND c.relkind OPERATOR(pg_catalog.=) 'm'), role)])
$$;
COMMENT ON FUNCTION sales_kpi.revoke_dashboard_reader(regrole) IS
    'Undoes sales_kpi.grant_dashboard_reader() (USAGE on the schema stays: PUBLIC has it); returns the REVOKEs run';
REVOKE ALL ON FUNCTION sales_kpi.revoke_dashboard_reader(regrole) FROM PUBLIC;

CREATE FUNCTION sales_kpi.grant_rep_access(role regrole)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT sales_kpi.rep_security_enabled() THEN
        RAISE WARNING 'rep security is off: role % will see every rep''s rows', role
            USING HINT = 'Turn it on with SELECT * FROM sales_kpi.enable_rep_security().';
    ELSIF NOT pg_has_role(role, 'sales_kpi_all_reps', 'USAGE')
          AND NOT EXISTS (SELECT FROM sales_kpi.reps r
                          WHERE r.login OPERATOR(pg_catalog.=) (SELECT a.rolname FROM pg_catalog.pg_roles a
                                                                WHERE a.oid OPERATOR(pg_catalog.=) role)) THEN
        RAISE NOTICE 'role % is no rep''s login and not a member of sales_kpi_all_reps: it sees no rows yet', role
            USING HINT = 'Set sales_kpi.reps.login of its rep, or GRANT sales_kpi_all_reps to it.';
    END IF;
    RETURN QUERY SELECT sales_kpi.run_grants(ARRAY[
        format('GRANT USAGE ON SCHEMA sales_kpi TO %s', role),
        format('GRANT SELECT ON %s TO %s',
               (SELECT string_agg(r::text, ', ') FROM sales_kpi.rep_readable_relations() r), role),
        format('GRANT EXECUTE ON FUNCTION sales_kpi.deal_state_store_current(), '
               'sales_kpi.kpi_summary_company_of_twin(), sales_kpi.customer_cohorts_company_of_twin() TO %s', role)]);
END
$$;
COMMENT ON FUNCTION sales_kpi.grant_rep_access(regrole) IS
    'Lets a role read the live dashboards and the tables under them, which the rep security policies restrict to its own and its reports'' rows; returns the GRANTs run';
REVOKE ALL ON FUNCTION sales_kpi.grant_rep_access(regrole) FROM PUBLIC;

CREATE FUNCTION sales_kpi.revoke_rep_access(role regrole)
RETURNS SETOF text
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sales_kpi.run_grants(ARRAY[
        format('REVOKE SELECT ON %s FROM %s',
               (SELECT string_agg(r::text, ', ') FROM sales_kpi.rep_readable_relations() r), role),
        format('REVOKE EXECUTE ON FUNCTION sales_kpi.deal_state_store_current(), '
               'sales_kpi.kpi_summary_company_of_twin(), sales_kpi.customer_cohorts_company_of_twin() FROM %s', role)])
$$;
COMMENT ON FUNCTION sales_kpi.revoke_rep_access(regrole) IS
    'Undoes sales_kpi.grant_rep_access() (USAGE on the schema stays: PUBLIC has it); returns the REVOKEs run';
REVOKE ALL ON FUNCTION sales_kpi.revoke_rep_access(regrole) FROM PUBLIC;

-------------------------------------------------------------------------------
-- The Salesforce sync leaves unset the manager links that go round in a
-- circle in the CRM, instead of failing at commit.
-------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION sales_kpi.sync_salesforce(source_schema name)
RETURNS TABLE (model_table text, inserted bigint, updated bigint, deleted bigint, quarantined bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    src constant text := 'salesforce';
    s constant name := source_schema;
    history boolean;
    n bigint;
    ins bigint;
    del bigint;
    circled bigint;
    qn bigint;
    qs bigint;
    stage_table boolean;
    customers_inserted bigint;
    customers_updated bigint;
    customers_quarantined bigint;
    products_inserted bigint;
    products_updated bigint;
    products_quarantined bigint;
    active text;
BEGIN
    PERFORM sales_kpi.sync_schema(s);
    PERFORM sales_kpi.sync_require(src, s, 'opportunity',
        ARRAY['id', 'owner_id', 'account_id', 'stage_name', 'amount', 'created_date', 'close_date',
              'is_closed', 'is_won', 'is_deleted', '_fivetran_synced']);
    PERFORM sales_kpi.sync_require(src, s, 'user', ARRAY['id', 'name']);
    history := sales_kpi.sync_has(s, 'opportunity_history');
    IF history THEN
        PERFORM sales_kpi.sync_require(src, s, 'opportunity_history',
            ARRAY['id', '_fivetran_start', '_fivetran_end', '_fivetran_active', 'owner_id', 'stage_name',
                  'amount', 'created_date', 'close_date', 'is_closed', 'is_won']);
    END IF;
    -- One sync of a schema at a time.
    PERFORM pg_advisory_xact_lock(hashtext('sales_kpi.sync_salesforce'), hashtext(s));
    PERFORM sales_kpi.sync_begin(s, ARRAY['user', 'user_role', 'account', 'product_2', 'opportunity',
                                          'opportunity_history', 'opportunity_line_item', 'opportunity_stage',
                                          'task', 'event', 'lead']);

    ------------------------------------------------------------------------
    -- Users -> reps.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_users;
    active := CASE WHEN sales_kpi.sync_has(s, 'user', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_users ON COMMIT DROP AS
        SELECT DISTINCT ON (s.id) s.id::text AS source_key, s.id::text AS rep_id, %1$s AS name, %2$s AS email,
               %3$s AS manager_id, %4$s AS role_id, %5$s AS hired_on,
               coalesce(%6$s, false) OR NOT coalesce(%7$s, true) AS deleted,
               NULL::text AS rule
        FROM %8$I."user" s
        WHERE s.id IS NOT NULL AND (%9$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%10$L, %11$L, 'user'))
                                    OR %12$s)
        ORDER BY s.id, coalesce(%7$s, true) DESC $q$,
        sales_kpi.sync_col(s, 'user', 'name', 'text'), sales_kpi.sync_col(s, 'user', 'email', 'text'),
        sales_kpi.sync_col(s, 'user', 'manager_id', 'text'), sales_kpi.sync_col(s, 'user', 'user_role_id', 'text'),
        sales_kpi.sync_col(s, 'user', 'created_date', 'date'),
        sales_kpi.sync_col(s, 'user', '_fivetran_deleted', 'boolean'), active, s,
        sales_kpi.sync_unread(src, s, 'user'), src, s,
        -- the users of a role renamed since the last sync
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') AND sales_kpi.sync_has(s, 'user_role', 'id')
             THEN format('s.user_role_id::text IN (SELECT r.id::text FROM %I.user_role r WHERE %s)',
                         s, sales_kpi.sync_unread(src, s, 'user_role', 'r'))
             ELSE 'false' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('user', n);
    ANALYZE pg_temp.sync_users;
    UPDATE pg_temp.sync_users SET rule = 'name is missing' WHERE NOT deleted AND (name IS NULL OR name = '');
    qn := sales_kpi.sync_quarantine(src, s, 'user', 'id', 'pg_temp.sync_users');

    DROP TABLE IF EXISTS pg_temp.sync_roles;
    CREATE TEMP TABLE sync_roles (role_id text PRIMARY KEY, name text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'user_role', 'id') AND sales_kpi.sync_has(s, 'user_role', 'name') THEN
        EXECUTE format('INSERT INTO pg_temp.sync_roles SELECT DISTINCT ON (s.id) s.id::text, s.name::text FROM %I.user_role s
                        WHERE s.id IS NOT NULL ORDER BY s.id, %s DESC',
                       s, CASE WHEN sales_kpi.sync_has(s, 'user_role', '_fivetran_active')
                               THEN 'coalesce(s._fivetran_active, true)' ELSE 'true' END);
    END IF;

    SELECT count(*) INTO ins FROM pg_temp.sync_users u
    WHERE u.rule IS NULL AND NOT u.deleted AND NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = u.rep_id);
    EXECUTE format($q$
        MERGE INTO sales_kpi.reps r
        USING (SELECT u.rep_id, u.name, u.email, u.hired_on, ro.name AS team
               FROM pg_temp.sync_users u LEFT JOIN pg_temp.sync_roles ro ON ro.role_id = u.role_id
               WHERE u.rule IS NULL AND NOT u.deleted) u
        ON r.rep_id = u.rep_id
        WHEN MATCHED AND (r.name, r.email %1$s %2$s) IS DISTINCT FROM (u.name, u.email %3$s %4$s) THEN
            UPDATE SET name = u.name, email = u.email %5$s %6$s
        WHEN NOT MATCHED THEN
            INSERT (rep_id, name, email, hired_on, team) VALUES (u.rep_id, u.name, u.email, u.hired_on, u.team) $q$,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'created_date') THEN ', r.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') THEN ', r.team' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'created_date') THEN ', u.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') THEN ', u.team' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'created_date') THEN ', hired_on = u.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') THEN ', team = u.team' ELSE '' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.reps', n);
    -- Managers: a manager who is not a rep (yet) is left out.
    IF sales_kpi.sync_has(s, 'user', 'manager_id') THEN
        UPDATE sales_kpi.reps r SET manager_id = m.manager_id
        FROM (SELECT u.rep_id, CASE WHEN EXISTS (SELECT FROM sales_kpi.reps x WHERE x.rep_id = u.manager_id)
                                    THEN u.manager_id END AS manager_id
              FROM pg_temp.sync_users u WHERE u.rule IS NULL AND NOT u.deleted) m
        WHERE r.rep_id = m.rep_id AND r.manager_id IS DISTINCT FROM m.manager_id;
        -- Manager links that go round in a circle (a data error in the CRM)
        -- would be refused at commit: the synced users' links on the
        -- circle are left unset, and the rest loads.
        UPDATE sales_kpi.reps r SET manager_id = NULL
        WHERE r.rep_id IN (SELECT sales_kpi.manager_cycle_members())
          AND r.rep_id IN (SELECT u.rep_id FROM pg_temp.sync_users u);
        GET DIAGNOSTICS circled = ROW_COUNT;
        IF circled > 0 THEN
            RAISE WARNING 'the manager links of % users of %.user go round in a circle: left unset', circled, s
                USING HINT = 'Correct user.manager_id in the CRM; the next sync loads them.';
        END IF;
    END IF;
    -- A deleted user leaves the model unless the model still refers to them.
    DELETE FROM sales_kpi.reps r USING pg_temp.sync_users u
    WHERE u.deleted AND r.rep_id = u.rep_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.activities a WHERE a.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.quotas q WHERE q.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.leads l WHERE l.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.customers c WHERE c.referred_by_rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.reps m WHERE m.manager_id = r.rep_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    model_table := 'reps'; inserted := ins; updated := n - ins; deleted := del; quarantined := qn;
    RETURN NEXT;

    ------------------------------------------------------------------------
    -- Accounts -> customers.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_accounts;
    CREATE TEMP TABLE sync_accounts (source_key text, customer_id text, name text, segment text, region text,
                                     acquired_on date, deleted boolean, rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'account', 'id') THEN
        active := CASE WHEN sales_kpi.sync_has(s, 'account', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_accounts
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s, %3$s, %4$s,
                   coalesce(%5$s, false) OR NOT coalesce(%6$s, true), NULL
            FROM %7$I.account s
            WHERE s.id IS NOT NULL AND (%8$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%9$L, %10$L, 'account')))
            ORDER BY s.id, coalesce(%6$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'account', 'name', 'text'), sales_kpi.sync_col(s, 'account', 'type', 'text'),
            sales_kpi.sync_col(s, 'account', 'billing_country', 'text'),
            sales_kpi.sync_col(s, 'account', 'created_date', 'date'),
            sales_kpi.sync_col(s, 'account', 'is_deleted', 'boolean'), active, s,
            sales_kpi.sync_unread(src, s, 'account'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('account', n);
    END IF;
    ANALYZE pg_temp.sync_accounts;
    UPDATE pg_temp.sync_accounts SET rule = 'name is missing' WHERE NOT deleted AND (name IS NULL OR name = '');
    qn := sales_kpi.sync_quarantine(src, s, 'account', 'id', 'pg_temp.sync_accounts');
    SELECT count(*) INTO ins FROM pg_temp.sync_accounts a
    WHERE a.rule IS NULL AND NOT a.deleted
      AND NOT EXISTS (SELECT FROM sales_kpi.customers c WHERE c.customer_id = a.customer_id);
    EXECUTE format($q$
        MERGE INTO sales_kpi.customers c
        USING (SELECT * FROM pg_temp.sync_accounts WHERE rule IS NULL AND NOT deleted) a
        ON c.customer_id = a.customer_id
        WHEN MATCHED AND (c.name, c.segment, c.region %1$s) IS DISTINCT FROM (a.name, a.segment, a.region %2$s) THEN
            UPDATE SET name = a.name, segment = a.segment, region = a.region %3$s
        WHEN NOT MATCHED THEN
            INSERT (customer_id, name, segment, region, acquired_on)
            VALUES (a.customer_id, a.name, a.segment, a.region, a.acquired_on) $q$,
        CASE WHEN sales_kpi.sync_has(s, 'account', 'created_date') THEN ', c.acquired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'account', 'created_date') THEN ', a.acquired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'account', 'created_date') THEN ', acquired_on = a.acquired_on' ELSE '' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.customers', n);
    customers_inserted := ins; customers_updated := n - ins; customers_quarantined := qn;
    -- (deleted accounts leave after their deals, below)

    ------------------------------------------------------------------------
    -- Products.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_products;
    CREATE TEMP TABLE sync_products (source_key text, product_id text, name text, family text, deleted boolean,
                                     rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'product_2', 'id') THEN
        active := CASE WHEN sales_kpi.sync_has(s, 'product_2', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_products
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s,
                   coalesce(%3$s, false) OR NOT coalesce(%4$s, true), NULL
            FROM %5$I.product_2 s
            WHERE s.id IS NOT NULL AND (%6$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%7$L, %8$L, 'product_2')))
            ORDER BY s.id, coalesce(%4$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'product_2', 'name', 'text'), sales_kpi.sync_col(s, 'product_2', 'family', 'text'),
            sales_kpi.sync_col(s, 'product_2', 'is_deleted', 'boolean'), active, s,
            sales_kpi.sync_unread(src, s, 'product_2'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('product_2', n);
    END IF;
    UPDATE pg_temp.sync_products SET rule = 'name is missing' WHERE NOT deleted AND (name IS NULL OR name = '');
    UPDATE pg_temp.sync_products p SET rule = 'name is not unique among the products'
    WHERE p.rule IS NULL AND NOT p.deleted
      AND (EXISTS (SELECT FROM sales_kpi.products x WHERE x.name = p.name AND x.product_id <> p.product_id)
           OR EXISTS (SELECT FROM pg_temp.sync_products y WHERE y.name = p.name AND y.product_id < p.product_id
                      AND NOT y.deleted));
    qn := sales_kpi.sync_quarantine(src, s, 'product_2', 'id', 'pg_temp.sync_products');
    SELECT count(*) INTO ins FROM pg_temp.sync_products p
    WHERE p.rule IS NULL AND NOT p.deleted
      AND NOT EXISTS (SELECT FROM sales_kpi.products x WHERE x.product_id = p.product_id);
    MERGE INTO sales_kpi.products x
    USING (SELECT * FROM pg_temp.sync_products WHERE rule IS NULL AND NOT deleted) p
    ON x.product_id = p.product_id
    WHEN MATCHED AND (x.name, x.family) IS DISTINCT FROM (p.name, p.family) THEN
        UPDATE SET name = p.name, family = p.family
    WHEN NOT MATCHED THEN INSERT (product_id, name, family) VALUES (p.product_id, p.name, p.family);
    GET DIAGNOSTICS n = ROW_COUNT;
    products_inserted := ins; products_updated := n - ins; products_quarantined := qn;

    ------------------------------------------------------------------------
    -- Opportunities -> deals (and their history, and the stage catalog).
    ------------------------------------------------------------------------
    -- The deals to read again: any of their rows changed, or in quarantine.
    DROP TABLE IF EXISTS pg_temp.sync_opp_ids;
    CREATE TEMP TABLE sync_opp_ids (deal_id text PRIMARY KEY) ON COMMIT DROP;
    EXECUTE format('INSERT INTO pg_temp.sync_opp_ids SELECT DISTINCT s.id::text FROM %I.opportunity s
                    WHERE s.id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                   s, sales_kpi.sync_unread(src, s, 'opportunity'));
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('opportunity', n);
    IF history THEN
        EXECUTE format('INSERT INTO pg_temp.sync_opp_ids SELECT DISTINCT s.id::text FROM %I.opportunity_history s
                        WHERE s.id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                       s, sales_kpi.sync_unread(src, s, 'opportunity_history'));
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('opportunity_history', n);
    END IF;
    IF sales_kpi.sync_has(s, 'opportunity_line_item', 'opportunity_id') THEN
        EXECUTE format('INSERT INTO pg_temp.sync_opp_ids SELECT DISTINCT s.opportunity_id::text
                        FROM %I.opportunity_line_item s
                        WHERE s.opportunity_id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                       s, sales_kpi.sync_unread(src, s, 'opportunity_line_item'));
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('opportunity_line_item', n);
    END IF;
    INSERT INTO pg_temp.sync_opp_ids SELECT sales_kpi.sync_quarantined(src, s, 'opportunity') ON CONFLICT DO NOTHING;
    ANALYZE pg_temp.sync_opp_ids;

    -- Each deal's product: its line item of the largest total price.
    DROP TABLE IF EXISTS pg_temp.sync_opp_products;
    CREATE TEMP TABLE sync_opp_products (deal_id text PRIMARY KEY, product_id text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'opportunity_line_item', 'opportunity_id')
       AND sales_kpi.sync_has(s, 'opportunity_line_item', 'product_2_id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_opp_products
            SELECT DISTINCT ON (s.opportunity_id) s.opportunity_id::text, s.product_2_id::text
            FROM %1$I.opportunity_line_item s JOIN pg_temp.sync_opp_ids i ON %5$s
            WHERE NOT coalesce(%2$s, false) AND coalesce(%3$s, true) AND s.product_2_id IS NOT NULL
            ORDER BY s.opportunity_id, %4$s DESC NULLS LAST, s.product_2_id $q$,
            s, sales_kpi.sync_col(s, 'opportunity_line_item', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'opportunity_line_item', '_fivetran_active')
                 THEN 's._fivetran_active' ELSE 'true' END,
            sales_kpi.sync_col(s, 'opportunity_line_item', 'total_price', 'numeric'),
            sales_kpi.sync_match(s, 'opportunity_line_item', 'opportunity_id', 's', 'i.deal_id'));
    END IF;

    -- The deals' current rows (a deal deleted or without an active row is
    -- deleted), mapped to the model, with every rule they break.
    DROP TABLE IF EXISTS pg_temp.sync_opps;
    active := CASE WHEN sales_kpi.sync_has(s, 'opportunity', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_opps ON COMMIT DROP AS
        SELECT i.deal_id AS source_key, i.deal_id, o.rep_id, o.customer_id, p.product_id, NULL::text AS pipeline,
               o.name, o.stage,
               o.amount, o.probability, o.forecast_category, o.close_date, NULL::timestamptz AS closed_time,
               o.created_at, o.is_closed, o.is_won,
               o.deal_id IS NULL OR o.is_deleted AS deleted, NULL::text AS rule, o.currency, o.lost_reason
        FROM pg_temp.sync_opp_ids i
        LEFT JOIN (
            SELECT DISTINCT ON (s.id) s.id::text AS deal_id, s.owner_id::text AS rep_id,
                   %9$s AS customer_id, %1$s AS name, s.stage_name::text AS stage,
                   s.amount::numeric AS amount, %2$s / 100 AS probability,
                   sales_kpi.sync_forecast_category(%3$s) AS forecast_category,
                   %4$s AS close_date, %5$s AS created_at, s.is_closed::boolean AS is_closed,
                   s.is_won::boolean AS is_won, coalesce(s.is_deleted::boolean, false) AS is_deleted,
                   upper(btrim(%10$s)) AS currency, nullif(btrim(%11$s), '') AS lost_reason
            FROM %6$I.opportunity s JOIN pg_temp.sync_opp_ids i ON %8$s
            WHERE coalesce(%7$s, true)
            ORDER BY s.id, s._fivetran_synced DESC) o ON o.deal_id = i.deal_id
        LEFT JOIN pg_temp.sync_opp_products p ON p.deal_id = i.deal_id $q$,
        sales_kpi.sync_col(s, 'opportunity', 'name', 'text'),
        sales_kpi.sync_col(s, 'opportunity', 'probability', 'numeric'),
        sales_kpi.sync_col(s, 'opportunity', 'forecast_category', 'text'),
        sales_kpi.sync_col(s, 'opportunity', 'close_date', 'date'),
        sales_kpi.sync_col(s, 'opportunity', 'created_date', 'timestamptz'), s, active,
        sales_kpi.sync_match(s, 'opportunity', 'id', 's', 'i.deal_id'),
        -- without the account table the customers are not synced: no customer
        CASE WHEN sales_kpi.sync_has(s, 'account', 'id') THEN 's.account_id::text' ELSE 'NULL::text' END,
        -- (in a multi-currency org)
        sales_kpi.sync_col(s, 'opportunity', 'currency_iso_code', 'text'),
        sales_kpi.sync_col(s, 'opportunity', 'loss_reason', 'text'));
    ANALYZE pg_temp.sync_opps;
    PERFORM sales_kpi.sync_check_deals('pg_temp.sync_opps');

    -- Every History Mode version of those deals.
    DROP TABLE IF EXISTS pg_temp.sync_opp_versions;
    CREATE TEMP TABLE sync_opp_versions (deal_id text, since timestamptz, until timestamptz, active boolean,
                                         rep_id text, customer_id text, pipeline text, name text, stage text,
                                         amount numeric,
                                         probability numeric, forecast_category text, close_date date,
                                         created_at timestamptz, is_closed boolean, is_won boolean,
                                         is_deleted boolean, rule text, currency text, lost_reason text) ON COMMIT DROP;
    IF history THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_opp_versions
            SELECT s.id::text, %1$s, %2$s, s._fivetran_active::boolean, s.owner_id::text, %11$s, NULL,
                   %3$s, s.stage_name::text, s.amount::numeric, %4$s / 100, sales_kpi.sync_forecast_category(%5$s),
                   %6$s, %7$s, s.is_closed::boolean, s.is_won::boolean, coalesce(%8$s, false), NULL,
                   upper(btrim(%12$s)), nullif(btrim(%13$s), '')
            FROM %9$I.opportunity_history s JOIN pg_temp.sync_opp_ids i ON %10$s $q$,
            sales_kpi.sync_col(s, 'opportunity_history', '_fivetran_start', 'timestamptz'),
            sales_kpi.sync_col(s, 'opportunity_history', '_fivetran_end', 'timestamptz'),
            sales_kpi.sync_col(s, 'opportunity_history', 'name', 'text'),
            sales_kpi.sync_col(s, 'opportunity_history', 'probability', 'numeric'),
            sales_kpi.sync_col(s, 'opportunity_history', 'forecast_category', 'text'),
            sales_kpi.sync_col(s, 'opportunity_history', 'close_date', 'date'),
            sales_kpi.sync_col(s, 'opportunity_history', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'opportunity_history', 'is_deleted', 'boolean'), s,
            sales_kpi.sync_match(s, 'opportunity_history', 'id', 's', 'i.deal_id'),
            CASE WHEN sales_kpi.sync_has(s, 'account', 'id') THEN 's.account_id::text' ELSE 'NULL::text' END,
            sales_kpi.sync_col(s, 'opportunity_history', 'currency_iso_code', 'text'),
            sales_kpi.sync_col(s, 'opportunity_history', 'loss_reason', 'text'));
        ANALYZE pg_temp.sync_opp_versions;
        -- A deal with a dirty version is dirty as a whole.
        PERFORM sales_kpi.sync_check_deals('pg_temp.sync_opp_versions', true);
        UPDATE pg_temp.sync_opps o SET rule = 'the version from ' || v.since || ': ' || v.rule
        FROM (SELECT DISTINCT ON (v.deal_id) v.deal_id, v.since, v.rule FROM pg_temp.sync_opp_versions v
              WHERE v.rule IS NOT NULL ORDER BY v.deal_id, v.since) v
        WHERE o.deal_id = v.deal_id AND o.rule IS NULL;
    END IF;

    -- The stage catalog: the org's opportunity_stage when landed (order,
    -- default probability, flags, label); a stage it does not list (or
    -- without it, a stage new to the catalog) is added with the flags most
    -- of its deals carry.  A deal whose flags disagree with its stage's is
    -- dirty.
    PERFORM sales_kpi.sync_stage_start();
    stage_table := sales_kpi.sync_has(s, 'opportunity_stage', 'api_name')
                   OR sales_kpi.sync_has(s, 'opportunity_stage', 'master_label');
    qs := 0;
    IF stage_table THEN
        DROP TABLE IF EXISTS pg_temp.sync_stages;
        EXECUTE format($q$
            CREATE TEMP TABLE sync_stages ON COMMIT DROP AS
            SELECT coalesce(%1$s, %2$s) AS source_key, NULL::text AS pipeline, coalesce(%1$s, %2$s) AS name,
                   %2$s AS label, %3$s AS pipeline_order, %4$s / 100 AS default_probability,
                   %5$s AS is_closed, %6$s AS is_won,
                   coalesce(%7$s, false) OR NOT coalesce(%8$s, true) AS deleted, NULL::text AS rule
            FROM %9$I.opportunity_stage s
            WHERE coalesce(%1$s, %2$s) IS NOT NULL $q$,
            sales_kpi.sync_col(s, 'opportunity_stage', 'api_name', 'text'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'master_label', 'text'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'sort_order', 'integer'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'default_probability', 'numeric'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'is_closed', 'boolean'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'is_won', 'boolean'),
            sales_kpi.sync_col(s, 'opportunity_stage', '_fivetran_deleted', 'boolean'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'is_active', 'boolean'), s);
        qs := sales_kpi.sync_stage_catalog(src, s, 'opportunity_stage', coalesce(CASE WHEN sales_kpi.sync_has(s, 'opportunity_stage', 'api_name') THEN 'api_name' END, 'master_label'), 'pg_temp.sync_stages');
    END IF;
    PERFORM sales_kpi.sync_stage_flags('pg_temp.sync_opps');
    RETURN QUERY SELECT 'stages'::text,
                        (SELECT count(*) FROM pg_temp.sync_stage_result WHERE change = 'inserted'),
                        (SELECT count(*) FROM pg_temp.sync_stage_result WHERE change = 'updated'), 0::bigint, qs;
    UPDATE pg_temp.sync_opps o SET rule = 'is_closed/is_won disagree with the catalog''s flags for stage ' || quote_literal(o.stage)
    WHERE o.rule IS NULL AND NOT o.deleted
      AND @extschema@.stage_outcome(NULL, o.stage)
          <> CASE WHEN o.is_won THEN 'won' WHEN o.is_closed THEN 'lost' ELSE 'open' END;

    qn := sales_kpi.sync_quarantine(src, s, 'opportunity', 'id', 'pg_temp.sync_opps');
    n := sales_kpi.sync_write_deals('pg_temp.sync_opps', 'pg_temp.sync_opp_versions');
    SELECT count(*) INTO ins FROM pg_temp.sync_deal_result WHERE change = 'inserted';
    RETURN QUERY SELECT 'deals'::text, ins,
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'updated'),
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'deleted'), qn;

    -- Dated exchange rates (a multi-currency org with advanced currency
    -- management): the rates of each currency the org lists replace the
    -- model's.  Salesforce gives units of the currency per corporate unit;
    -- the model keeps corporate units per unit, 1 / conversion_rate (to
    -- numeric division's precision, at least 16 significant digits, trailing
    -- zeros dropped: 0.8 gives 1.25).  Read
    -- whole at every sync (a few rows per currency and month).
    IF sales_kpi.sync_has(s, 'dated_conversion_rate', 'iso_code') THEN
        DROP TABLE IF EXISTS pg_temp.sync_rates;
        EXECUTE format($q$
            CREATE TEMP TABLE sync_rates ON COMMIT DROP AS
            SELECT r.*, CASE
                   WHEN r.currency IS NULL OR r.currency !~ '^[A-Z]{3}$'
                       THEN 'the iso_code ' || coalesce(quote_literal(r.currency), 'NULL') || ' is not an ISO 4217 code'
                   WHEN r.start_date IS NULL THEN 'the start_date is missing'
                   WHEN r.next_start_date <= r.start_date THEN 'next_start_date is not after start_date'
                   WHEN r.conversion_rate IS NULL OR NOT r.conversion_rate > 0 OR r.conversion_rate = 'Infinity'
                       THEN 'the conversion_rate is not a positive number'
                   WHEN lead(r.start_date) OVER w < coalesce(r.next_start_date, 'infinity')
                       THEN 'overlaps the rate from ' || lead(r.start_date) OVER w END AS rule,
                   false AS deleted
            FROM (SELECT coalesce(%1$s, upper(btrim(%2$s)) || ':' || %3$s) AS source_key,
                         upper(btrim(%2$s)) AS currency, %3$s AS start_date, %4$s AS next_start_date,
                         %5$s AS conversion_rate
                  FROM %6$I.dated_conversion_rate s
                  WHERE NOT coalesce(%7$s, false)) r
            WINDOW w AS (PARTITION BY r.currency ORDER BY r.start_date) $q$,
            CASE WHEN sales_kpi.sync_has(s, 'dated_conversion_rate', 'id') THEN 's.id::text' ELSE 'NULL::text' END,
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'iso_code', 'text'),
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'start_date', 'date'),
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'next_start_date', 'date'),
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'conversion_rate', 'numeric'), s,
            sales_kpi.sync_col(s, 'dated_conversion_rate', '_fivetran_deleted', 'boolean'));
        qn := sales_kpi.sync_quarantine(src, s, 'dated_conversion_rate',
                                        CASE WHEN sales_kpi.sync_has(s, 'dated_conversion_rate', 'id') THEN 'id' ELSE 'iso_code' END,
                                        'pg_temp.sync_rates');
        -- a currency with a dirty rate keeps its rates as they were; the
        -- others become the org's (a rate already there as it is stays)
        DELETE FROM pg_temp.sync_rates r
        WHERE r.currency IN (SELECT x.currency FROM pg_temp.sync_rates x WHERE x.rule IS NOT NULL)
           OR r.currency IS NULL;
        DELETE FROM sales_kpi.exchange_rates x
        WHERE x.currency IN (SELECT r.currency FROM pg_temp.sync_rates r)
          AND NOT EXISTS (SELECT FROM pg_temp.sync_rates r
                          WHERE r.currency = x.currency AND daterange(r.start_date, r.next_start_date) = x.valid
                            AND 1 / r.conversion_rate = x.rate);
        GET DIAGNOSTICS del = ROW_COUNT;
        INSERT INTO sales_kpi.exchange_rates (currency, valid, rate)
        SELECT r.currency, daterange(r.start_date, r.next_start_date), trim_scale(1 / r.conversion_rate)
        FROM pg_temp.sync_rates r
        WHERE NOT EXISTS (SELECT FROM sales_kpi.exchange_rates x
                          WHERE x.currency = r.currency AND x.valid = daterange(r.start_date, r.next_start_date));
        GET DIAGNOSTICS ins = ROW_COUNT;
        RETURN QUERY SELECT 'exchange_rates'::text, ins, 0::bigint, del, qn;
    END IF;

    -- Deleted accounts and products leave once nothing refers to them.
    DELETE FROM sales_kpi.customers c USING pg_temp.sync_accounts a
    WHERE a.deleted AND c.customer_id = a.customer_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.customer_id = c.customer_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.customer_id = c.customer_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.subscriptions x WHERE x.customer_id = c.customer_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'customers'::text, customers_inserted, customers_updated, del, customers_quarantined;
    DELETE FROM sales_kpi.products x USING pg_temp.sync_products p
    WHERE p.deleted AND x.product_id = p.product_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.product_id = x.product_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.product_id = x.product_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'products'::text, products_inserted, products_updated, del, products_quarantined;

    ------------------------------------------------------------------------
    -- Tasks and events -> activities.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_activities;
    CREATE TEMP TABLE sync_activities (source_table text, source_key text, activity_id text, rep_id text,
                                       deal_id text, kind text, subject text, created_at timestamptz,
                                       due_at timestamptz, completed_at timestamptz, deleted boolean,
                                       rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'task', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_activities
            SELECT DISTINCT ON (s.id) 'task', s.id::text, s.id::text, %1$s, %2$s,
                   CASE lower(coalesce(%3$s, %4$s, '')) WHEN 'call' THEN 'call' WHEN 'email' THEN 'email'
                                                        ELSE 'task' END,
                   %5$s, %6$s, %7$s, coalesce(%8$s, CASE WHEN %9$s THEN %10$s END),
                   coalesce(%11$s, false) OR NOT coalesce(%12$s, true), NULL
            FROM %13$I.task s
            WHERE s.id IS NOT NULL AND (%14$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%15$L, %16$L, 'task')))
            ORDER BY s.id, coalesce(%12$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'task', 'owner_id', 'text'), sales_kpi.sync_col(s, 'task', 'what_id', 'text'),
            sales_kpi.sync_col(s, 'task', 'task_subtype', 'text'), sales_kpi.sync_col(s, 'task', 'type', 'text'),
            sales_kpi.sync_col(s, 'task', 'subject', 'text'), sales_kpi.sync_col(s, 'task', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'activity_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'completed_date_time', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'is_closed', 'boolean'),
            sales_kpi.sync_col(s, 'task', 'last_modified_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'task', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END,
            s, sales_kpi.sync_unread(src, s, 'task'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('task', n);
    END IF;
    IF sales_kpi.sync_has(s, 'event', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_activities
            SELECT DISTINCT ON (s.id) 'event', s.id::text, s.id::text, %1$s, %2$s, 'meeting', %3$s, %4$s, NULL,
                   %5$s, coalesce(%6$s, false) OR NOT coalesce(%7$s, true), NULL
            FROM %8$I.event s
            WHERE s.id IS NOT NULL AND (%9$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%10$L, %11$L, 'event')))
            ORDER BY s.id, coalesce(%7$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'event', 'owner_id', 'text'), sales_kpi.sync_col(s, 'event', 'what_id', 'text'),
            sales_kpi.sync_col(s, 'event', 'subject', 'text'), sales_kpi.sync_col(s, 'event', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'event', 'end_date_time', 'timestamptz'),
            sales_kpi.sync_col(s, 'event', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'event', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END,
            s, sales_kpi.sync_unread(src, s, 'event'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('event', n);
    END IF;
    ANALYZE pg_temp.sync_activities;
    RETURN QUERY SELECT * FROM sales_kpi.sync_write_activities(src, s, 'id', 'pg_temp.sync_activities');

    ------------------------------------------------------------------------
    -- Leads.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_leads;
    CREATE TEMP TABLE sync_leads (source_key text, lead_id text, rep_id text, name text, source text, status text,
                                  created_at timestamptz, converted_on date, converted_deal_id text, deleted boolean,
                                  rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'lead', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_leads
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s, %3$s, %4$s, %5$s, %6$s, %7$s,
                   coalesce(%8$s, false) OR NOT coalesce(%9$s, true), NULL
            FROM %10$I.lead s
            WHERE s.id IS NOT NULL AND (%11$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%12$L, %13$L, 'lead')))
            ORDER BY s.id, coalesce(%9$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'lead', 'owner_id', 'text'), sales_kpi.sync_col(s, 'lead', 'name', 'text'),
            sales_kpi.sync_col(s, 'lead', 'lead_source', 'text'), sales_kpi.sync_col(s, 'lead', 'status', 'text'),
            sales_kpi.sync_col(s, 'lead', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'lead', 'converted_date', 'date'),
            sales_kpi.sync_col(s, 'lead', 'converted_opportunity_id', 'text'),
            sales_kpi.sync_col(s, 'lead', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'lead', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END,
            s, sales_kpi.sync_unread(src, s, 'lead'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('lead', n);
    END IF;
    ANALYZE pg_temp.sync_leads;
    -- An owner that is not a rep (a lead queue) leaves the lead unowned.
    UPDATE pg_temp.sync_leads l SET rep_id = NULL
    WHERE NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = l.rep_id);
    UPDATE pg_temp.sync_leads SET rule = CASE WHEN created_at IS NULL THEN 'created_date is missing'
                                              WHEN converted_on < (created_at AT TIME ZONE 'UTC')::date
                                              THEN 'converted before created' END
    WHERE NOT deleted;
    qn := sales_kpi.sync_quarantine(src, s, 'lead', 'id', 'pg_temp.sync_leads');
    SELECT count(*) INTO ins FROM pg_temp.sync_leads l
    WHERE l.rule IS NULL AND NOT l.deleted AND NOT EXISTS (SELECT FROM sales_kpi.leads x WHERE x.lead_id = l.lead_id);
    MERGE INTO sales_kpi.leads x
    USING (SELECT * FROM pg_temp.sync_leads WHERE rule IS NULL AND NOT deleted) l
    ON x.lead_id = l.lead_id
    WHEN MATCHED AND (x.rep_id, x.name, x.source, x.status, x.created_at, x.converted_on, x.converted_deal_id)
                     IS DISTINCT FROM (l.rep_id, l.name, l.source, l.status, l.created_at, l.converted_on, l.converted_deal_id) THEN
        UPDATE SET rep_id = l.rep_id, name = l.name, source = l.source, status = l.status, created_at = l.created_at,
                   converted_on = l.converted_on, converted_deal_id = l.converted_deal_id
    WHEN NOT MATCHED THEN
        INSERT (lead_id, rep_id, name, source, status, created_at, converted_on, converted_deal_id)
        VALUES (l.lead_id, l.rep_id, l.name, l.source, l.status, l.created_at, l.converted_on, l.converted_deal_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.leads', n);
    DELETE FROM sales_kpi.leads x USING pg_temp.sync_leads l WHERE l.deleted AND x.lead_id = l.lead_id;
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'leads'::text, ins, n - ins, del, qn;

    ------------------------------------------------------------------------
    -- Watermarks: what was read is not read again.
    ------------------------------------------------------------------------
    PERFORM sales_kpi.sync_end(src, s);
END
$$;

-------------------------------------------------------------------------------
-- customer_cohorts takes the company-wide cells (cohorts, customers, retained)
-- from its twin when they are what they would be now, and computes only
-- the revenue from the deals the role sees (src/dashboards/customer_cohorts.sql).
-- Its twin, which runs the view's query, is created again with its
-- privileges.
-------------------------------------------------------------------------------
DROP MATERIALIZED VIEW sales_kpi.customer_cohorts_mv;
-- The cohorts, customers and retained are the company's, from
-- sales_kpi.customers alone: the same for every role that may read
-- customers, and the refresh keeps them in customer_cohorts_mv.  The view
-- takes them from there when they are what they would be now, as
-- kpi_summary takes its company-wide figures (kpi_summary.sql):
--   customer_cohorts_company_of_twin()  (SECURITY DEFINER, granted by
--       grant_rep_access()) the twin's cells, when they are current for
--       customers (sales_kpi.twin_kept(), kpi_summary.sql);
--   customer_cohorts_company_kept()  for the caller: those cells, if it may
--       read customers, with no row-level security on them, and may call
--       the former; else none, and the view computes them.
-- Only the revenue, from the deals the role sees, is computed every time.
CREATE FUNCTION sales_kpi.customer_cohorts_company_of_twin()
RETURNS TABLE (cohort_month date, months_since integer, customers bigint, retained bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF sales_kpi.twin_kept('customer_cohorts_mv', ARRAY['customers']) THEN
        RETURN QUERY SELECT m.cohort_month, m.months_since, m.customers, m.retained
                     FROM sales_kpi.customer_cohorts_mv m;
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.customer_cohorts_company_of_twin() IS
    'The customer cohorts'' cells with their customers and retained from customer_cohorts_mv, when they are what they would be now; else no rows';
REVOKE ALL ON FUNCTION sales_kpi.customer_cohorts_company_of_twin() FROM PUBLIC;

CREATE FUNCTION sales_kpi.customer_cohorts_company_kept()
RETURNS TABLE (cohort_month date, months_since integer, customers bigint, retained bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF has_table_privilege('sales_kpi.customers', 'SELECT') AND NOT row_security_active('sales_kpi.customers')
       AND has_function_privilege('sales_kpi.customer_cohorts_company_of_twin()', 'EXECUTE') THEN
        -- (a statement of its own: calling it takes the privilege to)
        RETURN QUERY SELECT * FROM sales_kpi.customer_cohorts_company_of_twin();
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.customer_cohorts_company_kept() IS
    'What sales_kpi.customer_cohorts takes from the refresh: customer_cohorts_company_of_twin() for a role that may read customers (without row-level security) and call it; else no rows';

CREATE OR REPLACE VIEW sales_kpi.customer_cohorts WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
kept AS MATERIALIZED (SELECT * FROM sales_kpi.customer_cohorts_company_kept()),
c AS (
    SELECT c.customer_id, date_trunc('month', c.acquired_on)::date AS cohort_month, c.churned_on
    FROM sales_kpi.customers c CROSS JOIN f
    WHERE c.acquired_on <= f.as_of
),
cohorts AS (
    SELECT cohort_month, count(*) AS customers FROM c GROUP BY cohort_month
),
cells AS (
    SELECT k.cohort_month, m.months_since
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
-- the cells with their customers and retained: kept, or computed
company AS (
    SELECT k.cohort_month, k.months_since, k.customers, k.retained FROM kept k
    UNION ALL
    SELECT x.cohort_month, x.months_since, k.customers,
           (CASE WHEN x.months_since = 0 THEN k.customers
                 ELSE k.customers - coalesce(sum(g.customers) OVER (PARTITION BY x.cohort_month ORDER BY x.months_since), 0)
            END)::bigint
    FROM cells x
    JOIN cohorts k ON k.cohort_month = x.cohort_month
    LEFT JOIN gone g ON g.cohort_month = x.cohort_month AND g.months_since = x.months_since
    WHERE NOT EXISTS (SELECT FROM kept)
),
revenue AS (
    SELECT date_trunc('month', c.acquired_on)::date AS cohort_month, date_trunc('month', ds.closed_at)::date AS month_start,
           sum(ds.amount) AS revenue
    FROM sales_kpi.deal_state ds
    JOIN sales_kpi.customers c ON c.customer_id = ds.customer_id
    CROSS JOIN f
    WHERE ds.outcome = 'won' AND c.acquired_on <= f.as_of
    GROUP BY 1, 2
)
SELECT x.cohort_month,
       x.months_since,
       x.month_start,
       x.customers,
       x.retained,
       x.retained::float8 / x.customers AS retention,
       coalesce(v.revenue, 0) AS revenue,
       f.as_of
FROM (SELECT k.*, (k.cohort_month + make_interval(months => k.months_since))::date AS month_start FROM company k) x
CROSS JOIN f
LEFT JOIN revenue v ON v.cohort_month = x.cohort_month AND v.month_start = x.month_start;
DO $$
BEGIN
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.customer_cohorts_mv AS '
            || sales_kpi.twin_query('sales_kpi.customer_cohorts'::regclass);
END
$$;
CREATE UNIQUE INDEX customer_cohorts_mv_key ON sales_kpi.customer_cohorts_mv (cohort_month, months_since) NULLS NOT DISTINCT;
COMMENT ON MATERIALIZED VIEW sales_kpi.customer_cohorts_mv IS 'Snapshot of sales_kpi.customer_cohorts (no row-level security)';
DELETE FROM sales_kpi.dashboard_refreshes WHERE view_name = 'sales_kpi.customer_cohorts_mv';

-------------------------------------------------------------------------------
-- stage_probabilities tells the planner that the cohort's deal_id is unique,
-- so that the visits are hashed against the cohort instead of both being
-- sorted (src/dashboards/01_stage_probabilities.sql), and lost_reasons reads
-- the visits of the lost deals only, sales_kpi.stage_visits_of()
-- (src/dashboards/lost_reasons.sql).  Their twins, which run the views'
-- queries, are created again with their privileges.
-------------------------------------------------------------------------------
DROP MATERIALIZED VIEW sales_kpi.stage_probabilities_mv, sales_kpi.lost_reasons_mv;
CREATE OR REPLACE VIEW sales_kpi.stage_probabilities WITH (security_invoker = true) AS
WITH f AS (
    SELECT sales_kpi.as_of() AS as_of, (sales_kpi.as_of() + 1)::timestamptz AS as_of_end,
           sales_kpi.as_of() - sales_kpi.probability_window() + 1 AS window_start
),
-- the deals created in the window, as they are at the end of the as-of day
-- (deal_state holds one row per deal, so DISTINCT ON changes no row: it tells
-- the planner deal_id is unique here, which the function behind deal_state
-- cannot; with it the visits are hashed against the cohort instead of both
-- being sorted for a merge join, 510 -> 231 ms for a manager of 10 at 1M deals)
cohort AS (
    SELECT DISTINCT ON (ds.deal_id) ds.deal_id, ds.outcome
    FROM sales_kpi.deal_state ds CROSS JOIN f
    WHERE ds.created_at >= f.window_start::timestamptz
),
-- the stages each of them was ever in, by the as-of day: its first visit to
-- each (stages as the catalog names them, else as recorded)
learnt AS (
    SELECT v.pipeline, v.stage,
           count(*) FILTER (WHERE c.outcome <> 'open') AS closed_deals,
           count(*) FILTER (WHERE c.outcome = 'won') AS won_deals
    FROM sales_kpi.stage_visits v
    JOIN cohort c ON c.deal_id = v.deal_id
    WHERE v.first_visit
    GROUP BY v.pipeline, v.stage
),
rows_ AS (
    -- every stage deals of the window were in, with its catalog row (the
    -- pipeline's, else the one for every pipeline)
    SELECT l.pipeline, l.stage, coalesce(sp.label, sa.label) AS label,
           coalesce(sp.pipeline_order, sa.pipeline_order) AS pipeline_order,
           coalesce(sp.default_probability, sa.default_probability) AS catalog_probability,
           l.closed_deals, l.won_deals
    FROM learnt l
    LEFT JOIN sales_kpi.stages sp ON sp.pipeline = l.pipeline AND sp.normalized = @extschema@.stage_normalize(l.stage)
    LEFT JOIN sales_kpi.stages sa ON sa.pipeline IS NULL AND sa.normalized = @extschema@.stage_normalize(l.stage)
    UNION ALL
    -- and every catalog stage none was in
    SELECT s.pipeline, s.name, s.label, s.pipeline_order, s.default_probability, 0, 0
    FROM sales_kpi.stages s
    WHERE NOT EXISTS (SELECT FROM learnt l WHERE l.pipeline IS NOT DISTINCT FROM s.pipeline AND l.stage = s.name)
)
SELECT r.pipeline,
       r.stage,
       coalesce(r.label, r.stage) AS label,
       r.pipeline_order,
       r.catalog_probability,
       r.closed_deals::bigint AS closed_deals,
       r.won_deals::bigint AS won_deals,
       r.won_deals::numeric / nullif(r.closed_deals, 0) AS learnt_probability,
       CASE WHEN sales_kpi.probability_source() = 'learnt' AND r.closed_deals > 0
            THEN r.won_deals::numeric / r.closed_deals ELSE r.catalog_probability END AS probability_in_use,
       f.window_start,
       f.as_of
FROM rows_ r CROSS JOIN f;
CREATE OR REPLACE VIEW sales_kpi.lost_reasons WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
lost_deals AS (
    SELECT ds.deal_id, ds.rep_id, ds.amount, ds.lost_reason
    FROM sales_kpi.deal_state ds CROSS JOIN f
    WHERE ds.outcome = 'lost' AND ds.closed_at >= f.year_start
),
lost AS (
    SELECT d.deal_id, d.rep_id, d.amount, coalesce(nullif(btrim(d.lost_reason), ''), '(none)') AS reason,
           coalesce(prev.label, '(none)') AS lost_from
    FROM lost_deals d
    -- the stage it was in when it last moved to a lost stage (the visits of
    -- the lost deals only: a few thousand of a manager's 150,000)
    LEFT JOIN (SELECT DISTINCT ON (v.deal_id) v.deal_id, v.label
               FROM sales_kpi.stage_visits_of((SELECT coalesce(array_agg(l.deal_id), '{}') FROM lost_deals l)) v
               WHERE v.next_outcome = 'lost'
               ORDER BY v.deal_id, v.entered_at DESC) prev ON prev.deal_id = d.deal_id
),
g AS (
    SELECT CASE WHEN GROUPING(rep_id) = 0 THEN 'rep' WHEN GROUPING(lost_from) = 0 THEN 'stage' ELSE 'reason' END AS level,
           reason, lost_from, rep_id, count(*) AS deals, coalesce(sum(amount), 0) AS amount
    FROM lost
    GROUP BY GROUPING SETS ((reason), (reason, lost_from), (rep_id, reason))
)
SELECT g.level,
       g.reason,
       CASE WHEN g.level = 'stage' THEN g.lost_from END AS lost_from_stage,
       g.rep_id,
       r.name AS rep_name,
       g.deals,
       g.amount,
       g.deals::float8 / sum(g.deals) OVER (PARTITION BY g.level,
                                                     CASE WHEN g.level = 'stage' THEN g.reason END,
                                                     CASE WHEN g.level = 'rep' THEN g.rep_id END) AS share,
       f.year_start AS period_start,
       f.as_of
FROM g
CROSS JOIN f
LEFT JOIN sales_kpi.reps r ON r.rep_id = g.rep_id;
DO $$
BEGIN
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.stage_probabilities_mv AS '
            || sales_kpi.twin_query('sales_kpi.stage_probabilities'::regclass);
    EXECUTE 'CREATE MATERIALIZED VIEW sales_kpi.lost_reasons_mv AS '
            || sales_kpi.twin_query('sales_kpi.lost_reasons'::regclass);
END
$$;
CREATE UNIQUE INDEX stage_probabilities_mv_key ON sales_kpi.stage_probabilities_mv (pipeline, stage) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX lost_reasons_mv_key ON sales_kpi.lost_reasons_mv (level, reason, lost_from_stage, rep_id) NULLS NOT DISTINCT;
COMMENT ON MATERIALIZED VIEW sales_kpi.stage_probabilities_mv IS 'Snapshot of sales_kpi.stage_probabilities (no row-level security)';
COMMENT ON MATERIALIZED VIEW sales_kpi.lost_reasons_mv IS 'Snapshot of sales_kpi.lost_reasons (no row-level security)';
DELETE FROM sales_kpi.dashboard_refreshes
WHERE view_name IN ('sales_kpi.stage_probabilities_mv', 'sales_kpi.lost_reasons_mv');

-------------------------------------------------------------------------------
-- kpi_values runs the summary's, the pipeline's and the leaderboard's queries
-- over one reading of deal_state (src/dashboards/kpi_alerts.sql), with
-- sales_kpi.view_query(), which now has a file of its own
-- (src/view_query.sql).
-------------------------------------------------------------------------------
COMMENT ON FUNCTION sales_kpi.view_query(regclass, text[], text[]) IS
    'A view''s query with the relations named replaced (how the twins, the stores and the alerts reuse the dashboards'' own queries)';
-- The live kpi_values runs the summary's, the pipeline's and the
-- leaderboard's own queries over one reading of sales_kpi.deal_state, which
-- each of them would read again: 548 -> 401 ms for the alerts of a manager
-- of 10 at 1M deals.  So it holds their queries as they are when it is
-- created: a change to one of those three views creates kpi_values again.
-- Of the summary it keeps the current month, quarter and year, whose
-- figures come from the deals closed or created in them and whose growth
-- from the period before: the summary reads only the deals closed or
-- created since the start of the previous fiscal year (a deal counts in the
-- periods its closing and creation days fall in, and every period kept
-- starts on or after that day).  Compared as timestamps from the day
-- before, so that no time zone's midnight can leave a deal of that day out;
-- the deals of the day before count only in periods the alerts leave out.
DO $$
BEGIN
    EXECUTE 'CREATE OR REPLACE VIEW sales_kpi.kpi_values WITH (security_invoker = true) AS '
            || 'WITH deal_state_shared AS MATERIALIZED (SELECT * FROM sales_kpi.deal_state), '
            || 'deal_state_recent AS ('
            || ' SELECT d.* FROM deal_state_shared d'
            || ' WHERE greatest(d.closed_at, d.created_at)'
            || '   >= (SELECT (@extschema@.fiscal_period_start(f.year_start - 1, ''year'') - 1)::timestamptz FROM sales_kpi.fiscal_now f)) '
            || sales_kpi.kpi_values_query(
                   '(' || sales_kpi.view_query('sales_kpi.kpi_summary', ARRAY['sales_kpi.deal_state'], ARRAY['deal_state_recent']) || ')',
                   '(' || sales_kpi.view_query('sales_kpi.pipeline', ARRAY['sales_kpi.deal_state'], ARRAY['deal_state_shared']) || ')',
                   '(' || sales_kpi.view_query('sales_kpi.leaderboard', ARRAY['sales_kpi.deal_state'], ARRAY['deal_state_shared']) || ')');
END
$$;

-------------------------------------------------------------------------------
-- The privileges granted before the update on the views and twins created
-- again above.
-------------------------------------------------------------------------------
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT t.relname, a.privilege_type, a.grantee, a.is_grantable
             FROM update_acl t, aclexplode(t.relacl) a
             WHERE a.grantee <> a.grantor
    LOOP
        EXECUTE format('GRANT %s ON sales_kpi.%I TO %s%s', g.privilege_type, g.relname,
                       CASE g.grantee WHEN 0 THEN 'PUBLIC' ELSE quote_ident(g.grantee::regrole::text) END,
                       CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;
DROP TABLE update_acl;
