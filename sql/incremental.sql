--
-- Incremental refresh: after random sequences of inserts, updates and
-- deletes (new deals, stage moves, closes, reopenings, amount and owner
-- edits, deletions, corrections of past versions in the history, deals
-- created on past days), every twin equals its live view exactly (EXCEPT
-- ALL both ways), and each refresh recomputes only what changed.
--
SET client_min_messages = warning;
-- seeded CRM-shaped data up to yesterday, dashboards as of today
SELECT to_char(current_date - 1, 'YYYY-MM-DD') AS as_of \gset
\set reps 8
\set customers 400
\set deals 2000
\set seed 0.17
\set crm hubspot
\o /dev/null
\i demo/generate.sql
\o
SELECT set_config('sales_kpi.as_of', to_char(current_date, 'YYYY-MM-DD'), false) IS NOT NULL AS pinned;

-- The stage totals as the view computes them and as the refresh keeps them
-- (the sum of open times compared only where there is one: the kept sum of
-- no visit is zero, the view's NULL).
CREATE TEMP VIEW totals_live AS
SELECT pipeline, stage, label, pipeline_order, entered, deals_entered, in_stage_now, moved_on, lost_from_stage,
       CASE WHEN open_visits > 0 THEN open_time END AS open_time, open_visits, converted, stalled_deals
FROM sales_kpi.stage_visit_totals;
CREATE TEMP VIEW totals_kept AS
SELECT pipeline, stage, label, pipeline_order, entered, deals_entered, in_stage_now, moved_on, lost_from_stage,
       CASE WHEN open_visits > 0 THEN open_time END AS open_time, open_visits, converted, stalled_deals
FROM sales_kpi.stage_visit_totals_store;

-- Rows of each live view missing from its twin, and rows of the twin the
-- live view does not have (duplicates counted).
CREATE FUNCTION pg_temp.twins_differing()
RETURNS TABLE (view_name text, live_only bigint, twin_only bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    FOREACH v IN ARRAY ARRAY['league_status', 'pipeline', 'team_activity', 'performance', 'stage_analysis',
                             'leaderboard', 'kpi_summary_periods', 'kpi_summary', 'kpi_alerts', 'pipeline_flow',
                             'stage_probabilities', 'forecast', 'customer_cohorts', 'lost_reasons', 'customer_value']
    LOOP
        view_name := v;
        EXECUTE format('SELECT count(*) FROM (SELECT * FROM sales_kpi.%I EXCEPT ALL SELECT * FROM sales_kpi.%I) x',
                       v, v || '_mv') INTO live_only;
        EXECUTE format('SELECT count(*) FROM (SELECT * FROM sales_kpi.%I EXCEPT ALL SELECT * FROM sales_kpi.%I) x',
                       v || '_mv', v) INTO twin_only;
        RETURN NEXT;
    END LOOP;
    -- and kpi_values, whose summary reads only the deals of this fiscal year
    -- and the last, against the same over the twins
    view_name := 'kpi_values';
    SELECT count(*) INTO live_only FROM (SELECT * FROM sales_kpi.kpi_values EXCEPT ALL SELECT * FROM sales_kpi.kpi_values_of_twins) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM sales_kpi.kpi_values_of_twins EXCEPT ALL SELECT * FROM sales_kpi.kpi_values) x;
    RETURN NEXT;
    -- and the stores equal what they keep
    view_name := 'deal_state_store';
    SELECT count(*) INTO live_only FROM (SELECT * FROM sales_kpi.deal_state_computed EXCEPT ALL SELECT * FROM sales_kpi.deal_state_store) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM sales_kpi.deal_state_store EXCEPT ALL SELECT * FROM sales_kpi.deal_state_computed) x;
    RETURN NEXT;
    view_name := 'deal_state_quarter_open_store';
    SELECT count(*) INTO live_only FROM (SELECT * FROM sales_kpi.deal_state_quarter_open_computed
                                         EXCEPT ALL SELECT * FROM sales_kpi.deal_state_quarter_open_store) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM sales_kpi.deal_state_quarter_open_store
                                         EXCEPT ALL SELECT * FROM sales_kpi.deal_state_quarter_open_computed) x;
    RETURN NEXT;
    view_name := 'stage_visit_totals_store';
    SELECT count(*) INTO live_only FROM (SELECT * FROM totals_live EXCEPT ALL SELECT * FROM totals_kept) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM totals_kept EXCEPT ALL SELECT * FROM totals_live) x;
    RETURN NEXT;
    -- (the visits with their deal's sole rep, and the reps of the others)
    view_name := 'stage_visits_store';
    CREATE TEMP TABLE visits_live AS
    SELECT v.*, o.sole_rep FROM sales_kpi.stage_visits_computed v LEFT JOIN sales_kpi.deal_owners o USING (deal_id);
    SELECT count(*) INTO live_only FROM (SELECT * FROM visits_live EXCEPT ALL SELECT * FROM sales_kpi.stage_visits_store) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM sales_kpi.stage_visits_store EXCEPT ALL SELECT * FROM visits_live) x;
    DROP TABLE visits_live;
    RETURN NEXT;
    view_name := 'stage_visit_reps_store';
    SELECT count(*) INTO live_only FROM (SELECT deal_id, unnest(reps) FROM sales_kpi.deal_owners WHERE sole_rep IS NULL
                                         EXCEPT ALL SELECT * FROM sales_kpi.stage_visit_reps_store) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM sales_kpi.stage_visit_reps_store
                                         EXCEPT ALL SELECT deal_id, unnest(reps) FROM sales_kpi.deal_owners WHERE sole_rep IS NULL) x;
    RETURN NEXT;
    -- (and those deals' visits by rep, kept per changed deal, as computed afresh)
    view_name := 'stage_visits_by_rep_store';
    EXECUTE 'CREATE TEMP TABLE by_rep_live AS '
            || sales_kpi.stage_visits_by_rep_query('SELECT o.deal_id FROM sales_kpi.deal_owners o WHERE o.sole_rep IS NULL');
    SELECT count(*) INTO live_only FROM (SELECT * FROM by_rep_live EXCEPT ALL SELECT * FROM sales_kpi.stage_visits_by_rep_store) x;
    SELECT count(*) INTO twin_only FROM (SELECT * FROM sales_kpi.stage_visits_by_rep_store EXCEPT ALL SELECT * FROM by_rep_live) x;
    DROP TABLE by_rep_live;
    RETURN NEXT;
END
$$;

-- deal_state, deal_state_quarter_open and stage_visits (the stores where current, the
-- deals written since computed) against deal_state_computed and
-- deal_state_quarter_open_computed (every deal from its versions), and
-- stage_visits_of() over some deals -- a third of them (of those recorded
-- and of those with no recorded version, as after the history's TRUNCATE
-- below), every deal written since and one that does not exist -- against
-- their computed visits:
-- whether the store stood in, the deals written since the refresh, whether
-- those deals have visits, rows differing.
CREATE FUNCTION pg_temp.live_state()
RETURNS TABLE (store_current boolean, deals_written boolean, subset_visits boolean, rows_differing bigint)
LANGUAGE sql AS $$
    -- (how many deals a round writes depends on the tables' physical order)
    WITH subset AS (
        SELECT array_agg(x.deal_id) AS deals
        FROM (SELECT h.deal_id FROM sales_kpi.deal_history h WHERE abs(hashtext(h.deal_id)) % 3 = 0
              UNION SELECT d.deal_id FROM sales_kpi.deals d WHERE abs(hashtext(d.deal_id)) % 3 = 0
              UNION SELECT c.deal_id FROM sales_kpi.dashboard_changes c WHERE c.deal_id IS NOT NULL
              UNION SELECT 'no such deal') x
    ),
    subset_computed AS MATERIALIZED (
        SELECT c.* FROM subset, sales_kpi.stage_visits_computed c WHERE c.deal_id = ANY (subset.deals)
    ),
    subset_read AS MATERIALIZED (SELECT v.* FROM subset, sales_kpi.stage_visits_of(subset.deals) v)
    SELECT sales_kpi.deal_state_store_current(),
           EXISTS (SELECT FROM sales_kpi.dashboard_changes WHERE deal_id IS NOT NULL),
           EXISTS (SELECT FROM subset_read),
           (SELECT count(*) FROM (SELECT * FROM sales_kpi.deal_state EXCEPT ALL SELECT * FROM sales_kpi.deal_state_computed) x)
           + (SELECT count(*) FROM (SELECT * FROM sales_kpi.deal_state_computed EXCEPT ALL SELECT * FROM sales_kpi.deal_state) x)
           -- and the deals when the quarter began, the same way
           + (SELECT count(*) FROM (SELECT * FROM sales_kpi.deal_state_quarter_open
                                    EXCEPT ALL SELECT * FROM sales_kpi.deal_state_quarter_open_computed) x)
           + (SELECT count(*) FROM (SELECT * FROM sales_kpi.deal_state_quarter_open_computed
                                    EXCEPT ALL SELECT * FROM sales_kpi.deal_state_quarter_open) x)
           -- and the stage visits
           + (SELECT count(*) FROM (SELECT * FROM sales_kpi.stage_visits EXCEPT ALL SELECT * FROM sales_kpi.stage_visits_computed) x)
           + (SELECT count(*) FROM (SELECT * FROM sales_kpi.stage_visits_computed EXCEPT ALL SELECT * FROM sales_kpi.stage_visits) x)
           -- and the visits of the subset, and of no deal
           + (SELECT count(*) FROM (SELECT * FROM subset_read EXCEPT ALL SELECT * FROM subset_computed) x)
           + (SELECT count(*) FROM (SELECT * FROM subset_computed EXCEPT ALL SELECT * FROM subset_read) x)
           + (SELECT count(*) FROM sales_kpi.stage_visits_of('{}'))
$$;
-- kpi_summary_periods' customer figures and customer_cohorts' cells, as
-- the refresh kept them where it did, against their computation (a refresh
-- under way computes them: its temporary table makes it look like one):
-- whether they were kept, rows differing.
CREATE FUNCTION pg_temp.periods_kept()
RETURNS TABLE (kept boolean, rows_differing bigint, cohorts_kept boolean, cohort_rows_differing bigint)
LANGUAGE plpgsql AS $$
BEGIN
    kept := EXISTS (SELECT FROM sales_kpi.kpi_summary_company_kept());
    cohorts_kept := EXISTS (SELECT FROM sales_kpi.customer_cohorts_company_kept());
    CREATE TEMP TABLE periods_live AS SELECT * FROM sales_kpi.kpi_summary_periods;
    CREATE TEMP TABLE cohorts_live AS SELECT * FROM sales_kpi.customer_cohorts;
    CREATE TEMP TABLE dashboard_taken (source text, deal_id text);
    SELECT count(*) INTO rows_differing
    FROM ((SELECT * FROM periods_live EXCEPT ALL SELECT * FROM sales_kpi.kpi_summary_periods)
          UNION ALL
          (SELECT * FROM sales_kpi.kpi_summary_periods EXCEPT ALL SELECT * FROM periods_live)) x;
    SELECT count(*) INTO cohort_rows_differing
    FROM ((SELECT * FROM cohorts_live EXCEPT ALL SELECT * FROM sales_kpi.customer_cohorts)
          UNION ALL
          (SELECT * FROM sales_kpi.customer_cohorts EXCEPT ALL SELECT * FROM cohorts_live)) x;
    DROP TABLE periods_live, cohorts_live, dashboard_taken;
    RETURN NEXT;
END
$$;
-- before any refresh: computed
SELECT * FROM pg_temp.live_state();
SELECT * FROM pg_temp.periods_kept();

-- The first refresh computes everything.
SELECT view_name, mode, error FROM sales_kpi.refresh_dashboards();
SELECT count(*) AS views_compared, sum(live_only + twin_only) AS rows_differing FROM pg_temp.twins_differing();
-- and the twins are not empty
-- (and the data reaches back before the previous fiscal year, which the
-- live kpi_values leaves out of the summary)
SELECT count(*) FILTER (WHERE greatest(fiscal_period_start(d.closed_at, 'year'), fiscal_period_start(d.created_at, 'year'))
                              < fiscal_period_start(f.year_start - 1, 'year')) > 100 AS older_deals
FROM sales_kpi.deal_state d, sales_kpi.fiscal_now f;
SELECT count(*) FILTER (WHERE rows > 0) AS twins_with_rows FROM sales_kpi.dashboard_status;

-- Nothing changed: nothing is recomputed.
SELECT view_name, mode, error FROM sales_kpi.refresh_dashboards();

-- One round of random writes, then a refresh; repeated with other seeds.
CREATE FUNCTION pg_temp.random_writes(seed float8) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    won text := (SELECT name FROM sales_kpi.stages WHERE pipeline = 'default' AND is_won LIMIT 1);
    lost text := (SELECT name FROM sales_kpi.stages WHERE pipeline = 'default' AND is_closed AND NOT is_won LIMIT 1);
    open_stage text := (SELECT name FROM sales_kpi.stages WHERE pipeline = 'default' AND NOT is_closed
                        ORDER BY pipeline_order DESC LIMIT 1);
BEGIN
    PERFORM setseed(seed);
    -- new deals, some created on past days, some already closed
    INSERT INTO sales_kpi.deals (deal_id, rep_id, customer_id, pipeline, stage, amount, created_at, closed_at)
    SELECT 'new-' || seed || '-' || i, r.rep_id, c.customer_id, 'default',
           CASE WHEN i % 3 = 0 THEN won ELSE open_stage END, round((random() * 50000)::numeric, 2),
           now() - (random() * 400) * interval '1 day',
           CASE WHEN i % 3 = 0 THEN now() - interval '1 hour' END
    FROM generate_series(1, 12) i
    CROSS JOIN LATERAL (SELECT rep_id FROM sales_kpi.reps ORDER BY random() + i LIMIT 1) r
    CROSS JOIN LATERAL (SELECT customer_id FROM sales_kpi.customers ORDER BY random() + i LIMIT 1) c;
    -- stage moves, closes (won and lost), amount and owner edits
    UPDATE sales_kpi.deals d SET stage = won, closed_at = greatest(d.created_at, now() - interval '2 days')
    WHERE d.deal_id IN (SELECT deal_id FROM sales_kpi.deals WHERE closed_at IS NULL AND pipeline = 'default'
                        ORDER BY random() LIMIT 10);
    UPDATE sales_kpi.deals d SET stage = lost, closed_at = greatest(d.created_at, now() - interval '1 day')
    WHERE d.deal_id IN (SELECT deal_id FROM sales_kpi.deals WHERE closed_at IS NULL AND pipeline = 'default'
                        ORDER BY random() LIMIT 10);
    UPDATE sales_kpi.deals SET amount = round(amount * 1.1, 2)
    WHERE deal_id IN (SELECT deal_id FROM sales_kpi.deals ORDER BY random() LIMIT 20);
    UPDATE sales_kpi.deals SET rep_id = (SELECT rep_id FROM sales_kpi.reps ORDER BY rep_id LIMIT 1)
    WHERE deal_id IN (SELECT deal_id FROM sales_kpi.deals ORDER BY random() LIMIT 5);
    -- reopen a won deal
    UPDATE sales_kpi.deals SET stage = open_stage, closed_at = NULL
    WHERE deal_id IN (SELECT deal_id FROM sales_kpi.deals WHERE stage = won ORDER BY random() LIMIT 3);
    -- deletions
    DELETE FROM sales_kpi.deals WHERE deal_id IN (SELECT deal_id FROM sales_kpi.deals ORDER BY random() LIMIT 5);
    -- corrections of past versions: amounts, and the stage a deal was in
    UPDATE sales_kpi.deal_history SET amount = round(coalesce(amount, 0) + 100, 2)
    WHERE (deal_id, lower(valid)) IN (SELECT deal_id, lower(valid) FROM sales_kpi.deal_history
                                      WHERE NOT upper_inf(valid) ORDER BY random() LIMIT 15);
    UPDATE sales_kpi.deal_history SET stage = open_stage
    WHERE (deal_id, lower(valid)) IN (SELECT deal_id, lower(valid) FROM sales_kpi.deal_history
                                      WHERE NOT upper_inf(valid) AND pipeline = 'default' AND closed_at IS NULL
                                      ORDER BY random() LIMIT 5);
END
$$;

SELECT * FROM pg_temp.live_state();
SELECT * FROM pg_temp.periods_kept();
SELECT pg_temp.random_writes(0.1);
-- the store, and the deals written since from their versions
SELECT * FROM pg_temp.live_state();
SELECT view_name, mode, error FROM sales_kpi.refresh_dashboards()
WHERE view_name NOT IN ('sales_kpi.team_activity_mv', 'sales_kpi.kpi_summary_periods_mv');
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
SELECT pg_temp.random_writes(0.2);
SELECT pg_temp.random_writes(0.3);
SELECT * FROM pg_temp.live_state();
SELECT count(*) FILTER (WHERE mode = 'full') AS full, count(*) FILTER (WHERE error IS NOT NULL) AS failed
FROM sales_kpi.refresh_dashboards();
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
DO $$ BEGIN FOR i IN 4..9 LOOP PERFORM pg_temp.random_writes(i / 10.0); END LOOP; END $$;
SELECT * FROM pg_temp.live_state();
SELECT count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;

-- Only activities written: the twins that read them, and the alerts.
UPDATE sales_kpi.activities SET completed_at = greatest(created_at, now() - interval '1 hour')
WHERE activity_id IN (SELECT activity_id FROM sales_kpi.activities WHERE completed_at IS NULL AND kind = 'task'
                      ORDER BY activity_id LIMIT 10);
SELECT view_name, mode FROM sales_kpi.refresh_dashboards() WHERE mode <> 'unchanged';
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;

-- What the dashboards do not read of activities counts for nothing: a new
-- subject, or the deal_id a deleted deal's activities lose (the deal
-- itself counts).
UPDATE sales_kpi.activities SET subject = coalesce(subject, '') || ' (edited)'
WHERE activity_id IN (SELECT activity_id FROM sales_kpi.activities ORDER BY activity_id LIMIT 10);
SELECT count(*) AS recomputed FROM sales_kpi.refresh_dashboards() WHERE mode <> 'unchanged';
DELETE FROM sales_kpi.deals
WHERE deal_id = (SELECT min(deal_id) FROM sales_kpi.activities WHERE deal_id IS NOT NULL);
SELECT view_name, mode FROM sales_kpi.refresh_dashboards()
WHERE view_name IN ('sales_kpi.deal_state_store', 'sales_kpi.team_activity_mv', 'sales_kpi.pipeline_mv');
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;

-- (the deals of several reps, kept by rep, are there to compare)
SELECT count(DISTINCT deal_id) > 10 AS deals_kept_by_rep, count(DISTINCT (deal_id, rep_id)) > 20 AS deal_reps
FROM sales_kpi.stage_visits_by_rep_store;

-- A customer's segment: the twins that read customers.
UPDATE sales_kpi.customers SET segment = 'Enterprise'
WHERE customer_id IN (SELECT customer_id FROM sales_kpi.customers WHERE segment IS DISTINCT FROM 'Enterprise'
                      ORDER BY customer_id LIMIT 20);
-- (written since the refresh: the customer figures are computed)
SELECT * FROM pg_temp.periods_kept();
-- and a customer who churns, which moves the cohorts' retained
WITH churned AS (
    UPDATE sales_kpi.customers SET churned_on = sales_kpi.as_of() - 40
    WHERE customer_id = (SELECT min(customer_id) FROM sales_kpi.customers
                         WHERE churned_on IS NULL AND acquired_on < sales_kpi.as_of() - 400)
    RETURNING 1)
SELECT count(*) AS churned FROM churned;
SELECT view_name, mode FROM sales_kpi.refresh_dashboards() WHERE mode <> 'unchanged';
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
SELECT * FROM pg_temp.periods_kept();

-- Two refreshes in one transaction: the second finds nothing to do.
BEGIN;
UPDATE sales_kpi.deals SET amount = amount + 1 WHERE deal_id = (SELECT max(deal_id) FROM sales_kpi.deals);
SELECT count(*) FILTER (WHERE mode <> 'unchanged') > 0 AS first_recomputed FROM sales_kpi.refresh_dashboards();
SELECT count(*) FILTER (WHERE mode <> 'unchanged') AS second_recomputed FROM sales_kpi.refresh_dashboards();
COMMIT;
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;

-- A write rolled back leaves nothing to do.
BEGIN;
UPDATE sales_kpi.deals SET amount = amount + 1;
ROLLBACK;
SELECT count(*) AS recomputed FROM sales_kpi.refresh_dashboards() WHERE mode <> 'unchanged';

-- A twin whose refresh failed is recomputed by the next refresh, and so are
-- the twins that read it.  (Without its unique index a twin cannot be
-- refreshed concurrently.)
DROP INDEX sales_kpi.pipeline_mv_key;
UPDATE sales_kpi.deals SET amount = amount + 5
WHERE deal_id = (SELECT min(deal_id) FROM sales_kpi.deals WHERE closed_at IS NULL AND amount IS NOT NULL);
SELECT view_name, mode, error IS NOT NULL AS failed FROM sales_kpi.refresh_dashboards()
WHERE view_name IN ('sales_kpi.pipeline_mv', 'sales_kpi.kpi_alerts_mv');
CREATE UNIQUE INDEX pipeline_mv_key ON sales_kpi.pipeline_mv (rep_id, pipeline);
SELECT view_name, mode, error FROM sales_kpi.refresh_dashboards() WHERE mode <> 'unchanged';
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;

-- What requires everything again: the stage catalog, the fiscal year, the
-- as-of day, the time zone, a TRUNCATE of the history; and full => true.
UPDATE sales_kpi.stages SET stalled_after_days = coalesce(stalled_after_days, 30) + 1
WHERE pipeline = 'default' AND NOT is_closed;
SELECT * FROM pg_temp.live_state();
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards() GROUP BY mode;
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
SET sales_kpi.fiscal_year_start_month = 4;
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards() GROUP BY mode;
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
SELECT set_config('sales_kpi.as_of', to_char(current_date - 40, 'YYYY-MM-DD'), false) IS NOT NULL AS moved;
SELECT * FROM pg_temp.live_state();
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards() GROUP BY mode;
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
SET TimeZone = 'Asia/Kolkata';
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards() GROUP BY mode;
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards(full => true) GROUP BY mode;
-- edits to a past as-of day's data, seen from that day
SELECT pg_temp.random_writes(0.95);
UPDATE sales_kpi.deal_history SET amount = round(coalesce(amount, 0) + 7, 2)
WHERE (deal_id, lower(valid)) IN (SELECT deal_id, lower(valid) FROM sales_kpi.deal_history
                                  WHERE valid @> (current_date - 40)::timestamptz ORDER BY deal_id LIMIT 25);
SELECT * FROM pg_temp.live_state();
SELECT count(*) FILTER (WHERE mode = 'full') AS full, count(*) FILTER (WHERE error IS NOT NULL) AS failed,
       bool_and(mode = 'incremental') FILTER (WHERE view_name = 'sales_kpi.deal_state_store') AS stores_incremental
FROM sales_kpi.refresh_dashboards();
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
TRUNCATE sales_kpi.deal_history;
SELECT * FROM pg_temp.live_state();
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards() GROUP BY mode;
SELECT view_name, live_only, twin_only FROM pg_temp.twins_differing() WHERE live_only + twin_only > 0;
RESET TimeZone;
RESET sales_kpi.fiscal_year_start_month;
SELECT mode, count(*) FROM sales_kpi.refresh_dashboards() GROUP BY mode;

-- What the status shows after an incremental refresh.
UPDATE sales_kpi.deals SET amount = amount + 1 WHERE deal_id = (SELECT min(deal_id) FROM sales_kpi.deals);
SELECT view_name, mode FROM sales_kpi.refresh_dashboards() ORDER BY view_name;
SELECT view_name, last_mode, last_error FROM sales_kpi.dashboard_status ORDER BY view_name;
SELECT count(*) AS changes_left FROM sales_kpi.dashboard_changes;
