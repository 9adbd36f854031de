-- Two-step aggregates.  For each KPI aggregate X below:
--   sales_kpi.X_summary        a type: X's partial state (text: base64 of
--                              the state's portable bytes; binary: the bytes)
--   X_summary(X's arguments)   an aggregate writing the summary of its rows
--   rollup(sales_kpi.X_summary) an aggregate combining summaries into one
--   X(sales_kpi.X_summary)     X of the rows the summary holds
-- so that X(rollup(s)) over summaries of any partition of some rows equals
-- X over the rows.  Everything is built from X's own definition (its
-- transition, combine, serialize, deserialize and final functions), read
-- from the catalog here, so a summary cannot drift from its aggregate.
-- C in src/summary.c.

DO $summaries$
DECLARE
    x record;
    a record;
    t name;
    def record;
BEGIN
    -- (clv's two forms keep two kinds of state: customers with bigint ids
    -- and with text ids; each has its summary type; form: the type of the customer id)
    FOR x IN SELECT * FROM (VALUES
            ('win_rate', 'win_rate_summary', NULL), ('conversion_rate', 'conversion_rate_summary', NULL),
            ('avg_time_in_pipeline', 'avg_time_in_pipeline_summary', NULL),
            ('sales_cycle_length', 'sales_cycle_length_summary', NULL),
            ('avg_ramp_time', 'avg_ramp_time_summary', NULL), ('retention_rate', 'retention_rate_summary', NULL),
            ('churn_rate', 'churn_rate_summary', NULL), ('pipeline_velocity', 'pipeline_velocity_summary', NULL),
            ('acv', 'acv_summary', NULL),
            ('sales_cycle_percentile', 'sales_cycle_percentile_summary', NULL),
            ('deal_size_percentile', 'deal_size_percentile_summary', NULL),
            ('clv', 'clv_summary', 'bigint'),
            ('clv', 'clv_text_summary', 'text')) v(name, summary, form)
    LOOP
        t := x.summary;
        -- X's support functions (every overload of X shares them but the transition)
        SELECT DISTINCT g.aggfinalfn, g.aggcombinefn, g.aggserialfn, g.aggdeserialfn,
               s.prosrc AS serialize_symbol, f.prorettype::regtype AS result_type, f.provolatile
          INTO STRICT def
          FROM pg_aggregate g
          JOIN pg_proc p ON p.oid = g.aggfnoid
          JOIN pg_proc s ON s.oid = g.aggserialfn
          JOIN pg_proc f ON f.oid = g.aggfinalfn
         WHERE p.proname = x.name AND p.pronamespace = '@extschema@'::regnamespace
           AND (x.form IS NULL OR p.proargtypes[0] = x.form::regtype);

        EXECUTE format('CREATE TYPE sales_kpi.%I', t);
        EXECUTE format($q$CREATE FUNCTION sales_kpi.%I(cstring, oid, integer) RETURNS sales_kpi.%I
                          AS 'MODULE_PATHNAME', 'summary_in' LANGUAGE C STABLE STRICT PARALLEL SAFE $q$, t || '_in', t);
        EXECUTE format($q$CREATE FUNCTION sales_kpi.%I(sales_kpi.%I) RETURNS cstring
                          AS 'MODULE_PATHNAME', 'summary_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE $q$, t || '_out', t);
        EXECUTE format($q$CREATE FUNCTION sales_kpi.%I(internal, oid, integer) RETURNS sales_kpi.%I
                          AS 'MODULE_PATHNAME', 'summary_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE $q$, t || '_recv', t);
        EXECUTE format($q$CREATE FUNCTION sales_kpi.%I(sales_kpi.%I) RETURNS bytea
                          AS 'MODULE_PATHNAME', 'summary_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE $q$, t || '_send', t);
        EXECUTE format($q$CREATE TYPE sales_kpi.%1$I (
                              INPUT = sales_kpi.%2$I, OUTPUT = sales_kpi.%3$I,
                              RECEIVE = sales_kpi.%4$I, SEND = sales_kpi.%5$I,
                              INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = extended) $q$,
                       t, t || '_in', t || '_out', t || '_recv', t || '_send');
        EXECUTE format($q$COMMENT ON FUNCTION sales_kpi.%I(cstring, oid, integer) IS %L $q$, t || '_in',
                       format('Text input of sales_kpi.%s: base64 of the state, checked (22P02 if malformed)', t));
        EXECUTE format($q$COMMENT ON FUNCTION sales_kpi.%I(sales_kpi.%I) IS %L $q$, t || '_out', t,
                       format('Text output of sales_kpi.%s: base64 of the state', t));
        EXECUTE format($q$COMMENT ON FUNCTION sales_kpi.%I(internal, oid, integer) IS %L $q$, t || '_recv',
                       format('Binary input of sales_kpi.%s: the state''s bytes, checked (22P03 if malformed)', t));
        EXECUTE format($q$COMMENT ON FUNCTION sales_kpi.%I(sales_kpi.%I) IS %L $q$, t || '_send', t,
                       format('Binary output of sales_kpi.%s: the state''s bytes', t));
        EXECUTE format($q$COMMENT ON TYPE sales_kpi.%I IS %L $q$, t,
                       format('The partial state of %s(): written by %s_summary(), combined by rollup(), read by %s()',
                              x.name, x.name, x.name));

        -- the summary of a state: X's serialize function, returning the type
        EXECUTE format($q$CREATE FUNCTION sales_kpi.%I(internal) RETURNS sales_kpi.%I
                          AS 'MODULE_PATHNAME', %L LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE $q$,
                       t || '_final', t, def.serialize_symbol);
        EXECUTE format($q$COMMENT ON FUNCTION sales_kpi.%I(internal) IS %L $q$, t || '_final',
                       format('Final function of %s_summary() and rollup(sales_kpi.%s): the state as a summary', x.name, t));
        -- a summary added to a state: X's deserialize and combine functions
        EXECUTE format($q$CREATE FUNCTION sales_kpi.%I(internal, sales_kpi.%I) RETURNS internal
                          AS 'MODULE_PATHNAME', 'summary_rollup_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE $q$,
                       t || '_rollup_trans', t);
        EXECUTE format($q$COMMENT ON FUNCTION sales_kpi.%I(internal, sales_kpi.%I) IS %L $q$, t || '_rollup_trans', t,
                       format('Transition of rollup(sales_kpi.%s): adds a summary to the state with %s''s combine function', t, x.name));

        FOR a IN SELECT g.aggtransfn, g.aggtransspace, g.aggmtransfn, g.aggminvtransfn, g.aggmtransspace,
                        pg_get_function_arguments(p.oid) AS args,
                        pg_get_function_identity_arguments(p.oid) AS identity_args
                 FROM pg_aggregate g JOIN pg_proc p ON p.oid = g.aggfnoid
                 WHERE p.proname = x.name AND p.pronamespace = '@extschema@'::regnamespace
                   AND (x.form IS NULL OR p.proargtypes[0] = x.form::regtype)
                 ORDER BY p.oid
        LOOP
            EXECUTE format($q$CREATE AGGREGATE @extschema@.%10$I(%2$s) (
                                  SFUNC = %3$s, STYPE = internal, SSPACE = %4$s,
                                  FINALFUNC = sales_kpi.%5$I,
                                  COMBINEFUNC = %6$s, SERIALFUNC = %7$s, DESERIALFUNC = %8$s,
                                  %9$s PARALLEL = SAFE) $q$,
                           t, a.args, a.aggtransfn, a.aggtransspace,
                           t || '_final', def.aggcombinefn, def.aggserialfn, def.aggdeserialfn,
                           -- the moving-aggregate form, when X has one (clv has none)
                           CASE WHEN a.aggminvtransfn <> 0 THEN
                               format('MSFUNC = %s, MINVFUNC = %s, MSTYPE = internal, MSSPACE = %s, MFINALFUNC = sales_kpi.%I,',
                                      a.aggmtransfn, a.aggminvtransfn, a.aggmtransspace, t || '_final')
                           ELSE '' END, x.name || '_summary');
            EXECUTE format($q$COMMENT ON AGGREGATE @extschema@.%I(%s) IS %L $q$, x.name || '_summary', a.identity_args,
                           format('The summary of %s(%s) over the rows: combine with rollup(), read with %s()',
                                  x.name, a.identity_args, x.name));
        END LOOP;

        EXECUTE format($q$CREATE AGGREGATE @extschema@.rollup(sales_kpi.%1$I) (
                              SFUNC = sales_kpi.%2$I, STYPE = internal,
                              FINALFUNC = sales_kpi.%3$I,
                              COMBINEFUNC = %4$s, SERIALFUNC = %5$s, DESERIALFUNC = %6$s,
                              PARALLEL = SAFE) $q$,
                       t, t || '_rollup_trans', t || '_final', def.aggcombinefn, def.aggserialfn, def.aggdeserialfn);
        EXECUTE format($q$COMMENT ON AGGREGATE @extschema@.rollup(sales_kpi.%I) IS %L $q$, t,
                       format('Combines %s summaries into one (NULLs skipped)', x.name));

        -- the accessor: X's final function over the summary, through a
        -- one-row aggregate (the state lives where X's functions expect it)
        EXECUTE format($q$CREATE AGGREGATE sales_kpi.%1$I(sales_kpi.%2$I) (
                              SFUNC = sales_kpi.%3$I, STYPE = internal, FINALFUNC = %4$s,
                              COMBINEFUNC = %5$s, SERIALFUNC = %6$s, DESERIALFUNC = %7$s,
                              PARALLEL = SAFE) $q$,
                       t || '_value', t, t || '_rollup_trans', def.aggfinalfn,
                       def.aggcombinefn, def.aggserialfn, def.aggdeserialfn);
        EXECUTE format($q$COMMENT ON AGGREGATE sales_kpi.%I(sales_kpi.%I) IS %L $q$, t || '_value', t,
                       format('%s() of the rows a set of summaries holds (used by the accessor %s(summary))', x.name, x.name));
        EXECUTE format($q$CREATE FUNCTION @extschema@.%1$I(summary sales_kpi.%2$I) RETURNS %3$s
                          LANGUAGE sql %4$s STRICT PARALLEL SAFE
                          SET search_path = pg_catalog, pg_temp
                          AS $f$ SELECT sales_kpi.%5$I(summary) $f$ $q$,
                       x.name, t, def.result_type,
                       CASE def.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                       t || '_value');
        EXECUTE format($q$COMMENT ON FUNCTION @extschema@.%I(sales_kpi.%I) IS %L $q$, x.name, t,
                       format('%s() of the rows the summary holds: equal to %s() over them', x.name, x.name));
    END LOOP;
END
$summaries$;

-- A percentile summary keeps the values themselves, so any percentile of
-- them can be read, not only the fraction it was written with.
CREATE FUNCTION @extschema@.sales_cycle_percentile(summary sales_kpi.sales_cycle_percentile_summary, fraction float8)
    RETURNS interval AS 'MODULE_PATHNAME', 'cycle_percentile_of_summary'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sales_cycle_percentile(sales_kpi.sales_cycle_percentile_summary, float8) IS
    'The percentile at fraction of the sales cycles the summary holds (whatever fraction it was written with)';
CREATE FUNCTION @extschema@.deal_size_percentile(summary sales_kpi.deal_size_percentile_summary, fraction float8)
    RETURNS numeric AS 'MODULE_PATHNAME', 'size_percentile_of_summary'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.deal_size_percentile(sales_kpi.deal_size_percentile_summary, float8) IS
    'The percentile at fraction of the amounts the summary holds (whatever fraction it was written with)';
