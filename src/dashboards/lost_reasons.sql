-- Dashboard: Lost reasons.  The deals lost this fiscal year to date, per
-- reason ('(none)' when the CRM gave none): deals, amount (corporate
-- currency) and share of the lost deals (level reason); per reason and the
-- stage the deals were lost from (the last stage they entered before the
-- lost one: level stage, share within the reason); and per rep and reason
-- (level rep, share of the rep's lost deals).

CREATE VIEW sales_kpi.lost_reasons WITH (security_invoker = true) AS
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
COMMENT ON VIEW sales_kpi.lost_reasons IS
    'Lost reasons dashboard: deals lost this fiscal year per reason, per reason and stage lost from, per rep and reason; deals, amount, share';
COMMENT ON COLUMN sales_kpi.lost_reasons.level IS 'reason (all lost deals), stage (per stage lost from) or rep';
COMMENT ON COLUMN sales_kpi.lost_reasons.reason IS 'The lost reason as the CRM gives it; (none) when missing';
COMMENT ON COLUMN sales_kpi.lost_reasons.lost_from_stage IS 'level stage: the stage the deals were in before the lost stage ((none) if they entered none before)';
COMMENT ON COLUMN sales_kpi.lost_reasons.rep_id IS 'level rep: the rep';
COMMENT ON COLUMN sales_kpi.lost_reasons.rep_name IS 'level rep: the rep''s name';
COMMENT ON COLUMN sales_kpi.lost_reasons.deals IS 'Deals lost this fiscal year';
COMMENT ON COLUMN sales_kpi.lost_reasons.amount IS 'Their amount (corporate currency, at the close day''s rate)';
COMMENT ON COLUMN sales_kpi.lost_reasons.share IS 'deals / lost deals: of all (reason), of the reason''s (stage), of the rep''s (rep)';
COMMENT ON COLUMN sales_kpi.lost_reasons.period_start IS 'First day of the fiscal year';
COMMENT ON COLUMN sales_kpi.lost_reasons.as_of IS 'The as-of day';
