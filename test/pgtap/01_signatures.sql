-- pgTAP: the extension's functions and aggregates, their signatures, return
-- types, volatility, strictness, parallel safety and comments.
BEGIN;
SELECT plan(129);

-- Aggregates and their return types.
SELECT is_aggregate('public', f, a, f || '(' || array_to_string(a, ', ') || ') is an aggregate')
FROM (VALUES ('win_rate', ARRAY['text']), ('win_rate', ARRAY['boolean']),
             ('conversion_rate', ARRAY['text']), ('conversion_rate', ARRAY['boolean']),
             ('avg_time_in_pipeline', ARRAY['timestamp with time zone']),
             ('avg_time_in_pipeline', ARRAY['timestamp with time zone', 'timestamp with time zone']),
             ('avg_time_in_pipeline', ARRAY['timestamp with time zone', 'timestamp with time zone', 'timestamp with time zone']),
             ('sales_cycle_length', ARRAY['timestamp with time zone', 'timestamp with time zone']),
             ('avg_ramp_time', ARRAY['timestamp with time zone', 'timestamp with time zone']),
             ('clv', ARRAY['bigint', 'numeric', 'timestamp with time zone']),
             ('clv', ARRAY['text', 'numeric', 'timestamp with time zone']),
             ('win_rate', ARRAY['text', 'text']), ('conversion_rate', ARRAY['text', 'text']),
             ('pipeline_velocity', ARRAY['text', 'text', 'numeric', 'timestamp with time zone', 'timestamp with time zone']),
             ('sales_cycle_percentile', ARRAY['timestamp with time zone', 'timestamp with time zone', 'double precision']),
             ('deal_size_percentile', ARRAY['numeric', 'double precision'])) AS v(f, a);

SELECT function_returns('public', f, a, r, f || '(' || array_to_string(a, ', ') || ') returns ' || r)
FROM (VALUES ('win_rate', ARRAY['text'], 'double precision'),
             ('win_rate', ARRAY['boolean'], 'double precision'),
             ('conversion_rate', ARRAY['text'], 'double precision'),
             ('conversion_rate', ARRAY['boolean'], 'double precision'),
             ('avg_time_in_pipeline', ARRAY['timestamp with time zone'], 'interval'),
             ('avg_time_in_pipeline', ARRAY['timestamp with time zone', 'timestamp with time zone'], 'interval'),
             ('avg_time_in_pipeline', ARRAY['timestamp with time zone', 'timestamp with time zone', 'timestamp with time zone'], 'interval'),
             ('sales_cycle_length', ARRAY['timestamp with time zone', 'timestamp with time zone'], 'interval'),
             ('avg_ramp_time', ARRAY['timestamp with time zone', 'timestamp with time zone'], 'interval'),
             ('clv', ARRAY['bigint', 'numeric', 'timestamp with time zone'], 'numeric'),
             ('clv', ARRAY['numeric', 'numeric', 'numeric'], 'numeric'),
             ('clv', ARRAY['text', 'numeric', 'timestamp with time zone'], 'numeric'),
             ('win_rate', ARRAY['text', 'text'], 'double precision'),
             ('conversion_rate', ARRAY['text', 'text'], 'double precision'),
             ('pipeline_velocity', ARRAY['text', 'text', 'numeric', 'timestamp with time zone', 'timestamp with time zone'], 'numeric'),
             ('stage_outcome', ARRAY['text'], 'text'),
             ('stage_outcome', ARRAY['text', 'text'], 'text'),
             ('stage_normalize', ARRAY['text'], 'text'),
             ('sales_cycle_percentile', ARRAY['timestamp with time zone', 'timestamp with time zone', 'double precision'], 'interval'),
             ('deal_size_percentile', ARRAY['numeric', 'double precision'], 'numeric'),
             ('sales_cycle_percentile', ARRAY['sales_kpi.sales_cycle_percentile_summary', 'double precision'], 'interval'),
             ('deal_size_percentile', ARRAY['sales_kpi.deal_size_percentile_summary', 'double precision'], 'numeric')) AS v(f, a, r);

-- Scalar functions: volatility and strictness as they truly are.
SELECT volatility_is('public', 'stage_outcome', ARRAY['text'], 'stable',
                     'stage_outcome reads the catalog: STABLE');
SELECT volatility_is('public', 'stage_outcome', ARRAY['text', 'text'], 'stable',
                     'stage_outcome(pipeline, stage) reads the catalog: STABLE');
