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
