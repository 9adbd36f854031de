-- Pipeline flow (waterfall): how each rep's open pipeline at the end of one
-- day became their open pipeline at the end of a later day.  Each deal is
-- compared as it was at the end of both days (sales_kpi.deal_state's own
-- query, run for each day: same versions, outcomes and currency rates), and
-- counted once in the flows that take it from the one to the other:
--
--   opening    open at the end of from_day (its owner then)
--   created    not there at from_day (created since, or deleted and back),
--              there at to_day (open, or closed since), at its amount then;
--              with moved_in: open at both ends and owned by another rep at
--              from_day, at its amount then
--   reopened   closed at from_day, open at to_day, or closed again since
--   increased, decreased   the change of the amount of a deal open at
--              from_day and still open at to_day (its owner then), or closed
--              since (its owner at from_day; its amount when it closed)
--   won, lost  closed by to_day, at its amount then: open at from_day (its
--              owner then), or created or reopened since
--   removed    open at from_day and deleted by to_day; with moved_out: open
--              at both ends and owned by another rep at to_day
--   closing    open at the end of to_day (its owner then)
--
-- so that for every rep, exactly:
--   opening + created + reopened + increased - decreased - won - lost - removed = closing
-- Amounts are in the corporate currency: open deals at the rate of the day
-- they are open on, closed ones at their close day's; a rate's change moves
-- a deal open at both ends up or down like an edit.  Company-wide, moved_in
-- and moved_out cancel.  pulled_in / pushed_out: deals open at from_day
-- whose close date moved from another day into / from the fiscal quarter of
-- to_day to another day (at their amount at to_day).