SELECT isnt_strict('public', 'stage_outcome', ARRAY['text', 'text'],
                   'stage_outcome(pipeline, stage) is not STRICT (a NULL pipeline classifies by name)');
SELECT volatility_is('public', 'stage_normalize', ARRAY['text'], 'immutable',
                     'stage_normalize is IMMUTABLE (usable in the catalog''s unique index)');
SELECT volatility_is('public', 'clv', ARRAY['numeric', 'numeric', 'numeric'], 'immutable',
                     'scalar clv is IMMUTABLE');
SELECT is_strict('public', f, a, f || ' is STRICT')
FROM (VALUES ('stage_outcome', ARRAY['text']), ('stage_normalize', ARRAY['text']),
             ('clv', ARRAY['numeric', 'numeric', 'numeric'])) AS v(f, a);

-- Transition functions that classify stages or read the clock are STABLE,
-- the others IMMUTABLE.
SELECT volatility_is('sales_kpi', f, a, v, f || ' is ' || v)
FROM (VALUES ('outcome_count_trans', ARRAY['internal', 'text'], 'stable'),
             ('outcome_count_bool_trans', ARRAY['internal', 'boolean'], 'immutable'),
             ('pipeline1_trans', ARRAY['internal', 'timestamp with time zone'], 'stable'),
             ('pipeline2_trans', ARRAY['internal', 'timestamp with time zone', 'timestamp with time zone'], 'stable'),
             ('pipeline3_trans', ARRAY['internal', 'timestamp with time zone', 'timestamp with time zone', 'timestamp with time zone'], 'immutable'),
             ('cycle_trans', ARRAY['internal', 'timestamp with time zone', 'timestamp with time zone'], 'immutable'),
             ('clv_trans', ARRAY['internal', 'bigint', 'numeric', 'timestamp with time zone'], 'immutable'),
             ('clv_text_trans', ARRAY['internal', 'text', 'numeric', 'timestamp with time zone'], 'immutable'),
             ('outcome_count_pair_trans', ARRAY['internal', 'text', 'text'], 'stable'),
             ('velocity_pair_trans', ARRAY['internal', 'text', 'text', 'numeric', 'timestamp with time zone', 'timestamp with time zone'], 'stable'),
             ('cycle_percentile_trans', ARRAY['internal', 'timestamp with time zone', 'timestamp with time zone', 'double precision'], 'immutable'),
             ('size_percentile_trans', ARRAY['internal', 'numeric', 'double precision'], 'immutable')) AS v(f, a, v);

-- The stage catalog invalidates its cached copies on every change.
SELECT has_trigger('sales_kpi', 'stages', 'stages_changed', 'sales_kpi.stages has its invalidation trigger');
SELECT trigger_is('sales_kpi', 'stages', 'stages_changed', 'sales_kpi', 'stage_catalog_changed',
                  'the trigger calls sales_kpi.stage_catalog_changed()');
-- Declared state sizes are the states' sizes (the planner's memory estimates).
SELECT is_empty($$
  SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a
  WHERE a.aggtransfn IN ('sales_kpi.pipeline1_trans'::regproc, 'sales_kpi.pipeline2_trans'::regproc,
                         'sales_kpi.pipeline3_trans'::regproc, 'sales_kpi.cycle_trans'::regproc,
                         'sales_kpi.ramp_trans'::regproc)
    AND (a.aggtransspace <> 32 OR (a.aggmtransfn <> 0 AND a.aggmtransspace <> 32)) $$,
  'the duration aggregates declare SSPACE 32, the size of their state');

-- Every function of the extension is PARALLEL SAFE and commented, but for
-- those that write (refresh, scheduling, the syncs and their parts, the rep
-- security switches and the grant functions) and the trigger functions,
-- which are VOLATILE and PARALLEL UNSAFE.
\set writers '''refresh_dashboards'', ''refresh_dashboard_stores'', ''schedule_refresh'', ''unschedule_refresh'', ''schedule_sync'', ''unschedule_sync'', ''sync_salesforce'', ''sync_hubspot'', ''sync_begin'', ''sync_read'', ''sync_end'', ''sync_analyze'', ''sync_quarantine'', ''sync_stage_start'', ''sync_stage_catalog'', ''sync_stage_flags'', ''sync_check_deals'', ''sync_write_deals'', ''sync_write_activities'', ''sync_create_indexes'', ''rep_policies_apply'', ''enable_rep_security'', ''disable_rep_security'', ''run_grants'', ''grant_dashboard_reader'', ''revoke_dashboard_reader'', ''grant_rep_access'', ''revoke_rep_access'''
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'
  WHERE p.proparallel <> 's' AND p.prorettype <> 'trigger'::regtype
    AND p.proname NOT IN ($$ || :'writers' || $$, 'deal_state_rows', 'stage_visits_of', 'stage_visits_plan', 'stage_visits_rows', 'stage_visit_totals_rows', 'twin_kept', 'kpi_summary_company_of_twin', 'kpi_summary_company_kept', 'customer_cohorts_company_of_twin', 'customer_cohorts_company_kept') $$,
  'every function and aggregate is PARALLEL SAFE, but for the refresh, scheduling, sync, security, grant and trigger functions and the live views'' readers of the refresh''s results');
