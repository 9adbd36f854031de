--
-- The extension's own per-rep security: enable_rep_security(), the org chart
-- in reps.manager_id, sales_kpi_all_reps, and the grant functions; and roles
-- that try to get around it.  (test/security/run checks every dashboard of
-- several reps and managers against the same dashboard computed over a copy
-- of the model holding only their rows.)
--
-- (from an empty model: the tests before leave theirs)
TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages;
\i sql/fixtures/dashboard_data.sql
SET client_min_messages = warning;
CREATE ROLE regress_ann LOGIN;      -- rep 1, Bob's manager
CREATE ROLE regress_bob LOGIN;      -- rep 2
CREATE ROLE regress_cid LOGIN;      -- rep 3
CREATE ROLE regress_all LOGIN;      -- sees every rep
CREATE ROLE regress_nobody LOGIN;   -- no rep's login
CREATE ROLE regress_reader LOGIN;   -- company-wide dashboards
RESET client_min_messages;
GRANT sales_kpi_all_reps TO regress_all;

-- The org chart unrolled: Ann sees herself and Bob, Bob and Cid themselves.
SELECT login, rep_id FROM sales_kpi.rep_visibility ORDER BY 1, 2;

-- Policies on every table holding a rep's rows.
SELECT * FROM sales_kpi.enable_rep_security() ORDER BY table_name::text;
SELECT sales_kpi.rep_security_enabled();
-- (grants to a role that is no rep's login: a notice)
SELECT count(*) AS grants FROM sales_kpi.grant_rep_access('regress_nobody');
SELECT count(*) AS grants
FROM unnest('{regress_ann,regress_bob,regress_cid,regress_all}'::regrole[]) r, sales_kpi.grant_rep_access(r);
-- what a rep's role reads: no twin, no sync state, no store but deal_state's
-- and the change log's, which the policies restrict like the model
-- (sales_kpi.deal_state reads them)
SELECT r FROM sales_kpi.rep_readable_relations() r
WHERE r::text ~ '(_mv|_store|dashboard_changes|dashboard_refreshes|quarantine|sync_state|_of_twins)$';
SELECT count(*) FILTER (WHERE c.relkind = 'v') AS views, count(*) FILTER (WHERE c.relkind = 'r') AS tables
FROM sales_kpi.rep_readable_relations() r JOIN pg_class c ON c.oid = r;
SELECT count(*) AS refreshed, count(*) FILTER (WHERE error IS NOT NULL) AS failed FROM sales_kpi.refresh_dashboards();

-- Each role sees its rows: Ann hers and Bob's, Bob his, Cid his, regress_all
-- everything, regress_nobody nothing.
CREATE FUNCTION pg_temp.seen()
RETURNS TABLE (deals text, reps text, pipeline_reps text, pipeline_value numeric, activities bigint)
LANGUAGE sql AS $$
    SELECT (SELECT string_agg(deal_id, ',' ORDER BY deal_id) FROM sales_kpi.deals),
           (SELECT string_agg(rep_id, ',' ORDER BY rep_id) FROM sales_kpi.reps),
           (SELECT string_agg(rep_id, ',' ORDER BY rep_id) FROM sales_kpi.pipeline WHERE rep_id IS NOT NULL),
           (SELECT sum(pipeline_value) FROM sales_kpi.pipeline WHERE rep_id IS NOT NULL),
           (SELECT count(*) FROM sales_kpi.activities)
$$;
SET ROLE regress_ann;
SELECT 'ann' AS role, * FROM pg_temp.seen();
RESET ROLE;
SET ROLE regress_bob;
SELECT 'bob' AS role, * FROM pg_temp.seen();
RESET ROLE;
SET ROLE regress_cid;
SELECT 'cid' AS role, * FROM pg_temp.seen();
RESET ROLE;
SET ROLE regress_all;
SELECT 'all' AS role, * FROM pg_temp.seen();
RESET ROLE;
SET ROLE regress_nobody;
SELECT 'nobody' AS role, * FROM pg_temp.seen();
RESET ROLE;
-- The share of the reps each role sees, which scales the planner's row
-- estimates of the live views' per-deal scans (1: no rep policy restricts
-- the role).
ANALYZE sales_kpi.reps;
CREATE FUNCTION pg_temp.share() RETURNS numeric LANGUAGE sql AS $$ SELECT round(sales_kpi.visible_rep_share()::numeric, 3) $$;
SELECT (SELECT count(*) FROM sales_kpi.reps) AS reps, pg_temp.share() AS owner;
SET ROLE regress_ann;
SELECT pg_temp.share() AS ann;
SET ROLE regress_bob;
SELECT pg_temp.share() AS bob;
SET ROLE regress_all;
SELECT pg_temp.share() AS "all";
SET ROLE regress_nobody;
SELECT pg_temp.share() AS nobody;
RESET ROLE;
-- Ann, as a manager: the league's won revenue this year is hers and Bob's
-- (deals 1 and 4: 1000 + 3000), against their quotas.
SET ROLE regress_ann;
SELECT section, amount, target FROM sales_kpi.league_status WHERE section = 'year_to_date';
SELECT rep_id, tasks_this_quarter, tasks_overdue_any_age FROM sales_kpi.team_activity ORDER BY rep_id;
-- the org chart: her own rows
SELECT login, rep_id FROM sales_kpi.rep_visibility ORDER BY 1, 2;
RESET ROLE;

