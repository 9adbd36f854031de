-- The exact history of every deal: sales_kpi.deal_history holds each
-- recorded version of a deal (every column of sales_kpi.deals) with the time
-- range it was valid in; sales_kpi.deal_versions adds, for a deal with no
-- recorded version, the deal as it is now, valid since its created_at.
-- Dashboards computed as of a day read the version valid at the end of that
-- day, for every field (deal_state, in dashboards/), from deal_versions.
--
-- Who writes it:
--   - plain UPDATE, DELETE and TRUNCATE on sales_kpi.deals, through the
--     triggers below: a change closes the current version at the
--     transaction's start (now()) and opens the next, a delete closes it (a
--     deal never recorded first gets its row until now, valid since its
--     created_at); an INSERT of a deal already recorded (deleted before, or
--     whose history was loaded first) records it if it differs.  So hand
--     edits, \copy and any ETL keep history without knowing about it;
--   - loaders of history that already exists (Fivetran History Mode, HubSpot
--     property history, a CSV of versions) insert versions directly, before
--     or after the deals' rows: a deal whose current version equals its row
--     gets no new one.  pg_dump and pg_restore need nothing more.
--
-- stage_entered_at (when the deal entered the stage it is in, in this
-- version) is derived from the versions and kept by a statement trigger,
-- which also checks that the versions of a deal never overlap (a btree key
-- and one set-based check per statement, instead of a GiST exclusion
-- constraint that costs ten times more per row on bulk loads).

