-- What every connector sync shares: the watermark of each source table, the
-- quarantine of dirty source rows, and the helpers that look at the schema
-- a connector landed (which tables and columns it has, the expressions that
-- read them).  The syncs themselves are one function per source
-- (salesforce.sql, hubspot.sql): the next source (Airbyte, Pipedrive) is a
-- new file.
--
-- The syncs run as the extension's owner (SECURITY DEFINER) on a schema the
-- caller names.  Every identifier they build into SQL is quoted with %I and
-- every value with %L; every function here sets its search_path; none is
-- executable by PUBLIC.

CREATE TABLE sales_kpi.sync_state (
    source         text NOT NULL,
    source_schema  name NOT NULL,
    source_table   text NOT NULL,
    watermark      timestamptz,
    started_at     timestamptz,
    synced_at      timestamptz,
    rows_read      bigint,
    PRIMARY KEY (source, source_schema, source_table)
);
COMMENT ON TABLE sales_kpi.sync_state IS
    'Per source table of a connector schema: the newest _fivetran_synced a sync has read (rows at or before it are not read again), when, and how many rows';
COMMENT ON COLUMN sales_kpi.sync_state.source IS 'salesforce or hubspot';
COMMENT ON COLUMN sales_kpi.sync_state.source_schema IS 'The schema the connector lands in';
COMMENT ON COLUMN sales_kpi.sync_state.source_table IS 'A table of that schema';
COMMENT ON COLUMN sales_kpi.sync_state.watermark IS 'Newest _fivetran_synced read so far; NULL for a table without one (read whole every time)';
COMMENT ON COLUMN sales_kpi.sync_state.started_at IS 'When the last sync that read this table started: a row committed after it may be synced up to sales_kpi.sync_lookback before it';
COMMENT ON COLUMN sales_kpi.sync_state.synced_at IS 'When the last sync that read this table ended';
COMMENT ON COLUMN sales_kpi.sync_state.rows_read IS 'Rows the last sync read from this table';
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.sync_state', '');

CREATE TABLE sales_kpi.quarantine (
    source           text NOT NULL,
    source_schema    name NOT NULL,
    source_table     text NOT NULL,
    source_key       text NOT NULL,
    rule             text NOT NULL,
    row_data         jsonb NOT NULL,
    quarantined_at   timestamptz NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    PRIMARY KEY (source, source_schema, source_table, source_key)
);
COMMENT ON TABLE sales_kpi.quarantine IS
    'Source rows a sync did not load because they break a rule of the model; each is retried by every later sync and released (deleted from here) once the source corrects it';
COMMENT ON COLUMN sales_kpi.quarantine.source IS 'salesforce or hubspot';
COMMENT ON COLUMN sales_kpi.quarantine.source_schema IS 'The connector schema';
COMMENT ON COLUMN sales_kpi.quarantine.source_table IS 'The source table the row is from';
COMMENT ON COLUMN sales_kpi.quarantine.source_key IS 'The row''s id in the source';
COMMENT ON COLUMN sales_kpi.quarantine.rule IS 'The rule of the model the row breaks';
COMMENT ON COLUMN sales_kpi.quarantine.row_data IS 'The source row as JSON, as the sync last read it';
COMMENT ON COLUMN sales_kpi.quarantine.quarantined_at IS 'When a sync first quarantined the row';
COMMENT ON COLUMN sales_kpi.quarantine.last_seen_at IS 'When a sync last found it still breaking the rule';
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.quarantine', '');

-- The source schema must exist; its OID.
CREATE FUNCTION sales_kpi.sync_schema(source_schema name)
RETURNS oid
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp oid;
BEGIN
    SELECT n.oid INTO nsp FROM pg_namespace n WHERE n.nspname = source_schema;
    IF nsp IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', source_schema
            USING ERRCODE = 'invalid_schema_name',
                  HINT = 'Pass the schema the connector lands in, e.g. salesforce or hubspot.';
    END IF;
    RETURN nsp;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_schema(name) IS 'The OID of a connector schema; an error naming it if it does not exist';

-- Whether a table (and, when given, a column of it) exists in the schema.
CREATE FUNCTION sales_kpi.sync_has(source_schema name, tbl text, col text DEFAULT NULL)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = source_schema AND c.relname = tbl AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
          AND (col IS NULL OR EXISTS (SELECT FROM pg_attribute a
                                      WHERE a.attrelid = c.oid AND a.attname = col
                                        AND a.attnum > 0 AND NOT a.attisdropped)))
$$;
COMMENT ON FUNCTION sales_kpi.sync_has(name, text, text) IS
    'Whether the connector schema has the table (and the column, when given)';

-- A required table and its required columns; an error naming what is missing.
CREATE FUNCTION sales_kpi.sync_require(source text, source_schema name, tbl text, cols text[])
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text[];
BEGIN
    IF NOT sales_kpi.sync_has(source_schema, tbl) THEN
        RAISE EXCEPTION 'table %.% is missing', quote_ident(source_schema), quote_ident(tbl)
            USING ERRCODE = 'undefined_table',
                  DETAIL = format('The %s sync reads it: it holds %s.', source,
                                  CASE WHEN tbl IN ('opportunity', 'deal') THEN 'the deals'
                                       WHEN tbl IN ('user', 'owner') THEN 'the reps'
                                       WHEN tbl IN ('deal_pipeline', 'deal_pipeline_stage')
                                           THEN 'the pipelines and their stages'
                                       ELSE 'the history of the deals' END),
                  HINT = format('Select the table %s in the connector, or pass the schema it lands in.', tbl);
    END IF;
    SELECT array_agg(c ORDER BY o) INTO missing
    FROM unnest(cols) WITH ORDINALITY AS x(c, o)
    WHERE NOT sales_kpi.sync_has(source_schema, tbl, c);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'table %.% has no column %', quote_ident(source_schema), quote_ident(tbl),
                        array_to_string(missing, ', ')
            USING ERRCODE = 'undefined_column',
                  DETAIL = format('The %s sync needs these columns of %s: %s.', source, tbl, array_to_string(cols, ', ')),
                  HINT = format('Select the fields %s of %s in the connector.', array_to_string(missing, ', '), tbl);
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_require(text, name, text, text[]) IS
    'Checks that a connector schema has a table and the columns a sync needs; an error (42P01 or 42703) naming what is missing';