-- Bob tries to get around it.  (Deals of his and of others written since
-- the refresh: the change log records them.)
UPDATE sales_kpi.deals SET amount = amount WHERE deal_id IN ('1', '2', '3', '4', '5', '6', '7');
SELECT rep_id, count(*) AS deals_written FROM sales_kpi.dashboard_changes GROUP BY 1 ORDER BY 1;
SET ROLE regress_bob;
-- the twins and the other stores hold every rep's rows: not granted
SELECT count(*) FROM sales_kpi.pipeline_mv;
SELECT count(*) FROM sales_kpi.stage_visit_totals_store;
SELECT count(*) FROM sales_kpi.kpi_alerts_of_twins;
-- deal_state's store and the change log: his rows only, as deal_state shows
SELECT count(*) AS kept, count(*) FILTER (WHERE rep_id <> '2') AS others FROM sales_kpi.deal_state_store;
SELECT count(*) AS written, count(*) FILTER (WHERE rep_id <> '2') AS others FROM sales_kpi.dashboard_changes;
SELECT sales_kpi.deal_state_store_current() AS store_stands_in,
       (SELECT array_agg(deal_id ORDER BY deal_id) FROM sales_kpi.deal_state) AS deal_state,
       (SELECT array_agg(deal_id ORDER BY deal_id) FROM sales_kpi.deal_state_computed) AS from_versions;