CREATE TABLE sales_kpi.deal_history (
    deal_id            text NOT NULL,
    valid              tstzrange NOT NULL,
    rep_id             text NOT NULL,
    customer_id        text,
    product_id         text,
    pipeline           text,
    name               text,
    stage              text NOT NULL,
    amount             numeric,
    probability        numeric,
    forecast_category  text,
    close_date         date,
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    contract_term      daterange,
    currency           text,
    lost_reason        text,
    stage_entered_at   timestamptz,
    CONSTRAINT deal_history_valid_bounded_below CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
    CONSTRAINT deal_history_amount_not_negative CHECK (amount OPERATOR(pg_catalog.>=) 0),
    CONSTRAINT deal_history_probability_between_0_and_1
        CHECK (probability OPERATOR(pg_catalog.>=) 0 AND probability OPERATOR(pg_catalog.<=) 1),
    CONSTRAINT deal_history_closed_not_before_created CHECK (closed_at OPERATOR(pg_catalog.>=) created_at)
);
CREATE UNIQUE INDEX deal_history_key ON sales_kpi.deal_history (deal_id, lower(valid));
CREATE INDEX deal_history_open ON sales_kpi.deal_history (deal_id) WHERE upper_inf(valid);
-- (a rep's versions, read through the rep security policy)
CREATE INDEX deal_history_rep_id ON sales_kpi.deal_history (rep_id);
COMMENT ON TABLE sales_kpi.deal_history IS
    'Every version of every deal (all of its columns) and the time range it was valid in; versions of a deal never overlap';
COMMENT ON COLUMN sales_kpi.deal_history.valid IS 'When this version was the deal: [from, to); to is open for the current version';
COMMENT ON COLUMN sales_kpi.deal_history.stage_entered_at IS
    'When the deal entered the stage of this version (derived by the table''s statement trigger; any value written is replaced)';
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.deal_history', '');

-- Derive stage_entered_at for the deals a statement touched and check that
-- their versions do not overlap (after an INSERT or UPDATE: removing
-- versions cannot make two overlap).  A stage is entered when a version's
-- stage or pipeline differs from the version before, or when the version
-- does not start where the one before ended (the deal was deleted in
-- between).  The touched deals' versions are read deal by deal through the
-- key index (a lateral subquery the planner cannot turn into a scan of the
-- whole history: its estimate of versions per deal is often far too high,
-- and a sync touching 1% of the deals would read all of them).  A statement
-- that touched many rows puts those versions, and the derived values that
-- change, in temporary tables with statistics first.
CREATE FUNCTION sales_kpi.deal_history_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    touched text := CASE TG_OP WHEN 'DELETE' THEN 'old_rows' ELSE 'new_rows' END;
    versions text;
    entered text;
    bulk boolean;
    bad record;
    n bigint;
BEGIN
    -- an UPDATE made by this very derivation, or by the deals triggers
    -- closing a version, changes no stage streak
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
        RETURN NULL;
    END IF;

    versions := format($q$
        (SELECT v.* FROM (SELECT DISTINCT t.deal_id FROM %I t) t
         CROSS JOIN LATERAL (
             SELECT h.deal_id, lower(h.valid) AS since, upper(h.valid) AS until, upper_inf(h.valid) AS open,
                    h.stage, h.pipeline, h.stage_entered_at
             FROM sales_kpi.deal_history h WHERE h.deal_id = t.deal_id OFFSET 0) v) $q$, touched);
    EXECUTE format('SELECT count(*) > 1000 FROM %I', touched) INTO bulk;
    IF bulk THEN
        IF to_regclass('pg_temp.deal_history_touched') IS NOT NULL THEN DROP TABLE pg_temp.deal_history_touched; END IF;
        EXECUTE 'CREATE TEMP TABLE deal_history_touched AS SELECT * FROM ' || versions || ' v';
        ANALYZE pg_temp.deal_history_touched;
        versions := 'pg_temp.deal_history_touched';
    END IF;

    IF TG_OP <> 'DELETE' THEN
        EXECUTE format($q$
            SELECT deal_id, since, prev_until
            FROM (SELECT v.deal_id, v.since, lag(v.until) OVER w AS prev_until,
                         lag(v.open) OVER w OR lag(v.until) OVER w > v.since AS overlapping
                  FROM %s v
                  WINDOW w AS (PARTITION BY v.deal_id ORDER BY v.since)) v
            WHERE overlapping
            LIMIT 1 $q$, versions) INTO bad;
        IF bad.deal_id IS NOT NULL THEN
            RAISE EXCEPTION 'versions of deal % overlap', bad.deal_id
                USING ERRCODE = 'exclusion_violation',
                      DETAIL = format('A version valid from %s begins before the version before it ends (%s).',
                                      bad.since, coalesce(bad.prev_until::text, 'it never ends')),
                      HINT = 'Each version must end at or before the beginning of the next; close the earlier one first.';
        END IF;
    END IF;

    -- the versions whose stage_entered_at changes, and its new value
    entered := format($q$
        SELECT deal_id, since, entered_at
        FROM (SELECT x.*,
                     max(CASE WHEN x.entered THEN x.since END) OVER (PARTITION BY x.deal_id ORDER BY x.since)
                       AS entered_at
              FROM (SELECT v.*,
                           lag(v.stage) OVER w IS DISTINCT FROM v.stage
                           OR lag(v.pipeline) OVER w IS DISTINCT FROM v.pipeline
                           OR lag(v.until) OVER w IS DISTINCT FROM v.since AS entered
                    FROM %s v
                    WINDOW w AS (PARTITION BY v.deal_id ORDER BY v.since)) x) y
        WHERE y.stage_entered_at IS DISTINCT FROM y.entered_at $q$, versions);
    IF bulk THEN
        IF to_regclass('pg_temp.deal_history_entered') IS NOT NULL THEN DROP TABLE pg_temp.deal_history_entered; END IF;
        EXECUTE 'CREATE TEMP TABLE deal_history_entered AS ' || entered;
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n > 0 THEN
            ANALYZE pg_temp.deal_history_entered;
            UPDATE sales_kpi.deal_history h SET stage_entered_at = s.entered_at
            FROM pg_temp.deal_history_entered s
            WHERE h.deal_id = s.deal_id AND lower(h.valid) = s.since;
        END IF;
        DROP TABLE pg_temp.deal_history_entered;
        DROP TABLE pg_temp.deal_history_touched;
    ELSE
        EXECUTE format($q$
            UPDATE sales_kpi.deal_history h SET stage_entered_at = s.entered_at
            FROM (%s) s
            WHERE h.deal_id = s.deal_id AND lower(h.valid) = s.since $q$, entered);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.deal_history_changed() IS
    'Statement trigger on sales_kpi.deal_history: checks that the versions of the deals a statement touched do not overlap, and derives their stage_entered_at';
CREATE TRIGGER deal_history_inserted AFTER INSERT ON sales_kpi.deal_history
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deal_history_changed();
CREATE TRIGGER deal_history_updated AFTER UPDATE ON sales_kpi.deal_history
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deal_history_changed();
CREATE TRIGGER deal_history_deleted AFTER DELETE ON sales_kpi.deal_history
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deal_history_changed();

-- Record the deals a statement wrote (INSERT, UPDATE), in three statements
-- in this order (the parts of one statement run in no set order):
--   1. a deal changed and never recorded: its row before the change, valid
--      from its created_at until now (UPDATE only);
--   2. a current version that began in this transaction is replaced in
--      place (a transaction that changes a deal twice records one version);
--      the others end now;
--   3. the new versions begin now (or where a later version ended).
-- A deal is changed when it has a recorded version and no current version
-- equal to its row, or (UPDATE) when its row differs from the row before.
-- An INSERT of a deal never recorded records nothing: the deal as inserted is
-- its implicit version (sales_kpi.deal_versions).
CREATE FUNCTION sales_kpi.deals_record_history()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    columns constant text := 'rep_id, customer_id, product_id, pipeline, name, stage, amount, probability, '
                             'forecast_category, close_date, created_at, closed_at, contract_term, currency, lost_reason';
    changed text := format($q$
        changed AS (
            SELECT n.*, EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.deal_id = n.deal_id) AS recorded
            FROM new_rows n
            WHERE NOT EXISTS (
                    SELECT FROM sales_kpi.deal_history h
                    WHERE h.deal_id = n.deal_id AND upper_inf(h.valid)
                      AND (%1$s) IS NOT DISTINCT FROM (%2$s))
              AND (EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.deal_id = n.deal_id)
                   OR %3$s))$q$,
        'h.' || replace(columns, ', ', ', h.'), 'n.' || replace(columns, ', ', ', n.'),
        CASE TG_OP WHEN 'UPDATE'
             THEN format('EXISTS (SELECT FROM old_rows o WHERE o.deal_id = n.deal_id AND (%s) IS DISTINCT FROM (%s))',
                         'o.' || replace(columns, ', ', ', o.'), 'n.' || replace(columns, ', ', ', n.'))
             ELSE 'false' END);
    bulk boolean;