-- deal_state's query for another day than the setting sales_kpi.as_of:
-- day, an SQL expression of type date ($1, or the start of the quarter).
CREATE FUNCTION sales_kpi.deal_state_query(day text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(rtrim(rtrim(pg_get_viewdef('sales_kpi.deal_state_computed'::regclass), E' \n'), ';'),
                   'sales_kpi.as_of()', '(' || day || ')')
$$;
COMMENT ON FUNCTION sales_kpi.deal_state_query(text) IS
    'The query of sales_kpi.deal_state with the as-of day given by an SQL expression (how the pipeline flow reads the deals at two days)';

-- The deals at the end of the day before this fiscal quarter began: the
-- opening of the pipeline_flow dashboard.  deal_state's own query; the
-- refresh keeps a per-deal copy of it as it does of deal_state
-- (sales_kpi.deal_state_quarter_open_store).
-- Like deal_state, the view reads the refresh's store and computes the
-- deals written since (sales_kpi.deal_state_rows(true)).
DO $$
BEGIN
    EXECUTE 'CREATE VIEW sales_kpi.deal_state_quarter_open_computed WITH (security_invoker = true) AS '
            || sales_kpi.deal_state_query('@extschema@.fiscal_period_start(sales_kpi.as_of(), ''quarter'') - 1');
    EXECUTE 'CREATE VIEW sales_kpi.deal_state_quarter_open WITH (security_invoker = true) AS '
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

-- The flow per rep, from the deals at the opening (a relation or a
-- subquery) and at the closing, between the days from_day and to_day (SQL
-- expressions of type date).
CREATE FUNCTION sales_kpi.pipeline_flow_query(opening text, closing text, from_day text, to_day text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
    SELECT format($q$
        WITH s0 AS (SELECT x.deal_id, x.rep_id, coalesce(x.amount, 0) AS amount, x.outcome, x.closed_at, x.close_date
                    FROM %1$s x),
             s1 AS (SELECT x.deal_id, x.rep_id, coalesce(x.amount, 0) AS amount, x.outcome, x.closed_at, x.close_date
                    FROM %2$s x),
             b AS (SELECT @extschema@.fiscal_period_start(%4$s, 'quarter') AS q_start,
                          (@extschema@.fiscal_period_start(%4$s, 'quarter') + interval '3 months')::date AS q_end),
             d AS MATERIALIZED (
                 SELECT x.*,
                        x.open0 AND x.open1 AND x.r1 <> x.r0 AS moved,
                        CASE WHEN x.open0 THEN x.r0 ELSE x.r1 END AS r_closed,
                        CASE WHEN x.open1 THEN x.r1 ELSE x.r0 END AS r_edit,
                        CASE WHEN x.open0 AND (x.open1 OR x.closed_since) THEN x.a1 - x.a0 END AS delta
                 FROM (
                     SELECT s0.rep_id AS r0, s0.amount AS a0, s0.outcome AS o0, s0.close_date AS cd0,
                            s1.rep_id AS r1, s1.amount AS a1, s1.outcome AS o1, s1.close_date AS cd1,
                            coalesce(s0.outcome = 'open', false) AS open0, coalesce(s1.outcome = 'open', false) AS open1,
                            -- closed since from_day: open then (or not there), or closed again after a reopening
                            coalesce(s1.outcome <> 'open'
                                     AND (s0.deal_id IS NULL OR s0.outcome = 'open'
                                          OR s0.closed_at IS DISTINCT FROM s1.closed_at OR s0.outcome <> s1.outcome),
                                     false) AS closed_since,
                            coalesce(s0.close_date >= b.q_start AND s0.close_date < b.q_end, false) AS in_q0,
                            coalesce(s1.close_date >= b.q_start AND s1.close_date < b.q_end, false) AS in_q1
                     FROM s0 FULL JOIN s1 ON s1.deal_id = s0.deal_id CROSS JOIN b) x
                 -- (a deal closed at both ends, and not since, is in no flow)
                 WHERE x.open0 OR x.open1 OR x.closed_since
             ),
             -- each flow summed by the rep it belongs to: the owner at
             -- from_day, at to_day, of the closing, of the edit
             f AS (
                 SELECT d.r0 AS rep_id,
                        count(*) FILTER (WHERE d.open0) AS opening_deals, sum(d.a0) FILTER (WHERE d.open0) AS opening_amount,
                        0 AS created_deals, NULL::numeric AS created_amount, 0 AS reopened_deals, NULL::numeric AS reopened_amount,
                        0 AS increased_deals, NULL::numeric AS increased_amount, 0 AS decreased_deals, NULL::numeric AS decreased_amount,
                        0 AS won_deals, NULL::numeric AS won_amount, 0 AS lost_deals, NULL::numeric AS lost_amount,
                        count(*) FILTER (WHERE d.open0 AND (d.o1 IS NULL OR d.moved)) AS removed_deals,
                        sum(d.a0) FILTER (WHERE d.open0 AND (d.o1 IS NULL OR d.moved)) AS removed_amount,
                        0 AS closing_deals, NULL::numeric AS closing_amount, 0 AS moved_in_deals, NULL::numeric AS moved_in_amount,
                        count(*) FILTER (WHERE d.moved) AS moved_out_deals, sum(d.a0) FILTER (WHERE d.moved) AS moved_out_amount,
                        0 AS pulled_in_deals, NULL::numeric AS pulled_in_amount, 0 AS pushed_out_deals, NULL::numeric AS pushed_out_amount
                 FROM d WHERE d.open0 GROUP BY d.r0
                 UNION ALL
                 SELECT d.r1, 0, NULL,
                        count(*) FILTER (WHERE (d.o0 IS NULL AND (d.open1 OR d.closed_since)) OR d.moved),
                        sum(CASE WHEN d.moved THEN d.a0 ELSE d.a1 END) FILTER (WHERE (d.o0 IS NULL AND (d.open1 OR d.closed_since)) OR d.moved),
                        count(*) FILTER (WHERE d.o0 IN ('won', 'lost') AND (d.open1 OR d.closed_since)),
                        sum(d.a1) FILTER (WHERE d.o0 IN ('won', 'lost') AND (d.open1 OR d.closed_since)),
                        0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL,
                        count(*) FILTER (WHERE d.open1), sum(d.a1) FILTER (WHERE d.open1),
                        count(*) FILTER (WHERE d.moved), sum(d.a0) FILTER (WHERE d.moved),
                        0, NULL,
                        count(*) FILTER (WHERE d.open0 AND NOT d.in_q0 AND d.in_q1 AND d.cd0 IS NOT NULL),
                        sum(d.a1) FILTER (WHERE d.open0 AND NOT d.in_q0 AND d.in_q1 AND d.cd0 IS NOT NULL),
                        count(*) FILTER (WHERE d.open0 AND d.in_q0 AND NOT d.in_q1 AND d.cd1 IS NOT NULL),
                        sum(d.a1) FILTER (WHERE d.open0 AND d.in_q0 AND NOT d.in_q1 AND d.cd1 IS NOT NULL)
                 FROM d WHERE d.o1 IS NOT NULL GROUP BY d.r1
                 UNION ALL
                 SELECT d.r_closed, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL,
                        count(*) FILTER (WHERE d.o1 = 'won'), sum(d.a1) FILTER (WHERE d.o1 = 'won'),
                        count(*) FILTER (WHERE d.o1 = 'lost'), sum(d.a1) FILTER (WHERE d.o1 = 'lost'),
                        0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL
                 FROM d WHERE d.closed_since GROUP BY d.r_closed
                 UNION ALL
                 SELECT d.r_edit, 0, NULL, 0, NULL, 0, NULL,
                        count(*) FILTER (WHERE d.delta > 0), sum(d.delta) FILTER (WHERE d.delta > 0),
                        count(*) FILTER (WHERE d.delta < 0), -sum(d.delta) FILTER (WHERE d.delta < 0),
                        0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL
                 FROM d WHERE d.delta <> 0 GROUP BY d.r_edit
             ),
             per_rep AS (
                 SELECT f.rep_id,
                        sum(f.opening_deals) AS opening_deals, sum(f.opening_amount) AS opening_amount,
                        sum(f.created_deals) AS created_deals, sum(f.created_amount) AS created_amount,
                        sum(f.reopened_deals) AS reopened_deals, sum(f.reopened_amount) AS reopened_amount,
                        sum(f.increased_deals) AS increased_deals, sum(f.increased_amount) AS increased_amount,
                        sum(f.decreased_deals) AS decreased_deals, sum(f.decreased_amount) AS decreased_amount,
                        sum(f.won_deals) AS won_deals, sum(f.won_amount) AS won_amount,
                        sum(f.lost_deals) AS lost_deals, sum(f.lost_amount) AS lost_amount,
                        sum(f.removed_deals) AS removed_deals, sum(f.removed_amount) AS removed_amount,
                        sum(f.closing_deals) AS closing_deals, sum(f.closing_amount) AS closing_amount,
                        sum(f.moved_in_deals) AS moved_in_deals, sum(f.moved_in_amount) AS moved_in_amount,
                        sum(f.moved_out_deals) AS moved_out_deals, sum(f.moved_out_amount) AS moved_out_amount,
                        sum(f.pulled_in_deals) AS pulled_in_deals, sum(f.pulled_in_amount) AS pulled_in_amount,
                        sum(f.pushed_out_deals) AS pushed_out_deals, sum(f.pushed_out_amount) AS pushed_out_amount
                 FROM f GROUP BY f.rep_id
             )
        SELECT r.rep_id, r.name AS rep_name, r.team,
               coalesce(p.opening_deals, 0)::bigint AS opening_deals, coalesce(p.opening_amount, 0) AS opening_amount,
               coalesce(p.created_deals, 0)::bigint AS created_deals, coalesce(p.created_amount, 0) AS created_amount,
               coalesce(p.reopened_deals, 0)::bigint AS reopened_deals, coalesce(p.reopened_amount, 0) AS reopened_amount,
               coalesce(p.increased_deals, 0)::bigint AS increased_deals, coalesce(p.increased_amount, 0) AS increased_amount,
               coalesce(p.decreased_deals, 0)::bigint AS decreased_deals, coalesce(p.decreased_amount, 0) AS decreased_amount,
               coalesce(p.won_deals, 0)::bigint AS won_deals, coalesce(p.won_amount, 0) AS won_amount,
               coalesce(p.lost_deals, 0)::bigint AS lost_deals, coalesce(p.lost_amount, 0) AS lost_amount,
               coalesce(p.removed_deals, 0)::bigint AS removed_deals, coalesce(p.removed_amount, 0) AS removed_amount,
               coalesce(p.closing_deals, 0)::bigint AS closing_deals, coalesce(p.closing_amount, 0) AS closing_amount,
               coalesce(p.moved_in_deals, 0)::bigint AS moved_in_deals, coalesce(p.moved_in_amount, 0) AS moved_in_amount,
               coalesce(p.moved_out_deals, 0)::bigint AS moved_out_deals, coalesce(p.moved_out_amount, 0) AS moved_out_amount,
               coalesce(p.pulled_in_deals, 0)::bigint AS pulled_in_deals, coalesce(p.pulled_in_amount, 0) AS pulled_in_amount,
               coalesce(p.pushed_out_deals, 0)::bigint AS pushed_out_deals, coalesce(p.pushed_out_amount, 0) AS pushed_out_amount
        FROM sales_kpi.reps r
        LEFT JOIN per_rep p ON p.rep_id = r.rep_id
        WHERE p.rep_id IS NOT NULL
           OR ((r.hired_on IS NULL OR r.hired_on <= %4$s) AND (r.left_on IS NULL OR r.left_on > %3$s))
        ORDER BY r.rep_id $q$, opening, closing, from_day, to_day)
$f$;
COMMENT ON FUNCTION sales_kpi.pipeline_flow_query(text, text, text, text) IS
    'The query of the pipeline flow per rep between two sets of deal states (what pipeline_flow() and the pipeline_flow view run)';

CREATE FUNCTION sales_kpi.pipeline_flow(from_day date, to_day date)
RETURNS TABLE (rep_id text, rep_name text, team text,
               opening_deals bigint, opening_amount numeric,
               created_deals bigint, created_amount numeric,
               reopened_deals bigint, reopened_amount numeric,
               increased_deals bigint, increased_amount numeric,
               decreased_deals bigint, decreased_amount numeric,
               won_deals bigint, won_amount numeric,
               lost_deals bigint, lost_amount numeric,
               removed_deals bigint, removed_amount numeric,
               closing_deals bigint, closing_amount numeric,
               moved_in_deals bigint, moved_in_amount numeric,
               moved_out_deals bigint, moved_out_amount numeric,
               pulled_in_deals bigint, pulled_in_amount numeric,
               pushed_out_deals bigint, pushed_out_amount numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF from_day IS NULL OR to_day IS NULL THEN
        RETURN;
    END IF;
    IF NOT isfinite(from_day) OR NOT isfinite(to_day) OR to_day < from_day THEN
        RAISE EXCEPTION 'pipeline_flow needs finite days with from_day <= to_day'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('from_day is %s and to_day is %s.', from_day, to_day),
                  HINT = 'Pass the day before the period as from_day (its end is the opening) and the period''s last day as to_day.';
    END IF;
    RETURN QUERY EXECUTE sales_kpi.pipeline_flow_query('(' || sales_kpi.deal_state_query('$1::date') || ')',
                                                      '(' || sales_kpi.deal_state_query('$2::date') || ')',
                                                      '$1::date', '$2::date')
    USING from_day, to_day;
END
$$;
COMMENT ON FUNCTION sales_kpi.pipeline_flow(date, date) IS
    'Pipeline waterfall per rep from the end of from_day to the end of to_day: opening + created + reopened + increased - decreased - won - lost - removed = closing, exactly; moved_in/moved_out (of created/removed): owner changes; pulled_in/pushed_out: close dates moved into/out of to_day''s fiscal quarter';

-- Dashboard: Pipeline flow, this fiscal quarter to date, by rep and team:
-- the flow from sales_kpi.deal_state_quarter_open to sales_kpi.deal_state
-- (whose stores the twin reads).
DO $do$
BEGIN
    EXECUTE format($v$
CREATE VIEW sales_kpi.pipeline_flow WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
r AS (%s)
%s $v$,
        sales_kpi.pipeline_flow_query('sales_kpi.deal_state_quarter_open', 'sales_kpi.deal_state',
                                      '(SELECT fiscal_now.quarter_start - 1 FROM sales_kpi.fiscal_now)',
                                      '(SELECT fiscal_now.as_of FROM sales_kpi.fiscal_now)'),
        $r$SELECT 'rep'::text AS level, r.rep_id AS entity_id, r.rep_name AS name, r.team,
       r.opening_deals, r.opening_amount, r.created_deals, r.created_amount, r.reopened_deals, r.reopened_amount,
       r.increased_deals, r.increased_amount, r.decreased_deals, r.decreased_amount,
       r.won_deals, r.won_amount, r.lost_deals, r.lost_amount, r.removed_deals, r.removed_amount,
       r.closing_deals, r.closing_amount, r.moved_in_deals, r.moved_in_amount, r.moved_out_deals, r.moved_out_amount,
       r.pulled_in_deals, r.pulled_in_amount, r.pushed_out_deals, r.pushed_out_amount,
       f.quarter_start AS period_start, f.as_of
FROM r CROSS JOIN f
UNION ALL
SELECT 'team', coalesce(r.team, '(none)'), coalesce(r.team, '(none)'), r.team,
       sum(r.opening_deals)::bigint, sum(r.opening_amount), sum(r.created_deals)::bigint, sum(r.created_amount),
       sum(r.reopened_deals)::bigint, sum(r.reopened_amount), sum(r.increased_deals)::bigint, sum(r.increased_amount),
       sum(r.decreased_deals)::bigint, sum(r.decreased_amount), sum(r.won_deals)::bigint, sum(r.won_amount),
       sum(r.lost_deals)::bigint, sum(r.lost_amount), sum(r.removed_deals)::bigint, sum(r.removed_amount),
       sum(r.closing_deals)::bigint, sum(r.closing_amount), sum(r.moved_in_deals)::bigint, sum(r.moved_in_amount),
       sum(r.moved_out_deals)::bigint, sum(r.moved_out_amount), sum(r.pulled_in_deals)::bigint, sum(r.pulled_in_amount),
       sum(r.pushed_out_deals)::bigint, sum(r.pushed_out_amount),
       min(f.quarter_start), min(f.as_of)
FROM r CROSS JOIN f
GROUP BY r.team$r$);
END
$do$;
COMMENT ON VIEW sales_kpi.pipeline_flow IS
    'Pipeline flow dashboard: how each rep''s and team''s open pipeline went from the start of this fiscal quarter to the as-of day (sales_kpi.pipeline_flow(date, date))';
COMMENT ON COLUMN sales_kpi.pipeline_flow.level IS 'rep or team';
COMMENT ON COLUMN sales_kpi.pipeline_flow.entity_id IS 'The rep, or the team ((none) for reps without one)';
COMMENT ON COLUMN sales_kpi.pipeline_flow.name IS 'Rep or team name';
COMMENT ON COLUMN sales_kpi.pipeline_flow.team IS 'Team';
COMMENT ON COLUMN sales_kpi.pipeline_flow.opening_deals IS 'Deals open at the start of the quarter (end of the day before)';
COMMENT ON COLUMN sales_kpi.pipeline_flow.opening_amount IS 'Their amount';
COMMENT ON COLUMN sales_kpi.pipeline_flow.created_deals IS 'Deals added to the pipeline: created since, or moved in from another rep (moved_in)';
COMMENT ON COLUMN sales_kpi.pipeline_flow.created_amount IS 'Their amount when last seen (open now, or when they closed)';
COMMENT ON COLUMN sales_kpi.pipeline_flow.reopened_deals IS 'Deals closed at the start, reopened since';
COMMENT ON COLUMN sales_kpi.pipeline_flow.reopened_amount IS 'Their amount now, or when they closed again';
COMMENT ON COLUMN sales_kpi.pipeline_flow.increased_deals IS 'Deals whose amount went up (open at the start, still the rep''s, or closed since)';
COMMENT ON COLUMN sales_kpi.pipeline_flow.increased_amount IS 'The increases';
COMMENT ON COLUMN sales_kpi.pipeline_flow.decreased_deals IS 'Deals whose amount went down';
COMMENT ON COLUMN sales_kpi.pipeline_flow.decreased_amount IS 'The decreases';
COMMENT ON COLUMN sales_kpi.pipeline_flow.won_deals IS 'Deals won since the start that were in or came into the pipeline';
COMMENT ON COLUMN sales_kpi.pipeline_flow.won_amount IS 'Their amount when won';
COMMENT ON COLUMN sales_kpi.pipeline_flow.lost_deals IS 'Deals lost since the start that were in or came into the pipeline';
COMMENT ON COLUMN sales_kpi.pipeline_flow.lost_amount IS 'Their amount when lost';
COMMENT ON COLUMN sales_kpi.pipeline_flow.removed_deals IS 'Deals open at the start and deleted since, or moved out to another rep (moved_out)';
COMMENT ON COLUMN sales_kpi.pipeline_flow.removed_amount IS 'Their amount at the start';
COMMENT ON COLUMN sales_kpi.pipeline_flow.closing_deals IS 'Deals open at the end of the as-of day';
COMMENT ON COLUMN sales_kpi.pipeline_flow.closing_amount IS 'Their amount: opening + created + reopened + increased - decreased - won - lost - removed';
COMMENT ON COLUMN sales_kpi.pipeline_flow.moved_in_deals IS 'Of created: open deals that came from another rep';
COMMENT ON COLUMN sales_kpi.pipeline_flow.moved_in_amount IS 'Their amount';
COMMENT ON COLUMN sales_kpi.pipeline_flow.moved_out_deals IS 'Of removed: open deals that went to another rep';
COMMENT ON COLUMN sales_kpi.pipeline_flow.moved_out_amount IS 'Their amount at the start';
COMMENT ON COLUMN sales_kpi.pipeline_flow.pulled_in_deals IS 'Deals open at the start whose close date moved into this quarter';
COMMENT ON COLUMN sales_kpi.pipeline_flow.pulled_in_amount IS 'Their amount now';
COMMENT ON COLUMN sales_kpi.pipeline_flow.pushed_out_deals IS 'Deals open at the start whose close date moved out of this quarter';
COMMENT ON COLUMN sales_kpi.pipeline_flow.pushed_out_amount IS 'Their amount now';
COMMENT ON COLUMN sales_kpi.pipeline_flow.period_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.pipeline_flow.as_of IS 'The as-of day';