-- deal_state's and stage_visits' rows come from function scans, which run
-- once in each process that runs them: PARALLEL RESTRICTED keeps them in
-- the leader.
SELECT is(ARRAY(SELECT p.proparallel::text || p.provolatile::text FROM pg_proc p
                WHERE p.oid IN ('sales_kpi.deal_state_rows(boolean)'::regprocedure,
                                'sales_kpi.stage_visits_of(text[])'::regprocedure,
                                'sales_kpi.stage_visits_rows()'::regprocedure)),
          ARRAY['rs', 'rs', 'rs'], 'deal_state_rows(), stage_visits_of() and stage_visits_rows() are PARALLEL RESTRICTED and STABLE');
CREATE FUNCTION pg_temp.plan_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query;
END
$$;
-- stage_visits_rows() is SQL the planner replaces by its body: the view
-- scans stage_visits_of(NULL) itself, its rows estimated by the support
-- function, not copied through a second function
SELECT matches((SELECT string_agg(x, E'\n') FROM pg_temp.plan_lines('SELECT * FROM sales_kpi.stage_visits') x),
               'Function Scan on stage_visits_of',
               'the stage_visits view scans stage_visits_of() directly (stage_visits_rows() is inlined)');
-- and whether a refresh is under way is a temporary table of the session,
-- which a parallel worker cannot see
SELECT is(ARRAY(SELECT p.proparallel::text || p.provolatile::text FROM pg_proc p
                WHERE p.oid IN ('sales_kpi.twin_kept(name, text[])'::regprocedure,
                                'sales_kpi.kpi_summary_company_of_twin()'::regprocedure,
                                'sales_kpi.kpi_summary_company_kept()'::regprocedure,
                                'sales_kpi.customer_cohorts_company_of_twin()'::regprocedure,
                                'sales_kpi.customer_cohorts_company_kept()'::regprocedure)),
          ARRAY['rs', 'rs', 'rs', 'rs', 'rs'], 'the kept KPI summary and cohort figures are read PARALLEL RESTRICTED and STABLE');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'
  WHERE (p.prorettype = 'trigger'::regtype OR p.proname IN ($$ || :'writers' || $$))
    AND (p.proparallel <> 'u' OR p.provolatile <> 'v') $$,
  'the refresh, scheduling, sync, security, grant and trigger functions, which write or invalidate, are VOLATILE and PARALLEL UNSAFE');
-- A SECURITY DEFINER function fixes its search_path and is not PUBLIC's.
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'
  WHERE p.prosecdef
    AND (NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
         OR EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                    WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')) $$,
  'every SECURITY DEFINER function sets search_path and is not executable by PUBLIC');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'
  WHERE obj_description(p.oid, 'pg_proc') IS NULL $$, 'every function and aggregate has a COMMENT');