BEGIN
    -- A statement that wrote many deals computes the changed ones once, into
    -- a temporary table with statistics, for the three statements below.
    EXECUTE 'SELECT count(*) > 1000 FROM new_rows' INTO bulk;
    IF bulk THEN
        IF to_regclass('pg_temp.deals_changed') IS NOT NULL THEN DROP TABLE pg_temp.deals_changed; END IF;
        EXECUTE 'CREATE TEMP TABLE deals_changed AS WITH ' || changed || ' SELECT * FROM changed';
        ANALYZE pg_temp.deals_changed;
        changed := 'changed AS (SELECT * FROM pg_temp.deals_changed)';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        EXECUTE 'WITH ' || changed || format($q$
            INSERT INTO sales_kpi.deal_history (deal_id, valid, %1$s, stage_entered_at)
            SELECT o.deal_id, tstzrange(o.created_at, now()), %2$s, o.created_at
            FROM old_rows o JOIN changed c ON c.deal_id = o.deal_id
            WHERE NOT c.recorded AND o.created_at < now() $q$,
            columns, 'o.' || replace(columns, ', ', ', o.'));
    END IF;
    EXECUTE 'WITH ' || changed || $q$
        DELETE FROM sales_kpi.deal_history h USING changed c
        WHERE c.recorded AND h.deal_id = c.deal_id AND upper_inf(h.valid) AND lower(h.valid) >= now() $q$;
    EXECUTE 'WITH ' || changed || $q$
        UPDATE sales_kpi.deal_history h SET valid = tstzrange(lower(h.valid), now())
        FROM changed c
        WHERE c.recorded AND h.deal_id = c.deal_id AND upper_inf(h.valid) $q$;
    EXECUTE 'WITH ' || changed || format($q$
        INSERT INTO sales_kpi.deal_history (deal_id, valid, %1$s, stage_entered_at)
        SELECT c.deal_id, tstzrange(v.since, NULL), %2$s, v.since
        FROM changed c
        CROSS JOIN LATERAL (
            SELECT coalesce((SELECT CASE WHEN count(*) > 0 THEN greatest(now(), max(upper(h.valid))) END
                             FROM sales_kpi.deal_history h WHERE h.deal_id = c.deal_id),
                            c.created_at) AS since) v $q$,
        columns, 'c.' || replace(columns, ', ', ', c.'));
    IF bulk THEN
        DROP TABLE pg_temp.deals_changed;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.deals_record_history() IS
    'Statement trigger on sales_kpi.deals (INSERT, UPDATE): records a new version of every deal whose row differs from its current version';