-- the refresh, the syncs, the switches and the grants are the owner's
SELECT count(*) FROM sales_kpi.refresh_dashboards();
SELECT count(*) FROM sales_kpi.sync_salesforce('public');
SELECT count(*) FROM sales_kpi.disable_rep_security();
SELECT count(*) FROM sales_kpi.grant_dashboard_reader('regress_bob');
-- writing the org chart: no privilege
UPDATE sales_kpi.reps SET manager_id = NULL WHERE rep_id = '2';
UPDATE sales_kpi.rep_visibility SET rep_id = '3';
INSERT INTO sales_kpi.rep_visibility VALUES ('regress_bob', '1');
-- (becoming someone else: tried below from his own login, since this
-- session's user, a superuser, may take any role)
-- statistics would show other reps' values: hidden under row-level security
ANALYZE sales_kpi.deals;
RESET ROLE;
ANALYZE sales_kpi.deals;
SET ROLE regress_bob;
SELECT count(*) AS deal_statistics_bob_sees FROM pg_stats WHERE schemaname = 'sales_kpi' AND tablename = 'deals';
RESET ROLE;

-- Granted UPDATE on reps (to keep their e-mail up to date), Bob still may not
-- widen his view: not through his login or manager, not by adopting Cid.
GRANT UPDATE, INSERT ON sales_kpi.reps TO regress_bob, regress_ann;
SET ROLE regress_bob;
WITH u AS (UPDATE sales_kpi.reps SET email = 'bob@example.com' WHERE rep_id = '2' RETURNING 1) SELECT count(*) AS email_updated FROM u;
UPDATE sales_kpi.reps SET manager_id = NULL WHERE rep_id = '2';
UPDATE sales_kpi.reps SET login = 'regress_all' WHERE rep_id = '2';
INSERT INTO sales_kpi.reps (rep_id, name, login) VALUES ('9', 'Bob too', 'regress_nobody');
INSERT INTO sales_kpi.reps (rep_id, name, manager_id) VALUES ('9', 'Bob''s report', '2');
-- rows he cannot see he cannot change
WITH u AS (UPDATE sales_kpi.reps SET manager_id = '2' WHERE rep_id = '3' RETURNING 1) SELECT count(*) AS cid_rows_changed FROM u;
RESET ROLE;
SET ROLE regress_ann;
-- Ann may not move Bob under Cid's login either, nor take Cid on
UPDATE sales_kpi.reps SET login = 'regress_cid' WHERE rep_id = '2';
WITH u AS (UPDATE sales_kpi.reps SET manager_id = '1' WHERE rep_id = '3' RETURNING 1) SELECT count(*) AS cid_rows_changed FROM u;
RESET ROLE;
SELECT rep_id, email, login, manager_id FROM sales_kpi.reps ORDER BY rep_id;

-- search_path tricks: Bob's own schema first on his path, with a pg_has_role
-- that says yes, an = that always holds, and a function that records every
-- row it is shown.  The policies and the SECURITY DEFINER triggers qualify
-- every name, and the policies filter before any function of his runs.
CREATE SCHEMA regress_evil AUTHORIZATION regress_bob;
SET ROLE regress_bob;
CREATE FUNCTION regress_evil.pg_has_role(name, text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_evil.always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.always);
CREATE TABLE regress_evil.seen (deal_id text);
CREATE FUNCTION regress_evil.peek(text) RETURNS boolean LANGUAGE plpgsql COST 0.0001
AS $$ BEGIN INSERT INTO regress_evil.seen VALUES ($1); RETURN true; END $$;
SET search_path = regress_evil, public, pg_catalog;
SELECT count(*) AS deals_bob_counts FROM sales_kpi.deals WHERE regress_evil.peek(deal_id);
SELECT string_agg(deal_id, ',' ORDER BY deal_id) AS deals_peek_saw FROM regress_evil.seen;
SELECT 'bob' AS role, * FROM pg_temp.seen();
-- the org chart rebuilt by a SECURITY DEFINER trigger while his path is set
WITH u AS (UPDATE sales_kpi.reps SET email = 'bob@example.org' WHERE rep_id = '2' RETURNING 1) SELECT count(*) AS email_updated FROM u;
UPDATE sales_kpi.reps SET manager_id = NULL WHERE rep_id = '2';
RESET search_path;
RESET ROLE;
SELECT login, rep_id FROM sales_kpi.rep_visibility ORDER BY 1, 2;
DROP SCHEMA regress_evil CASCADE;

-- A manager chain must end (checked at commit, like the deferred foreign key
-- on manager_id).
UPDATE sales_kpi.reps SET manager_id = '2' WHERE rep_id = '1';
BEGIN;
UPDATE sales_kpi.reps SET manager_id = '3' WHERE rep_id = '1';
UPDATE sales_kpi.reps SET manager_id = '2' WHERE rep_id = '3';
COMMIT;
BEGIN;  -- a chain that is reordered within a transaction is fine
UPDATE sales_kpi.reps SET manager_id = '3' WHERE rep_id = '2';
UPDATE sales_kpi.reps SET manager_id = NULL WHERE rep_id = '3';
SELECT sales_kpi.manager_cycle_members();
COMMIT;
SELECT login, rep_id FROM sales_kpi.rep_visibility ORDER BY 1, 2;
-- Cid is Bob's manager now: the dashboards follow at once
SET ROLE regress_cid;
SELECT 'cid' AS role, * FROM pg_temp.seen();
RESET ROLE;
UPDATE sales_kpi.reps SET manager_id = '1' WHERE rep_id = '2';

-- Company-wide dashboards: the twins, and nothing else.  Granting them to a
-- rep's login warns that they show every rep.
SELECT count(*) AS grants FROM sales_kpi.grant_dashboard_reader('regress_reader');
SELECT count(*) AS twins FROM sales_kpi.grant_dashboard_reader('regress_cid');
SET ROLE regress_reader;
SELECT count(*) AS pipeline_rows FROM sales_kpi.pipeline_mv;
SELECT count(*) FROM sales_kpi.pipeline;
SELECT count(*) FROM sales_kpi.deals;
RESET ROLE;
SELECT count(*) AS revoked FROM sales_kpi.revoke_dashboard_reader('regress_cid');
SELECT count(*) AS revoked FROM sales_kpi.revoke_dashboard_reader('regress_reader');
SELECT count(*) AS revoked FROM sales_kpi.revoke_rep_access('regress_nobody');
SELECT has_table_privilege('regress_reader', 'sales_kpi.pipeline_mv', 'SELECT') AS reader_keeps_twin,
       has_table_privilege('regress_cid', 'sales_kpi.pipeline_mv', 'SELECT') AS cid_keeps_twin,
       has_table_privilege('regress_nobody', 'sales_kpi.pipeline', 'SELECT') AS nobody_keeps_view,
       has_table_privilege('regress_cid', 'sales_kpi.pipeline', 'SELECT') AS cid_keeps_view;
SELECT sales_kpi.grant_rep_access('no_such_role');

-- Off again: every row visible again (Bob still has his grants).
SELECT * FROM sales_kpi.disable_rep_security() ORDER BY table_name::text;
SELECT sales_kpi.rep_security_enabled();
SET ROLE regress_bob;
SELECT 'bob' AS role, * FROM pg_temp.seen();
RESET ROLE;
-- with it off, the org chart is anyone's to edit who may update reps
SET ROLE regress_bob;
UPDATE sales_kpi.reps SET manager_id = NULL WHERE rep_id = '2';
RESET ROLE;
-- Off, a table with a permissive policy of the user's own is left to it
-- (the hand-written recipe of 1.0 keeps working); on, it is reported.
CREATE POLICY regress_own ON sales_kpi.activities USING (rep_id = '3');
SELECT * FROM sales_kpi.disable_rep_security() WHERE own_policies_decide;
SET ROLE regress_bob;
SELECT count(*) AS activities_bob_sees_under_own_policy FROM sales_kpi.activities;
RESET ROLE;
SELECT count(*) FROM sales_kpi.enable_rep_security();
SELECT count(*) FROM sales_kpi.disable_rep_security();
DROP POLICY regress_own ON sales_kpi.activities;
-- Row-level security turned off by hand, or the policy dropped: enable puts
-- them back.
ALTER TABLE sales_kpi.deals DISABLE ROW LEVEL SECURITY;
DROP POLICY sales_kpi_rep_access ON sales_kpi.quotas;
SELECT count(*) FROM sales_kpi.enable_rep_security();
SELECT c.relname, c.relrowsecurity, p.polname FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid
WHERE c.oid IN ('sales_kpi.deals'::regclass, 'sales_kpi.quotas'::regclass) ORDER BY 1;
SET ROLE regress_bob;
SELECT 'bob' AS role, * FROM pg_temp.seen();
RESET ROLE;
-- Becoming someone else, logged in as Bob himself: he is a member of no
-- other role, so SET ROLE and SET SESSION AUTHORIZATION are refused, and he
-- still sees his own deals only.
SELECT current_user AS regress_superuser \gset
\c - regress_bob
SET ROLE regress_ann;
SET ROLE sales_kpi_all_reps;
SET SESSION AUTHORIZATION regress_ann;
SELECT session_user, current_user, string_agg(deal_id, ',' ORDER BY deal_id) AS deals_bob_sees FROM sales_kpi.deals;
\c - :regress_superuser
SELECT count(*) FROM sales_kpi.disable_rep_security();

SELECT count(*) AS revoked
FROM unnest('{regress_ann,regress_bob,regress_cid,regress_all}'::regrole[]) r, sales_kpi.revoke_rep_access(r);
REVOKE UPDATE, INSERT ON sales_kpi.reps FROM regress_bob, regress_ann;
REVOKE USAGE ON SCHEMA sales_kpi FROM regress_ann, regress_bob, regress_cid, regress_all, regress_nobody, regress_reader;
SELECT count(*) AS privileges_left FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = 'sales_kpi'::regnamespace AND a.grantee::regrole::text LIKE 'regress\_%';
DROP ROLE regress_ann, regress_bob, regress_cid, regress_all, regress_nobody, regress_reader;
TRUNCATE sales_kpi.leads, sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages;
SELECT count(*) AS visibility_left FROM sales_kpi.rep_visibility;
SELECT count(*) AS failed FROM sales_kpi.refresh_dashboards() WHERE error IS NOT NULL;