SELECT cmp_ok((SELECT count(*) FROM pg_proc p
               JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'), '>=', 40::bigint,
              'the checks above cover the extension''s functions');

-- Every aggregate can run in parallel and across shards (combine, serialize,
-- deserialize) and has a read-only final function (usable with OVER).
SELECT is_empty($$
  SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = a.aggfnoid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'
  WHERE a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0 OR a.aggfinalmodify <> 'r' $$,
  'every aggregate has combine, serialize and deserialize functions and a read-only final function');
-- The counting and duration aggregates have inverse transition functions.
SELECT results_eq($$
  SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = a.aggfnoid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'sales_kpi'
  WHERE a.aggminvtransfn = 0
    -- (the aggregates over summaries: a summary cannot be taken out of a state)
    AND NOT EXISTS (SELECT FROM pg_proc p WHERE p.oid = a.aggfnoid
                    AND (p.proname = 'rollup' OR p.proname LIKE '%\_summary\_value'))
  ORDER BY 1 $$,
  $$ VALUES ('bgnbd_fit(integer,double precision,double precision)'),
            ('clv(bigint,numeric,timestamp with time zone)'), ('clv(text,numeric,timestamp with time zone)'),
            ('clv_summary(bigint,numeric,timestamp with time zone)'), ('clv_summary(text,numeric,timestamp with time zone)'),
            ('customer_rfm(timestamp with time zone,numeric,timestamp with time zone,interval)'),
            ('gamma_gamma_fit(integer,numeric)') $$,
  'every aggregate but clv and clv_summary (whose min/max state cannot be un-added), the CLV models'' customer summary and fits (not running figures) and those over summaries has an inverse for sliding frames');

-- Currencies and the pipeline flow.
SELECT function_returns('sales_kpi', 'convert_amount', ARRAY['numeric', 'text', 'date'], 'numeric',
                        'convert_amount(amount, currency, on_day) returns numeric');
SELECT function_returns('sales_kpi', 'pipeline_flow', ARRAY['date', 'date'], 'setof record',
                        'pipeline_flow(from_day, to_day) returns a row per rep');
SELECT col_is_pk('sales_kpi', 'exchange_rates', ARRAY['currency', 'valid'], 'exchange_rates is keyed by currency and range');
SELECT ok(EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'sales_kpi.exchange_rates'::regclass AND contype = 'x'),
          'one currency''s rate ranges cannot overlap (exclusion constraint)');

-- The CLV models.
SELECT function_returns('public', 'bgnbd_fit', ARRAY['integer', 'double precision', 'double precision'],
                        'sales_kpi.bgnbd_params', 'bgnbd_fit(frequency, recency, age) returns sales_kpi.bgnbd_params');
SELECT function_returns('public', 'gamma_gamma_fit', ARRAY['integer', 'numeric'],
                        'sales_kpi.gamma_gamma_params', 'gamma_gamma_fit(frequency, mean_spend) returns sales_kpi.gamma_gamma_params');
SELECT function_returns('public', 'customer_rfm', ARRAY['timestamp with time zone', 'numeric', 'timestamp with time zone', 'interval'],
                        'sales_kpi.rfm', 'customer_rfm(purchased_at, amount, observation_end, unit) returns sales_kpi.rfm');
SELECT function_returns('public', 'predicted_clv',
                        ARRAY['sales_kpi.bgnbd_params', 'sales_kpi.gamma_gamma_params', 'double precision', 'double precision',
                              'double precision', 'numeric', 'double precision', 'double precision', 'double precision'],
                        'numeric', 'predicted_clv(...) returns numeric');

-- The stage catalog.
SELECT has_table('sales_kpi', 'stages', 'the stage catalog exists');
SELECT col_type_is('sales_kpi', 'stages', c, t, 'stages.' || c || ' is ' || t)
FROM (VALUES ('pipeline', 'text'), ('name', 'text'), ('label', 'text'), ('pipeline_order', 'integer'),
             ('default_probability', 'numeric'), ('is_closed', 'boolean'), ('is_won', 'boolean'),
             ('stalled_after_days', 'integer'), ('forecast_category', 'text'), ('normalized', 'text')) AS v(c, t);
SELECT index_is_unique('sales_kpi', 'stages', 'stages_pipeline_normalized_name',
                       'stages is keyed by pipeline and normalised name');
SELECT ok(EXISTS (SELECT 1 FROM pg_extension
                  WHERE extname = 'sales_kpi' AND 'sales_kpi.stages'::regclass = ANY (extconfig)),
          'the stage catalog is dumped by pg_dump (pg_extension_config_dump)');
SELECT table_privs_are('sales_kpi', 'stages', 'public', ARRAY['SELECT'],
                       'everyone may read the catalog (the aggregates read it)');
SELECT ok(obj_description('sales_kpi.stages'::regclass, 'pg_class') IS NOT NULL, 'the catalog has a comment');

-- The model's keys are the CRM's ids, as text.
SELECT col_type_is('sales_kpi', t, c, 'text', t || '.' || c || ' is text')
FROM (VALUES ('reps', 'rep_id'), ('reps', 'manager_id'), ('customers', 'customer_id'),
             ('customers', 'referred_by_rep_id'), ('products', 'product_id'), ('deals', 'deal_id'),
             ('deals', 'rep_id'), ('deals', 'customer_id'), ('deals', 'product_id'), ('deals', 'pipeline'),
             ('deal_history', 'deal_id'), ('activities', 'activity_id'), ('activities', 'deal_id'),
             ('quotas', 'rep_id'), ('subscriptions', 'customer_id'), ('leads', 'lead_id')) AS v(t, c);