-- A deal deleted (or truncated away) ends now: its current version, or, if
-- it was never recorded, its row until now, valid since its created_at.
CREATE FUNCTION sales_kpi.deals_close_history()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    columns constant text := 'rep_id, customer_id, product_id, pipeline, name, stage, amount, probability, '
                             'forecast_category, close_date, created_at, closed_at, contract_term, currency, lost_reason';
    gone text := CASE TG_OP WHEN 'TRUNCATE' THEN 'sales_kpi.deals' ELSE 'old_rows' END;
BEGIN
    EXECUTE format($q$
        INSERT INTO sales_kpi.deal_history (deal_id, valid, %1$s, stage_entered_at)
        SELECT o.deal_id, tstzrange(o.created_at, now()), %2$s, o.created_at
        FROM %3$s o
        WHERE o.created_at < now()
          AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.deal_id = o.deal_id) $q$,
        columns, 'o.' || replace(columns, ', ', ', o.'), gone);
    EXECUTE format($q$
        DELETE FROM sales_kpi.deal_history h USING %1$s o
        WHERE h.deal_id = o.deal_id AND upper_inf(h.valid) AND lower(h.valid) >= now() $q$, gone);
    EXECUTE format($q$
        UPDATE sales_kpi.deal_history h SET valid = tstzrange(lower(h.valid), now())
        FROM %1$s o WHERE h.deal_id = o.deal_id AND upper_inf(h.valid) $q$, gone);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION sales_kpi.deals_close_history() IS
    'Statement trigger on sales_kpi.deals (DELETE, and BEFORE TRUNCATE): the deals end now; their history stays';

CREATE TRIGGER deals_inserted AFTER INSERT ON sales_kpi.deals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deals_record_history();
CREATE TRIGGER deals_updated AFTER UPDATE ON sales_kpi.deals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deals_record_history();
CREATE TRIGGER deals_deleted AFTER DELETE ON sales_kpi.deals
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deals_close_history();
CREATE TRIGGER deals_truncated BEFORE TRUNCATE ON sales_kpi.deals
    FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.deals_close_history();

-- Every version of every deal: the recorded ones, and for a deal never
-- recorded, the deal as it is now, valid since its created_at.
CREATE VIEW sales_kpi.deal_versions WITH (security_invoker = true) AS
SELECT h.deal_id, h.valid, h.rep_id, h.customer_id, h.product_id, h.pipeline, h.name, h.stage, h.amount,
       h.probability, h.forecast_category, h.close_date, h.created_at, h.closed_at, h.contract_term,
       h.currency, h.lost_reason, h.stage_entered_at, true AS recorded
