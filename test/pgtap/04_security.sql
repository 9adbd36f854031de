-- pgTAP: the per-rep security objects and the grant functions, as a fresh
-- install has them (what they do is in sql/rep_security.sql and
-- test/security/run).
BEGIN;
SELECT plan(59);

SELECT has_role('sales_kpi_all_reps', 'the role sales_kpi_all_reps exists');
SELECT ok(NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'sales_kpi_all_reps'), 'sales_kpi_all_reps cannot log in');
SELECT ok(NOT sales_kpi.rep_security_enabled(), 'rep security is off on a fresh install');
SELECT is_empty('SELECT * FROM sales_kpi.rep_security_state', 'no switch row on a fresh install');

-- The policies and row-level security on every table of rep_security_tables()
-- (switched off: with the "off" policy).
SELECT policies_are('sales_kpi', t.relname::text,
                    CASE WHEN t.rep_column IS NULL THEN ARRAY['sales_kpi_all_reps', 'sales_kpi_rep_security_off']
                         ELSE ARRAY['sales_kpi_rep_access', 'sales_kpi_all_reps', 'sales_kpi_rep_security_off'] END,
                    t.relname || ' has the policies of rep security, switched off')
FROM (SELECT c.relname, r.rep_column FROM sales_kpi.rep_security_tables() r JOIN pg_class c ON c.oid = r.table_name) t;
SELECT policy_roles_are('sales_kpi', t.relname::text, 'sales_kpi_all_reps', ARRAY['sales_kpi_all_reps'],
                        t.relname || ': sales_kpi_all_reps applies to that role only')
FROM (SELECT c.relname FROM sales_kpi.rep_security_tables() r JOIN pg_class c ON c.oid = r.table_name) t;
SELECT is((SELECT count(*) FROM sales_kpi.rep_security_tables()), 13::bigint, 'thirteen tables carry the policy');
SELECT ok(bool_and(c.relrowsecurity), 'row-level security is on for every one of them')
FROM sales_kpi.rep_security_tables() r JOIN pg_class c ON c.oid = r.table_name;
SELECT policies_are('sales_kpi', 'rep_visibility', ARRAY['own_login'], 'rep_visibility: each login reads its own rows');

-- The triggers on reps.
SELECT has_trigger('sales_kpi', 'reps', 'reps_visibility', 'reps keeps the org chart');
SELECT has_trigger('sales_kpi', 'reps', 'reps_manager_acyclic', 'reps refuses manager cycles');
SELECT has_trigger('sales_kpi', 'reps', 'reps_hierarchy_guarded', 'reps guards login and manager_id');
SELECT has_trigger('sales_kpi', 'rep_security_state', 'rep_security_state_changed', 'the switch applies itself to the policies');

-- Signatures.
SELECT function_returns('sales_kpi', f, '{}'::name[], r, f || '() returns ' || r)
FROM (VALUES ('enable_rep_security', 'setof record'), ('disable_rep_security', 'setof record'),
             ('rep_security_enabled', 'boolean'), ('sees_all_reps', 'boolean'),
             ('visible_rep_ids', 'text[]')) AS v(f, r);
SELECT function_returns('sales_kpi', f, ARRAY['regrole'], 'setof text', f || '(regrole) returns setof text')
FROM (VALUES ('grant_dashboard_reader'), ('revoke_dashboard_reader'), ('grant_rep_access'), ('revoke_rep_access')) AS v(f);

-- Only the owner switches and grants; the policies' own functions are everyone's.
SELECT function_privs_are('sales_kpi', f, a, 'public', '{}'::text[], f || ' is not executable by PUBLIC')
FROM (VALUES ('enable_rep_security', '{}'::name[]), ('disable_rep_security', '{}'::name[]),
             ('grant_dashboard_reader', ARRAY['regrole']), ('revoke_dashboard_reader', ARRAY['regrole']),
             ('grant_rep_access', ARRAY['regrole']), ('revoke_rep_access', ARRAY['regrole']),
             ('rep_policies_apply', '{}'::name[])) AS v(f, a);
SELECT function_privs_are('sales_kpi', f, a, 'public', ARRAY['EXECUTE'], f || ' is executable by PUBLIC (the policies call it)')
FROM (VALUES ('sees_all_reps', '{}'::name[]), ('visible_rep_ids', '{}'::name[]), ('rep_security_enabled', '{}'::name[]),
             ('rep_policy_open', ARRAY['regclass'])) AS v(f, a);
SELECT table_privs_are('sales_kpi', 'rep_visibility', 'public', ARRAY['SELECT'],
                       'PUBLIC reads rep_visibility (its policy shows each login its own rows)');
SELECT table_privs_are('sales_kpi', 'rep_security_state', 'public', ARRAY['SELECT'], 'PUBLIC reads the switch');

SELECT * FROM finish();
ROLLBACK;