-- The history: every column of a deal, a validity range, kept by triggers
-- on the deals and checked by a trigger of its own; pg_dump carries it.
SELECT has_table('sales_kpi', 'deal_history', 'the deal history exists');
SELECT col_type_is('sales_kpi', 'deal_history', 'valid', 'tstzrange', 'deal_history.valid is a tstzrange');
SELECT is_empty($$
  SELECT a.attname FROM pg_attribute a
  WHERE a.attrelid = 'sales_kpi.deals'::regclass AND a.attnum > 0 AND NOT a.attisdropped
    AND NOT EXISTS (SELECT 1 FROM pg_attribute h WHERE h.attrelid = 'sales_kpi.deal_history'::regclass
                    AND h.attname = a.attname AND h.atttypid = a.atttypid) $$,
  'deal_history has every column of deals, with its type');
SELECT triggers_are('sales_kpi', 'deals', ARRAY['deals_inserted', 'deals_updated', 'deals_deleted', 'deals_truncated',
                                                 'dashboard_inserted', 'dashboard_updated', 'dashboard_deleted'],
                    'deals keep their history through four triggers, and record the deals written in three');
SELECT triggers_are('sales_kpi', 'deal_history', ARRAY['deal_history_inserted', 'deal_history_updated', 'deal_history_deleted',
                                                       'dashboard_inserted', 'dashboard_updated', 'dashboard_deleted',
                                                       'dashboard_truncated'],
                    'deal_history checks and derives its versions through three triggers, and records the deals written in four');
-- Every other model table the dashboards read records its writes, for the
-- incremental refresh.
SELECT has_trigger('sales_kpi', t, 'dashboard_changed', 'sales_kpi.' || t || ' records its writes for the incremental refresh')
FROM unnest(ARRAY['reps', 'customers', 'products', 'activities', 'quotas', 'marketing_spend', 'market_size',
                  'subscriptions', 'kpi_targets']) t;
SELECT ok(EXISTS (SELECT 1 FROM pg_extension
                  WHERE extname = 'sales_kpi' AND 'sales_kpi.deal_history'::regclass = ANY (extconfig)),
          'the deal history is dumped by pg_dump');

-- The README query works verbatim with the default search_path.
CREATE TEMP TABLE deals (rep_id int, stage text);
INSERT INTO deals VALUES (1, 'Closed Won'), (1, 'Closed Lost'), (2, 'won');
SELECT results_eq('SELECT rep_id, win_rate(stage) FROM deals GROUP BY rep_id ORDER BY rep_id',
                  $$ VALUES (1, 0.5::float8), (2, 1::float8) $$, 'the README query works verbatim');

-- The syncs: one row per model table they write; their state and
-- quarantine are dumped with the data and private to the owner.
SELECT results_eq($$
  SELECT p.oid::regprocedure::text, pg_get_function_result(p.oid), p.prosecdef
  FROM pg_proc p WHERE p.pronamespace = 'sales_kpi'::regnamespace AND p.proname IN ('sync_salesforce', 'sync_hubspot')
  ORDER BY 1 $$,
  $$ VALUES ('sales_kpi.sync_hubspot(name)',
             'TABLE(model_table text, inserted bigint, updated bigint, deleted bigint, quarantined bigint)', true),
            ('sales_kpi.sync_salesforce(name)',
             'TABLE(model_table text, inserted bigint, updated bigint, deleted bigint, quarantined bigint)', true) $$,
  'sync_salesforce(name) and sync_hubspot(name) run as the owner and return inserted, updated, deleted, quarantined per table');
SELECT ok((SELECT bool_and(c::regclass = ANY (e.extconfig)) FROM pg_extension e,
                  unnest(ARRAY['sales_kpi.sync_state', 'sales_kpi.quarantine']) AS c
           WHERE e.extname = 'sales_kpi'),
          'the sync state and the quarantine are dumped by pg_dump');
SELECT is_empty($$
  SELECT c FROM unnest(ARRAY['sales_kpi.sync_state', 'sales_kpi.quarantine']) AS c
  WHERE has_table_privilege('public', c, 'SELECT') OR obj_description(c::regclass, 'pg_class') IS NULL $$,
  'the sync state and the quarantine have comments and are not readable by PUBLIC');

SELECT * FROM finish();
ROLLBACK;