-- The condition matching a source table's key column to a text id of the
-- model: the id is cast to the column's type (not the column to text), so
-- the connector's index on the key serves the lookup.
CREATE FUNCTION sales_kpi.sync_match(source_schema name, tbl text, col text, alias text, id_expr text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('%I.%I = %s', alias, col,
                  CASE WHEN t IS NULL OR t IN ('text', 'character varying') THEN id_expr
                       ELSE format('(%s)::%s', id_expr, t) END)
    FROM (SELECT (SELECT format_type(a.atttypid, NULL)
                  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = source_schema AND c.relname = tbl AND a.attname = col
                    AND a.attnum > 0 AND NOT a.attisdropped) AS t) x
$$;
COMMENT ON FUNCTION sales_kpi.sync_match(name, text, text, text, text) IS
    'SQL matching alias.col of a connector table to a text id, the id cast to the column''s type';

-- An expression reading a column of a source table as a type, or NULL of
-- that type when the connector did not land the column.  Connector times
-- are UTC: a timestamp without time zone is read as UTC, and the date of an
-- instant is its UTC date, whatever the session's TimeZone.
CREATE FUNCTION sales_kpi.sync_col(source_schema name, tbl text, col text, typ text, alias text DEFAULT 's')
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    src text;
    ref text := format('%I.%I', alias, col);
BEGIN
    SELECT format_type(a.atttypid, NULL) INTO src
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = source_schema AND c.relname = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF src IS NULL THEN
        RETURN format('NULL::%s', typ);
    END IF;
    IF typ = 'timestamptz' THEN
        RETURN CASE src WHEN 'timestamp without time zone' THEN format('(%s AT TIME ZONE ''UTC'')', ref)
                        WHEN 'date' THEN format('(%s::timestamp AT TIME ZONE ''UTC'')', ref)
                        WHEN 'timestamp with time zone' THEN ref
                        ELSE format('(%s::timestamp AT TIME ZONE ''UTC'')', ref) END;
    ELSIF typ = 'date' THEN
        RETURN CASE src WHEN 'timestamp with time zone' THEN format('(%s AT TIME ZONE ''UTC'')::date', ref)
                        ELSE format('%s::date', ref) END;
    END IF;
    RETURN format('%s::%s', ref, typ);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_col(name, text, text, text, text) IS
    'SQL reading alias.col of a connector table as typ (times as UTC), or a typed NULL when the connector did not land the column';

-- How late after it was synced a connector may commit a row, clock skew
-- included (the setting sales_kpi.sync_lookback; C in module.c, with the
-- settings): see sync_unread().
CREATE FUNCTION sales_kpi.sync_lookback() RETURNS interval
    AS 'MODULE_PATHNAME', 'sync_lookback' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.sync_lookback() IS
    'The setting sales_kpi.sync_lookback as an interval: how late after it was synced a connector may commit a row';

-- The start of a sync: the newest _fivetran_synced of each source table
-- now, which becomes the table's watermark when the sync ends (rows landed
-- while it runs are read again by the next), in pg_temp.sync_marks.  The
-- sync's start (now()) is kept beside it: see sync_unread().
CREATE FUNCTION sales_kpi.sync_begin(source_schema name, tables text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text;
    mark timestamptz;
BEGIN
    DROP TABLE IF EXISTS pg_temp.sync_marks;
    CREATE TEMP TABLE sync_marks (source_table text PRIMARY KEY, mark timestamptz, rows_read bigint) ON COMMIT DROP;
    FOREACH t IN ARRAY tables LOOP
        mark := NULL;
        IF sales_kpi.sync_has(source_schema, t, '_fivetran_synced') THEN
            EXECUTE format('SELECT max(_fivetran_synced)::timestamptz FROM %I.%I', source_schema, t) INTO mark;
        END IF;
        INSERT INTO pg_temp.sync_marks VALUES (t, mark, NULL);
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_begin(name, text[]) IS
    'Notes the newest _fivetran_synced of each source table at the start of a sync (pg_temp.sync_marks)';

-- The condition selecting the rows of a source table a sync has not read:
-- those synced after the table's watermark (the newest _fivetran_synced
-- when the last sync started).  A row the connector committed after the
-- last sync started was missed however old its _fivetran_synced; if it
-- committed at most sales_kpi.sync_lookback after it was synced (the
-- setting bounds the connector's commit delay and clock skew), it was
-- synced after that start less the lookback: so rows are read from the
-- earlier of the watermark and that time.  A table that does not change is
-- not read again; rows read again change nothing.  Every row of a table
-- without _fivetran_synced, or on the first sync.
CREATE FUNCTION sales_kpi.sync_unread(source text, source_schema name, tbl text, alias text DEFAULT 's')
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    since timestamptz;
BEGIN
    IF NOT sales_kpi.sync_has(source_schema, tbl, '_fivetran_synced') THEN
        RETURN 'true';
    END IF;
    SELECT least(w.watermark, w.started_at - sales_kpi.sync_lookback()) INTO since FROM sales_kpi.sync_state w
    WHERE w.source = sync_unread.source AND w.source_schema = sync_unread.source_schema AND w.source_table = tbl;
    IF since IS NULL THEN
        RETURN 'true';
    END IF;
    RETURN format('%I._fivetran_synced > %L::timestamptz', alias, since);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_unread(text, name, text, text) IS
    'SQL condition selecting the rows of a connector table a sync may not have read: synced after its watermark, or after the last sync''s start less sales_kpi.sync_lookback';

-- Note how many rows a sync read from a source table.
CREATE FUNCTION sales_kpi.sync_read(tbl text, n bigint)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE pg_temp.sync_marks SET rows_read = coalesce(rows_read, 0) + n WHERE source_table = tbl
$$;
COMMENT ON FUNCTION sales_kpi.sync_read(text, bigint) IS 'Notes the rows a sync read from a source table';

-- The end of a sync: each source table's watermark moves to its mark.
CREATE FUNCTION sales_kpi.sync_end(source text, source_schema name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO sales_kpi.sync_state AS w (source, source_schema, source_table, watermark, started_at, synced_at,
                                           rows_read)
    SELECT sync_end.source, sync_end.source_schema, m.source_table, m.mark, now(), clock_timestamp(), m.rows_read
    FROM pg_temp.sync_marks m
    WHERE sales_kpi.sync_has(sync_end.source_schema, m.source_table)
    ON CONFLICT ON CONSTRAINT sync_state_pkey DO UPDATE
        SET watermark = greatest(w.watermark, EXCLUDED.watermark), started_at = EXCLUDED.started_at,
            synced_at = EXCLUDED.synced_at,
            rows_read = EXCLUDED.rows_read;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_end(text, name) IS
    'Moves the watermark of each source table a sync read to the mark noted at its start';

-- Fresh statistics for a model table a sync changed much (more than a tenth
-- of its rows, and more than a thousand), so that its next statements are
-- planned for the table as it now is (after a first sync, autovacuum has
-- not yet seen the rows).
CREATE FUNCTION sales_kpi.sync_analyze(rel regclass, changed bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF changed > 1000 AND changed > (SELECT greatest(c.reltuples, 0) / 10 FROM pg_class c WHERE c.oid = rel) THEN
        EXECUTE format('ANALYZE %s', rel);
    END IF;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_analyze(regclass, bigint) IS
    'ANALYZEs a model table after a sync changed more than a tenth of it';

-- Quarantine the dirty rows of a staging table (columns source_key and
-- rule, NULL for a clean row), each with its source row as JSON (read from
-- the source table by its key column, the newest synced version), and
-- release the quarantined rows of the same keys that are now clean.  Returns
-- the rows quarantined.
CREATE FUNCTION sales_kpi.sync_quarantine(source text, source_schema name, tbl text, key_col text, staged regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format($q$
        INSERT INTO sales_kpi.quarantine AS q (source, source_schema, source_table, source_key, rule, row_data,
                                               quarantined_at, last_seen_at)
        SELECT DISTINCT ON (s.source_key) %1$L, %2$L, %3$L, s.source_key, s.rule,
               coalesce(%6$s, jsonb_build_object(%5$L, s.source_key)), now(), now()
        FROM %4$s s %7$s
        WHERE s.rule IS NOT NULL
        ORDER BY s.source_key, %8$s
        ON CONFLICT (source, source_schema, source_table, source_key) DO UPDATE
            SET rule = EXCLUDED.rule, row_data = EXCLUDED.row_data, last_seen_at = EXCLUDED.last_seen_at $q$,
        source, source_schema, tbl, staged, key_col,
        CASE WHEN sales_kpi.sync_has(source_schema, tbl, key_col) THEN 'to_jsonb(r)' ELSE 'NULL::jsonb' END,
        CASE WHEN sales_kpi.sync_has(source_schema, tbl, key_col)
             THEN format('LEFT JOIN %I.%I r ON %s', source_schema, tbl,
                         sales_kpi.sync_match(source_schema, tbl, key_col, 'r', 's.source_key'))
             ELSE '' END,
        CASE WHEN sales_kpi.sync_has(source_schema, tbl, '_fivetran_synced')
             THEN 'r._fivetran_synced DESC NULLS LAST' ELSE 's.rule' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    EXECUTE format($q$
        DELETE FROM sales_kpi.quarantine q
        WHERE q.source = %1$L AND q.source_schema = %2$L AND q.source_table = %3$L
          AND q.source_key IN (SELECT s.source_key FROM %4$s s
                               GROUP BY s.source_key HAVING bool_and(s.rule IS NULL)) $q$,
        source, source_schema, tbl, staged);
    RETURN n;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_quarantine(text, name, text, text, regclass) IS
    'Quarantines the dirty rows of a sync''s staging table and releases the quarantined rows it found clean; returns the rows quarantined';

-- The keys of a source table in quarantine: every sync retries them.
CREATE FUNCTION sales_kpi.sync_quarantined(source text, source_schema name, tbl text)
RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT q.source_key FROM sales_kpi.quarantine q
    WHERE q.source = sync_quarantined.source AND q.source_schema = sync_quarantined.source_schema
      AND q.source_table = tbl
$$;
COMMENT ON FUNCTION sales_kpi.sync_quarantined(text, name, text) IS
    'The keys of a connector table''s quarantined rows (every sync retries them)';

-- Registers (or reschedules) a pg_cron job running a sync.
CREATE FUNCTION sales_kpi.schedule_sync(source_schema name, kind text, schedule text DEFAULT '*/15 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF kind NOT IN ('salesforce', 'hubspot') THEN
        RAISE EXCEPTION 'unknown sync kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass ''salesforce'' or ''hubspot''.';
    END IF;
    PERFORM sales_kpi.sync_schema(source_schema);
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'sales_kpi.schedule_sync() registers a pg_cron job that runs the sync.',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, '
                         'restart the server and run CREATE EXTENSION pg_cron; or call the sync from another scheduler.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
        USING format('sales_kpi_sync_%s_%s', kind, source_schema), schedule,
              format('SELECT * FROM sales_kpi.sync_%s(%L)', kind, source_schema);
    RETURN job;
END
$$;
COMMENT ON FUNCTION sales_kpi.schedule_sync(name, text, text) IS
    'Registers (or reschedules) the pg_cron job sales_kpi_sync_<kind>_<schema> that runs sales_kpi.sync_<kind>(schema); returns the job id';

CREATE FUNCTION sales_kpi.unschedule_sync(source_schema name, kind text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    removed boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'There is no scheduled sync to remove without pg_cron.';
    END IF;
    IF NOT EXISTS (SELECT FROM cron.job WHERE jobname = format('sales_kpi_sync_%s_%s', kind, source_schema)) THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO removed USING format('sales_kpi_sync_%s_%s', kind, source_schema);
    RETURN removed;
END
$$;
COMMENT ON FUNCTION sales_kpi.unschedule_sync(name, text) IS
    'Removes the pg_cron job registered by sales_kpi.schedule_sync(); false when there was none';

-- A connector's forecast category in the model's spelling: closed, commit,
-- best_case, pipeline or omitted (Salesforce's Closed, Commit, BestCase,
-- Pipeline, Omitted, whose API name for Commit is Forecast; HubSpot's
-- CLOSED, COMMIT, BEST_CASE, PIPELINE, OMIT).
CREATE FUNCTION sales_kpi.sync_forecast_category(category text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE @extschema@.stage_normalize(category)
             WHEN 'closed' THEN 'closed' WHEN 'commit' THEN 'commit'
             WHEN 'bestcase' THEN 'best_case' WHEN 'pipeline' THEN 'pipeline'
             WHEN 'forecast' THEN 'commit' WHEN 'omitted' THEN 'omitted' WHEN 'omit' THEN 'omitted' END
$$;
COMMENT ON FUNCTION sales_kpi.sync_forecast_category(text) IS
    'A CRM''s forecast category as closed, commit, best_case, pipeline or omitted (NULL for any other)';

-- The model's rules for a deal, checked on a sync's staging table of deals
-- (or of their versions): rule is set to the first rule a row breaks.
CREATE FUNCTION sales_kpi.sync_check_deals(staged regclass, versions boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format($q$
        UPDATE %1$s o SET rule = CASE
            WHEN o.created_at IS NULL THEN 'the created date is missing'
            WHEN o.stage IS NULL OR o.stage = '' THEN 'the stage is missing'
            WHEN o.rep_id IS NULL THEN 'the owner is missing'
            WHEN o.amount = 'NaN'::numeric OR o.amount IN ('Infinity'::numeric, '-Infinity'::numeric)
                THEN 'the amount is not a finite number'
            WHEN o.amount < 0 THEN 'the amount is negative'
            WHEN o.probability < 0 OR o.probability > 1 THEN 'the probability is outside 0-100 %%'
            WHEN o.currency !~ '^[A-Z]{3}$' THEN 'the currency ' || quote_literal(o.currency) || ' is not an ISO 4217 code'
            WHEN o.is_won AND NOT coalesce(o.is_closed, false) THEN 'won but not closed'
            WHEN o.is_closed AND o.close_date < (o.created_at AT TIME ZONE 'UTC')::date
                THEN 'closed (' || o.close_date || ') before it was created (' || o.created_at || ')'
            WHEN NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = o.rep_id)
                THEN 'unknown owner ' || quote_literal(o.rep_id)
            WHEN o.customer_id IS NOT NULL
                 AND NOT EXISTS (SELECT FROM sales_kpi.customers c WHERE c.customer_id = o.customer_id)
                THEN 'unknown account ' || quote_literal(o.customer_id)
            END
        WHERE o.rule IS NULL AND NOT o.%2$I $q$,
        staged, CASE WHEN versions THEN 'is_deleted' ELSE 'deleted' END);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_check_deals(regclass, boolean) IS
    'Sets the rule column of a sync''s staged deals (or versions) to the first rule of the model each breaks';

-- A sync's notes of the changes it makes to the stage catalog.
CREATE FUNCTION sales_kpi.sync_stage_start()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.sync_stage_result;
    CREATE TEMP TABLE sync_stage_result (change text) ON COMMIT DROP;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_stage_start() IS
    'Starts a sync''s notes of its changes to the stage catalog (pg_temp.sync_stage_result)';

-- The stage catalog from the source's own stage table (Salesforce
-- opportunity_stage, HubSpot deal_pipeline_stage), staged as (source_key,
-- pipeline, name, label, pipeline_order, default_probability, is_closed,
-- is_won, deleted, rule; key_col: the source table's key column): the clean stages are written (the source
-- owns every column but stalled_after_days, which is the user's); a stage
-- that breaks a rule of the catalog is quarantined.  A deleted stage stays:
-- deals may still be in it.  Each change is noted in pg_temp.sync_stage_result
-- (made by sync_stage_start()).  Returns the rows quarantined.
CREATE FUNCTION sales_kpi.sync_stage_catalog(source text, source_schema name, tbl text, key_col text, staged regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format($q$
        UPDATE %1$s s SET rule = CASE
            WHEN s.name IS NULL OR @extschema@.stage_normalize(s.name) = '' THEN 'the stage name is missing'
            WHEN s.pipeline = '' THEN 'the pipeline id is blank'
            WHEN s.default_probability < 0 OR s.default_probability > 1
                THEN 'the probability is outside 0-100 %%'
            WHEN s.is_won AND NOT s.is_closed THEN 'won but not closed' END
        WHERE NOT s.deleted $q$, staged);
    EXECUTE format($q$
        WITH written AS (
        INSERT INTO sales_kpi.stages AS c (pipeline, name, label, pipeline_order, default_probability, is_closed, is_won)
        SELECT DISTINCT ON (coalesce(s.pipeline, ''), @extschema@.stage_normalize(s.name))
               s.pipeline, s.name, CASE WHEN s.label <> s.name THEN s.label END,
               coalesce(s.pipeline_order, 0), s.default_probability, coalesce(s.is_closed, false), coalesce(s.is_won, false)
        FROM %1$s s
        WHERE s.rule IS NULL AND NOT s.deleted
        ORDER BY coalesce(s.pipeline, ''), @extschema@.stage_normalize(s.name), s.source_key
        ON CONFLICT ((coalesce(pipeline, ''::text)), normalized) DO UPDATE
            SET name = EXCLUDED.name, label = EXCLUDED.label, pipeline_order = EXCLUDED.pipeline_order,
                default_probability = EXCLUDED.default_probability, is_closed = EXCLUDED.is_closed,
                is_won = EXCLUDED.is_won
            WHERE (c.name, c.label, c.pipeline_order, c.default_probability, c.is_closed, c.is_won)
                  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.label, EXCLUDED.pipeline_order,
                                    EXCLUDED.default_probability, EXCLUDED.is_closed, EXCLUDED.is_won)
        RETURNING CASE WHEN c.xmax = 0 THEN 'inserted' ELSE 'updated' END AS change)
        INSERT INTO pg_temp.sync_stage_result SELECT change FROM written $q$,
        staged);
    RETURN sales_kpi.sync_quarantine(source, source_schema, tbl, key_col, staged);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_stage_catalog(text, name, text, text, regclass) IS
    'Writes the stages of a source''s stage table to the stage catalog (all but stalled_after_days); quarantines the dirty ones';

-- A stage the catalog does not have yet is added with the outcome most of
-- the staged deals in it carry (ties: open), after the pipeline's last
-- stage.  A stage the catalog has keeps its flags: a sync reads only the
-- deals that changed, whose flags say nothing of the others (a deal whose
-- flags disagree with its stage's is dirty); the source's stage table, or
-- the user, changes them.  Each stage added is noted in
-- pg_temp.sync_stage_result.
CREATE FUNCTION sales_kpi.sync_stage_flags(staged regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format($q$
        WITH votes AS (
            SELECT o.pipeline, @extschema@.stage_normalize(o.stage) AS normalized, min(o.stage) AS stage,
                   count(*) FILTER (WHERE o.is_won) AS won,
                   count(*) FILTER (WHERE o.is_closed AND NOT o.is_won) AS lost,
                   count(*) FILTER (WHERE NOT coalesce(o.is_closed, false)) AS open
            FROM %1$s o
            WHERE o.rule IS NULL AND NOT o.deleted AND o.stage IS NOT NULL AND @extschema@.stage_normalize(o.stage) <> ''
              AND NOT EXISTS (SELECT FROM sales_kpi.stages s
                              WHERE s.pipeline IS NOT DISTINCT FROM o.pipeline
                                AND s.normalized = @extschema@.stage_normalize(o.stage))
            GROUP BY 1, 2
        ), flags AS (
            SELECT v.*, CASE WHEN v.won > v.lost AND v.won > v.open THEN 'won'
                             WHEN v.lost > v.won AND v.lost > v.open THEN 'lost'
                             ELSE 'open' END AS outcome
            FROM votes v
        ), inserted AS (
            INSERT INTO sales_kpi.stages (pipeline, name, pipeline_order, is_closed, is_won)
            SELECT f.pipeline, f.stage,
                   coalesce((SELECT max(s.pipeline_order) FROM sales_kpi.stages s
                             WHERE s.pipeline IS NOT DISTINCT FROM f.pipeline), 0)
                     + row_number() OVER (PARTITION BY f.pipeline
                                          ORDER BY f.outcome <> 'open', f.outcome = 'lost', f.stage),
                   f.outcome <> 'open', f.outcome = 'won'
            FROM flags f
            RETURNING 'inserted'::text AS change)
        INSERT INTO pg_temp.sync_stage_result SELECT change FROM inserted $q$,
        staged);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_stage_flags(regclass) IS
    'Adds the stages a sync''s staged deals are in and the catalog lacks, with the outcome most of them carry';

-- Write the staged deals of a sync to the model.  staged: one row per deal
-- read (deal_id, the mapped columns, is_closed, is_won, closed_time (when
-- the source has a close time, else NULL), deleted, rule);
-- versions: their History Mode versions (since, until, active, is_deleted
-- and the mapped columns), which replace the deals' recorded history; a
-- deal without versions is written to sales_kpi.deals and its triggers
-- record the change at now().  Dirty rows (rule set) are left alone.
-- Leaves pg_temp.sync_deal_result (deal_id, change).
CREATE FUNCTION sales_kpi.sync_write_deals(staged regclass, versions regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp.sync_deal_result;
    CREATE TEMP TABLE sync_deal_result (deal_id text, change text) ON COMMIT DROP;
    EXECUTE format('ANALYZE %s', staged);
    EXECUTE format('ANALYZE %s', versions);

    -- The versions of the clean deals, in the model's terms: each valid until
    -- the next begins (or, the last, open while active, else until its end);
    -- deleted versions are gaps; the first reaches back to the creation; a
    -- closed version closed when its closed streak began.
    DROP TABLE IF EXISTS pg_temp.sync_model_versions;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_model_versions ON COMMIT DROP AS
        WITH v AS (
            SELECT v.*, lead(v.since) OVER w AS next_since, row_number() OVER w AS n
            FROM %1$s v
            JOIN %2$s o ON o.deal_id = v.deal_id AND o.rule IS NULL
            WHERE v.since IS NOT NULL
            WINDOW w AS (PARTITION BY v.deal_id ORDER BY v.since)
        ), kept AS (
            SELECT x.* FROM (
                SELECT v.*,
                       CASE WHEN v.n = 1 THEN least(v.since, v.created_at) ELSE v.since END AS lo,
                       coalesce(v.next_since, CASE WHEN v.active THEN NULL ELSE v.until END) AS hi
                FROM v WHERE NOT v.is_deleted) x
            WHERE x.hi IS NULL OR x.hi > x.lo
        ), starts AS (
            SELECT k.*,
                   k.is_closed AND NOT coalesce(lag(k.is_closed) OVER w AND lag(k.hi) OVER w = k.lo, false)
                     AS closes,
                   -- as deal_history_changed() derives it (computed here, the
                   -- trigger has nothing left to write)
                   lag(k.stage) OVER w IS DISTINCT FROM k.stage OR lag(k.pipeline) OVER w IS DISTINCT FROM k.pipeline
                   OR lag(k.hi) OVER w IS DISTINCT FROM k.lo AS enters
            FROM kept k
            WINDOW w AS (PARTITION BY k.deal_id ORDER BY k.lo)
        )
        SELECT s.deal_id, tstzrange(s.lo, s.hi) AS valid, s.rep_id, s.customer_id,
               CASE WHEN EXISTS (SELECT FROM sales_kpi.products p WHERE p.product_id = o.product_id)
                    THEN o.product_id END AS product_id,
               s.pipeline, s.name,
               s.stage, s.amount, s.probability, s.forecast_category, s.close_date, s.created_at,
               CASE WHEN s.is_closed
                    THEN max(CASE WHEN s.closes THEN s.lo END) OVER (PARTITION BY s.deal_id ORDER BY s.lo) END
                 AS closed_at,
               s.currency, s.lost_reason,
               max(CASE WHEN s.enters THEN s.lo END) OVER (PARTITION BY s.deal_id ORDER BY s.lo) AS stage_entered_at
        FROM starts s JOIN %2$s o ON o.deal_id = s.deal_id $q$, versions, staged);
    ANALYZE pg_temp.sync_model_versions;

    -- Deals with versions: their recorded history becomes the source's
    -- (read deal by deal through the key index, as deal_history_changed()
    -- does and for the same reason),
    -- version by version: a recorded version the source does not have as it
    -- is goes, a source version not recorded as it is comes, the rest stay
    -- (a deal read again unchanged writes nothing; a changed one usually ends
    -- its current version and begins the next: two rows, not its history).
    DROP TABLE IF EXISTS pg_temp.sync_history_diff;
    CREATE TEMP TABLE sync_history_diff ON COMMIT DROP AS
    SELECT coalesce(v.deal_id, h.deal_id) AS deal_id, lower(h.valid) AS recorded_since,
           lower(v.valid) AS source_since
    FROM pg_temp.sync_model_versions v
    FULL JOIN (SELECT h.* FROM (SELECT DISTINCT x.deal_id FROM pg_temp.sync_model_versions x) x
               CROSS JOIN LATERAL (SELECT h.* FROM sales_kpi.deal_history h WHERE h.deal_id = x.deal_id OFFSET 0) h) h
           ON h.deal_id = v.deal_id AND lower(h.valid) = lower(v.valid)
    WHERE v.deal_id IS NULL OR h.deal_id IS NULL
       OR (v.valid, v.rep_id, v.customer_id, v.product_id, v.pipeline, v.name, v.stage, v.amount, v.probability,
           v.forecast_category, v.close_date, v.created_at, v.closed_at, v.currency, v.lost_reason)
          IS DISTINCT FROM
          (h.valid, h.rep_id, h.customer_id, h.product_id, h.pipeline, h.name, h.stage, h.amount, h.probability,
           h.forecast_category, h.close_date, h.created_at, h.closed_at, h.currency, h.lost_reason);
    ANALYZE pg_temp.sync_history_diff;
    EXECUTE $q$
        DELETE FROM sales_kpi.deal_history h
        USING pg_temp.sync_history_diff c
        WHERE c.recorded_since IS NOT NULL AND h.deal_id = c.deal_id AND lower(h.valid) = c.recorded_since $q$;
    EXECUTE $q$
        INSERT INTO sales_kpi.deal_history (deal_id, valid, rep_id, customer_id, product_id, pipeline, name, stage,
                                            amount, probability, forecast_category, close_date, created_at,
                                            closed_at, contract_term, currency, lost_reason, stage_entered_at)
        SELECT v.deal_id, v.valid, v.rep_id, v.customer_id, v.product_id, v.pipeline, v.name, v.stage, v.amount,
               v.probability, v.forecast_category, v.close_date, v.created_at, v.closed_at, d.contract_term,
               v.currency, v.lost_reason, v.stage_entered_at
        FROM pg_temp.sync_model_versions v
        JOIN pg_temp.sync_history_diff c ON c.deal_id = v.deal_id AND c.source_since = lower(v.valid)
        LEFT JOIN sales_kpi.deals d ON d.deal_id = v.deal_id $q$;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.deal_history', n);

    -- The current rows: a deal's last version when it has versions, else its
    -- staged row (closed at its close time, else the start of its close
    -- date, or at its creation when that is later).
    DROP TABLE IF EXISTS pg_temp.sync_current_deals;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_current_deals ON COMMIT DROP AS
        SELECT o.deal_id, o.rep_id, o.customer_id,
               CASE WHEN EXISTS (SELECT FROM sales_kpi.products p WHERE p.product_id = o.product_id) THEN o.product_id END
                 AS product_id,
               o.pipeline, o.name, o.stage, o.amount, o.probability, o.forecast_category, o.close_date, o.created_at,
               coalesce(last.closed_at,
                        CASE WHEN o.is_closed AND last.deal_id IS NULL
                             THEN greatest(coalesce(o.closed_time, o.close_date::timestamp AT TIME ZONE 'UTC'),
                                           o.created_at) END) AS closed_at,
               o.currency, o.lost_reason
        FROM %1$s o
        LEFT JOIN (SELECT DISTINCT ON (v.deal_id) v.deal_id, v.closed_at FROM pg_temp.sync_model_versions v
                   ORDER BY v.deal_id, lower(v.valid) DESC) last ON last.deal_id = o.deal_id
        WHERE o.rule IS NULL AND NOT o.deleted $q$, staged);
    ANALYZE pg_temp.sync_current_deals;

    INSERT INTO pg_temp.sync_deal_result
    SELECT c.deal_id, CASE WHEN d.deal_id IS NULL THEN 'inserted' ELSE 'updated' END
    FROM pg_temp.sync_current_deals c LEFT JOIN sales_kpi.deals d ON d.deal_id = c.deal_id
    WHERE d.deal_id IS NULL
       OR (d.rep_id, d.customer_id, d.product_id, d.pipeline, d.name, d.stage, d.amount, d.probability,
           d.forecast_category, d.close_date, d.created_at, d.closed_at, d.currency, d.lost_reason)
          IS DISTINCT FROM
          (c.rep_id, c.customer_id, c.product_id, c.pipeline, c.name, c.stage, c.amount, c.probability,
           c.forecast_category, c.close_date, c.created_at, c.closed_at, c.currency, c.lost_reason);
    MERGE INTO sales_kpi.deals d
    USING (SELECT c.* FROM pg_temp.sync_current_deals c JOIN pg_temp.sync_deal_result r USING (deal_id)) c
    ON d.deal_id = c.deal_id
    WHEN MATCHED THEN
        UPDATE SET rep_id = c.rep_id, customer_id = c.customer_id, product_id = c.product_id, pipeline = c.pipeline,
                   name = c.name, stage = c.stage, amount = c.amount, probability = c.probability,
                   forecast_category = c.forecast_category, close_date = c.close_date, created_at = c.created_at,
                   closed_at = c.closed_at, currency = c.currency, lost_reason = c.lost_reason
    WHEN NOT MATCHED THEN
        INSERT (deal_id, rep_id, customer_id, product_id, pipeline, name, stage, amount, probability,
                forecast_category, close_date, created_at, closed_at, currency, lost_reason)
        VALUES (c.deal_id, c.rep_id, c.customer_id, c.product_id, c.pipeline, c.name, c.stage, c.amount,
                c.probability, c.forecast_category, c.close_date, c.created_at, c.closed_at, c.currency,
                c.lost_reason);

    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.deals', n);
    -- Deleted deals leave (their history, if any, stays).
    EXECUTE format($q$
        WITH gone AS (
            DELETE FROM sales_kpi.deals d USING %1$s o
            WHERE o.deleted AND o.rule IS NULL AND d.deal_id = o.deal_id
            RETURNING d.deal_id)
        INSERT INTO pg_temp.sync_deal_result SELECT deal_id, 'deleted' FROM gone $q$, staged);
    SELECT count(*) INTO n FROM pg_temp.sync_deal_result;
    RETURN n;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_write_deals(regclass, regclass) IS
    'Writes a sync''s staged deals and their History Mode versions to sales_kpi.deals and sales_kpi.deal_history; leaves pg_temp.sync_deal_result';

-- Write the staged activities of a sync (source_table, source_key,
-- activity_id, rep_id, deal_id, kind, subject, created_at, due_at,
-- completed_at, deleted, rule; key_col: the source tables' key column):
-- check them (an activity of a deal in quarantine waits with it; one whose
-- deal the model does not have otherwise is kept without the link: a task
-- on an account, or on a deal deleted since), quarantine the dirty
-- ones per source table, link them to deals the model has, merge the clean
-- ones and delete the deleted ones.
CREATE FUNCTION sales_kpi.sync_write_activities(source text, source_schema name, key_col text, staged regclass)
RETURNS TABLE (model_table text, inserted bigint, updated bigint, deleted bigint, quarantined bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    n bigint;
    ins bigint;
    del bigint;
    qn bigint := 0;
    t text;
BEGIN
    EXECUTE format($q$
        UPDATE %1$s a SET
            deal_id = CASE WHEN EXISTS (SELECT FROM sales_kpi.deals d WHERE d.deal_id = a.deal_id) THEN a.deal_id END,
            rule = CASE WHEN a.created_at IS NULL THEN 'the created date is missing'
                        -- its deal waits in quarantine: so does it, to keep the link
                        WHEN a.deal_id IN (SELECT sales_kpi.sync_quarantined(%2$L, %3$L, %4$L))
                            THEN 'its deal ' || quote_literal(a.deal_id) || ' is in quarantine'
                        WHEN a.rep_id IS NULL THEN 'the owner is missing'
                        WHEN NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = a.rep_id)
                            THEN 'unknown owner ' || quote_literal(a.rep_id)
                        WHEN a.completed_at < a.created_at THEN 'completed before it was created' END
        WHERE NOT a.deleted $q$, staged, source, source_schema,
        CASE source WHEN 'salesforce' THEN 'opportunity' ELSE 'deal' END);
    FOR t IN EXECUTE format('SELECT DISTINCT source_table FROM %s', staged) LOOP
        DROP TABLE IF EXISTS pg_temp.sync_activity_part;
        EXECUTE format('CREATE TEMP TABLE sync_activity_part ON COMMIT DROP AS
                        SELECT source_key, rule FROM %s WHERE source_table = %L', staged, t);
        qn := qn + sales_kpi.sync_quarantine(source, source_schema, t, key_col, 'pg_temp.sync_activity_part');
    END LOOP;
    EXECUTE format($q$
        SELECT count(*) FROM %1$s a
        WHERE a.rule IS NULL AND NOT a.deleted
          AND NOT EXISTS (SELECT FROM sales_kpi.activities x WHERE x.activity_id = a.activity_id) $q$, staged)
        INTO ins;
    EXECUTE format($q$
        MERGE INTO sales_kpi.activities x
        USING (SELECT * FROM %1$s WHERE rule IS NULL AND NOT deleted) a
        ON x.activity_id = a.activity_id
        WHEN MATCHED AND (x.rep_id, x.deal_id, x.kind, x.subject, x.created_at, x.due_at, x.completed_at)
                         IS DISTINCT FROM (a.rep_id, a.deal_id, a.kind, a.subject, a.created_at, a.due_at, a.completed_at) THEN
            UPDATE SET rep_id = a.rep_id, deal_id = a.deal_id, kind = a.kind, subject = a.subject,
                       created_at = a.created_at, due_at = a.due_at, completed_at = a.completed_at
        WHEN NOT MATCHED THEN
            INSERT (activity_id, rep_id, deal_id, kind, subject, created_at, due_at, completed_at)
            VALUES (a.activity_id, a.rep_id, a.deal_id, a.kind, a.subject, a.created_at, a.due_at, a.completed_at) $q$,
        staged);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.activities', n);
    EXECUTE format('DELETE FROM sales_kpi.activities x USING %s a WHERE a.deleted AND x.activity_id = a.activity_id',
                   staged);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'activities'::text, ins, n - ins, del, qn;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_write_activities(text, name, text, regclass) IS
    'Checks, quarantines and writes a sync''s staged activities; one row of counts';

-- The indexes that make an incremental sync read only what changed: on
-- _fivetran_synced of each table the sync reads, and on the deal key of the
-- tables it reads per deal.  A connector creates its tables' primary keys
-- but no index on _fivetran_synced, so without these each sync scans every
-- source table whole.  Runs as the caller (who must own the tables);
-- creates only what no index already leads with; returns what it created.
CREATE FUNCTION sales_kpi.sync_create_indexes(source_schema name, kind text)
RETURNS TABLE (source_table text, indexed_column text, index_name name)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    wanted text[];
    pair text[];
    idx name;
BEGIN
    PERFORM sales_kpi.sync_schema(source_schema);
    wanted := CASE kind
        WHEN 'salesforce' THEN ARRAY[
            ['user', '_fivetran_synced'], ['user_role', '_fivetran_synced'], ['account', '_fivetran_synced'],
            ['product_2', '_fivetran_synced'], ['opportunity', '_fivetran_synced'], ['opportunity', 'id'],
            ['opportunity_history', '_fivetran_synced'], ['opportunity_history', 'id'],
            ['opportunity_line_item', '_fivetran_synced'], ['opportunity_line_item', 'opportunity_id'],
            ['task', '_fivetran_synced'], ['event', '_fivetran_synced'], ['lead', '_fivetran_synced']]
        WHEN 'hubspot' THEN ARRAY[
            ['owner', '_fivetran_synced'], ['company', '_fivetran_synced'], ['deal', '_fivetran_synced'],
            ['deal', 'deal_id'], ['deal_company', '_fivetran_synced'], ['deal_company', 'deal_id'],
            ['deal_property_history', '_fivetran_synced'], ['deal_property_history', 'deal_id'],
            ['deal_stage', '_fivetran_synced'], ['deal_stage', 'deal_id'], ['merged_deal', '_fivetran_synced'],
            ['engagement', 'id'], ['engagement_deal', '_fivetran_synced'], ['engagement_deal', 'engagement_id'],
            ['engagement_call', '_fivetran_synced'], ['engagement_email', '_fivetran_synced'],
            ['engagement_meeting', '_fivetran_synced'], ['engagement_task', '_fivetran_synced']]
        END;
    IF wanted IS NULL THEN
        RAISE EXCEPTION 'unknown sync kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass ''salesforce'' or ''hubspot''.';
    END IF;
    FOREACH pair SLICE 1 IN ARRAY wanted LOOP
        CONTINUE WHEN NOT sales_kpi.sync_has(source_schema, pair[1], pair[2]);
        -- an index whose first column it is already serves
        CONTINUE WHEN EXISTS (
            SELECT FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
            WHERE n.nspname = source_schema AND c.relname = pair[1] AND a.attname = pair[2] AND i.indpred IS NULL);
        idx := left(pair[1] || '_' || trim(LEADING '_' FROM pair[2]) || '_sales_kpi', 63);
        EXECUTE format('CREATE INDEX %I ON %I.%I (%I)', idx, source_schema, pair[1], pair[2]);
        source_table := pair[1]; indexed_column := pair[2]; index_name := idx;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_create_indexes(name, text) IS
    'Creates the indexes on a connector schema that let an incremental sync read only what changed (run as the tables'' owner); returns those it created';

-- The sync's parts write the model and the sync's own tables: only the
-- extension's owner (and whom it grants) runs them, or a sync.  What stays
-- open: sync_lookback(), sync_forecast_category(), sync_create_indexes()
-- (which runs with the caller's rights on the caller's tables).
REVOKE ALL ON FUNCTION sales_kpi.sync_schema(name), sales_kpi.sync_has(name, text, text),
                       sales_kpi.sync_require(text, name, text, text[]),
                       sales_kpi.sync_match(name, text, text, text, text),
                       sales_kpi.sync_col(name, text, text, text, text), sales_kpi.sync_begin(name, text[]),
                       sales_kpi.sync_unread(text, name, text, text), sales_kpi.sync_read(text, bigint),
                       sales_kpi.sync_end(text, name), sales_kpi.sync_analyze(regclass, bigint),
                       sales_kpi.sync_quarantine(text, name, text, text, regclass),
                       sales_kpi.sync_quarantined(text, name, text),
                       sales_kpi.schedule_sync(name, text, text), sales_kpi.unschedule_sync(name, text),
                       sales_kpi.sync_check_deals(regclass, boolean), sales_kpi.sync_stage_start(),
                       sales_kpi.sync_stage_catalog(text, name, text, text, regclass),
                       sales_kpi.sync_stage_flags(regclass), sales_kpi.sync_write_deals(regclass, regclass),
                       sales_kpi.sync_write_activities(text, name, text, regclass)
    FROM PUBLIC;

-- Monitoring: per connector schema, when it was last synced, how far its
-- newest row is, how many rows the last sync read and how many source rows
-- wait in quarantine.
CREATE VIEW sales_kpi.sync_status WITH (security_invoker = true) AS
SELECT s.source, s.source_schema, max(s.synced_at) AS last_synced_at, max(s.watermark) AS newest_row_synced_at,
       sum(s.rows_read) AS rows_read,
       (SELECT count(*) FROM sales_kpi.quarantine q
        WHERE q.source = s.source AND q.source_schema = s.source_schema) AS quarantined_rows,
       (SELECT min(q.quarantined_at) FROM sales_kpi.quarantine q
        WHERE q.source = s.source AND q.source_schema = s.source_schema) AS oldest_quarantined_at
FROM sales_kpi.sync_state s
GROUP BY s.source, s.source_schema;
COMMENT ON VIEW sales_kpi.sync_status IS
    'Per connector schema: last sync, newest source row read, rows the last sync read, rows waiting in quarantine';
COMMENT ON COLUMN sales_kpi.sync_status.source IS 'salesforce or hubspot';
COMMENT ON COLUMN sales_kpi.sync_status.source_schema IS 'The connector schema';
COMMENT ON COLUMN sales_kpi.sync_status.last_synced_at IS 'When the last sync of the schema ended';
COMMENT ON COLUMN sales_kpi.sync_status.newest_row_synced_at IS 'The newest _fivetran_synced the syncs have read';
COMMENT ON COLUMN sales_kpi.sync_status.rows_read IS 'Rows the last sync read, over all tables';
COMMENT ON COLUMN sales_kpi.sync_status.quarantined_rows IS 'Source rows in quarantine';
COMMENT ON COLUMN sales_kpi.sync_status.oldest_quarantined_at IS 'When the oldest of them was quarantined';
