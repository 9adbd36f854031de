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
