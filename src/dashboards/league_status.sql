-- Dashboard: League status (home).  One view, one row per tile or list
-- entry, told apart by `section`:
--   year_to_date       won revenue this fiscal year against the quota to date
--   forecast           won revenue + weighted open pipeline against the
--                      full-year quota (probabilities as
--                      sales_kpi.probability_source says)
--   largest_open_deal  the 5 largest open deals
--   largest_won_deal   the 5 largest deals won this fiscal year
--   top_rep            the 10 reps with the highest quota attainment to date
-- Quotas are prorated by days to the part of their period inside the window.

CREATE VIEW sales_kpi.league_status WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
-- the deals the tiles read: open ones, and those won this fiscal year
ds AS MATERIALIZED (
    SELECT ds.deal_id, ds.rep_id, ds.customer_id, ds.name, ds.amount,
           coalesce(lp.learnt_probability, ds.probability) AS probability, ds.outcome, ds.closed_at,
           ds.as_of
    FROM sales_kpi.deal_state ds CROSS JOIN f
    LEFT JOIN sales_kpi.learnt_probabilities_in_use() lp
           ON lp.pipeline IS NOT DISTINCT FROM ds.pipeline AND lp.normalized = ds.normalized
    WHERE ds.outcome = 'open' OR (ds.outcome = 'won' AND ds.closed_at >= f.year_start)
),
won AS (
    SELECT ds.* FROM ds CROSS JOIN f
    WHERE ds.outcome = 'won' AND ds.closed_at >= f.year_start
),
quota AS (
    SELECT q.rep_id,
           sum(sales_kpi.prorate(q.amount, q.period, daterange(f.year_start, f.as_of + 1))) AS to_date,
           sum(sales_kpi.prorate(q.amount, q.period, daterange(f.year_start, f.year_end))) AS full_year
    FROM sales_kpi.quotas q CROSS JOIN f
    WHERE q.period && daterange(f.year_start, f.year_end)
    GROUP BY q.rep_id
),
rep_won AS (
    SELECT rep_id, sum(amount) AS amount FROM won GROUP BY rep_id
),
totals AS (
    SELECT (SELECT coalesce(sum(amount), 0) FROM won) AS won_revenue,
           (SELECT coalesce(sum(ds.amount * ds.probability), 0) FROM ds
             WHERE ds.outcome = 'open') AS weighted_pipeline,
           (SELECT sum(to_date) FROM quota) AS quota_to_date,
           (SELECT sum(full_year) FROM quota) AS quota_full_year
)
SELECT 'year_to_date'::text AS section, 1::bigint AS rank, NULL::text AS item_id,
       f.year_label || ' to date' AS label,
       t.won_revenue AS amount, round(t.quota_to_date, 2) AS target,
       @extschema@.quota_attainment(t.won_revenue, t.quota_to_date) AS attainment,
       f.year_start AS period_start, f.as_of
FROM totals t CROSS JOIN f
UNION ALL
SELECT 'forecast', 1, NULL, f.year_label || ' forecast (won + weighted pipeline)',
       round(t.won_revenue + t.weighted_pipeline, 2), round(t.quota_full_year, 2),
       @extschema@.quota_attainment(t.won_revenue + t.weighted_pipeline, t.quota_full_year),
       f.year_start, f.as_of
FROM totals t CROSS JOIN f
UNION ALL
-- (the five first, then their customers' names)
SELECT 'largest_open_deal', x.rank, x.deal_id, coalesce(x.name, c.name, 'deal ' || x.deal_id), x.amount,
       NULL, NULL, NULL, x.as_of
FROM (SELECT row_number() OVER (ORDER BY ds.amount DESC NULLS LAST, ds.deal_id) AS rank, ds.deal_id,
             ds.customer_id, ds.name, ds.amount, ds.as_of
      FROM ds
      WHERE ds.outcome = 'open' AND ds.amount IS NOT NULL
      ORDER BY ds.amount DESC NULLS LAST, ds.deal_id
      LIMIT 5) x
LEFT JOIN sales_kpi.customers c USING (customer_id)
UNION ALL
SELECT 'largest_won_deal', x.rank, x.deal_id, coalesce(x.name, c.name, 'deal ' || x.deal_id), x.amount,
       NULL, NULL, x.year_start, x.as_of
FROM (SELECT row_number() OVER (ORDER BY w.amount DESC NULLS LAST, w.deal_id) AS rank, w.deal_id,
             w.customer_id, w.name, w.amount, f.year_start, w.as_of
      FROM won w CROSS JOIN f
      WHERE w.amount IS NOT NULL
      ORDER BY w.amount DESC NULLS LAST, w.deal_id
      LIMIT 5) x
LEFT JOIN sales_kpi.customers c USING (customer_id)
UNION ALL
SELECT 'top_rep', x.rank, x.rep_id, x.name, x.amount, x.target, x.attainment, x.year_start, x.as_of
FROM (SELECT row_number() OVER (ORDER BY @extschema@.quota_attainment(coalesce(w.amount, 0), q.to_date) DESC NULLS LAST,
                                         w.amount DESC NULLS LAST, r.rep_id) AS rank,
             r.rep_id, r.name, coalesce(w.amount, 0) AS amount, round(q.to_date, 2) AS target,
             @extschema@.quota_attainment(coalesce(w.amount, 0), q.to_date) AS attainment, f.year_start, f.as_of
      FROM sales_kpi.reps r CROSS JOIN f
      LEFT JOIN rep_won w USING (rep_id)
      LEFT JOIN quota q USING (rep_id)
      WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.as_of)) x
WHERE x.rank <= 10;
COMMENT ON VIEW sales_kpi.league_status IS
    'League status (home) dashboard: year-to-date revenue and forecast against quota, largest open and won deals, top reps; one row per tile or list entry';
COMMENT ON COLUMN sales_kpi.league_status.section IS 'year_to_date, forecast, largest_open_deal, largest_won_deal or top_rep';
COMMENT ON COLUMN sales_kpi.league_status.rank IS 'Position within the section, from 1';
COMMENT ON COLUMN sales_kpi.league_status.item_id IS 'deal_id or rep_id of a list entry';
COMMENT ON COLUMN sales_kpi.league_status.label IS 'What the row shows';
COMMENT ON COLUMN sales_kpi.league_status.amount IS 'Revenue, forecast or deal amount';
COMMENT ON COLUMN sales_kpi.league_status.target IS 'Quota (prorated by days) the amount is measured against';
COMMENT ON COLUMN sales_kpi.league_status.attainment IS 'amount / target';
COMMENT ON COLUMN sales_kpi.league_status.period_start IS 'First day of the fiscal year';
COMMENT ON COLUMN sales_kpi.league_status.as_of IS 'The as-of day';