FROM sales_kpi.deal_history h
UNION ALL
SELECT d.deal_id, tstzrange(d.created_at, NULL), d.rep_id, d.customer_id, d.product_id, d.pipeline, d.name,
       d.stage, d.amount, d.probability, d.forecast_category, d.close_date, d.created_at, d.closed_at,
       d.contract_term, d.currency, d.lost_reason, d.created_at, false
FROM sales_kpi.deals d
WHERE NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.deal_id OPERATOR(pg_catalog.=) d.deal_id);
COMMENT ON VIEW sales_kpi.deal_versions IS
    'Every version of every deal: the recorded ones (sales_kpi.deal_history) and, for a deal never recorded, its row valid since its created_at';
COMMENT ON COLUMN sales_kpi.deal_versions.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.deal_versions.valid IS 'When this version was the deal: [from, to); to is open for the current version';
COMMENT ON COLUMN sales_kpi.deal_versions.rep_id IS 'Owner';
COMMENT ON COLUMN sales_kpi.deal_versions.customer_id IS 'Customer';
COMMENT ON COLUMN sales_kpi.deal_versions.product_id IS 'Product';
COMMENT ON COLUMN sales_kpi.deal_versions.pipeline IS 'Pipeline';
COMMENT ON COLUMN sales_kpi.deal_versions.name IS 'Deal name';
COMMENT ON COLUMN sales_kpi.deal_versions.stage IS 'Stage';
COMMENT ON COLUMN sales_kpi.deal_versions.amount IS 'Amount';
COMMENT ON COLUMN sales_kpi.deal_versions.probability IS 'The deal''s own win probability';
COMMENT ON COLUMN sales_kpi.deal_versions.forecast_category IS 'The deal''s own forecast category';
COMMENT ON COLUMN sales_kpi.deal_versions.close_date IS 'Expected or actual close date';
COMMENT ON COLUMN sales_kpi.deal_versions.created_at IS 'When the deal was created';
COMMENT ON COLUMN sales_kpi.deal_versions.closed_at IS 'When it closed';
COMMENT ON COLUMN sales_kpi.deal_versions.contract_term IS 'Contract term of a won deal';
COMMENT ON COLUMN sales_kpi.deal_versions.currency IS 'Currency of the amount (NULL: corporate)';
COMMENT ON COLUMN sales_kpi.deal_versions.lost_reason IS 'Why it was lost';
COMMENT ON COLUMN sales_kpi.deal_versions.stage_entered_at IS 'When the deal entered the stage of this version';
COMMENT ON COLUMN sales_kpi.deal_versions.recorded IS 'A version in sales_kpi.deal_history (false: the implicit version of a deal never recorded)';

-- Every stage a deal entered and when (backward moves and reopenings
-- included), derived from its versions.
CREATE VIEW sales_kpi.deal_stage_history WITH (security_invoker = true) AS
SELECT v.deal_id, v.pipeline, v.stage, v.stage_entered_at AS entered_at
FROM sales_kpi.deal_versions v
WHERE v.stage_entered_at OPERATOR(pg_catalog.=) lower(v.valid);
COMMENT ON VIEW sales_kpi.deal_stage_history IS
    'Every stage a deal entered and when, backward moves and reopenings included (derived from sales_kpi.deal_versions)';
COMMENT ON COLUMN sales_kpi.deal_stage_history.deal_id IS 'Deal';
COMMENT ON COLUMN sales_kpi.deal_stage_history.pipeline IS 'Pipeline of the deal when it entered the stage';
COMMENT ON COLUMN sales_kpi.deal_stage_history.stage IS 'Stage entered';
COMMENT ON COLUMN sales_kpi.deal_stage_history.entered_at IS 'When it entered the stage';
