-- sales_kpi.sync_salesforce(source_schema): the model from the tables
-- Fivetran's Salesforce connector lands, incrementally.
--
--   user (+ user_role)      -> reps       id, name, email, manager_id, team
--                                         (role name), hired_on (created_date)
--   account                 -> customers  id, name, segment (type), region
--                                         (billing_country), acquired_on
--                                         (created_date)
--   product_2               -> products   id, name, family
--   opportunity             -> deals      id, owner_id, account_id, name,
--     (+ opportunity_line_item)           stage_name, amount, probability / 100,
--                                         forecast_category, close_date,
--                                         created_date, currency_iso_code,
--                                         loss_reason (when landed); product_id:
--                                         the line item of the largest total_price
--   dated_conversion_rate   -> exchange_rates  iso_code, [start_date,
--                                         next_start_date), 1 / conversion_rate
--   opportunity_history     -> deal_history, one version per History Mode row
--   opportunity_stage       -> stages     api_name, master_label (label),
--                                         sort_order, default_probability / 100,
--                                         is_closed, is_won; without it, each
--                                         stage the deals carry, with their flags
--   task, event             -> activities
--   lead                    -> leads
--
-- The sync owns the columns it maps; the model's other columns (a rep's
-- region, left_on, first_contact_at, login; a customer's churned_on; a
-- deal's contract_term) are the user's and are never overwritten.
--
-- A deal's outcome comes from the source's flags (is_closed, is_won), which
-- keep the stage catalog current; names are never guessed at.  closed_at is
-- the start of the History Mode version in which the deal became closed
-- (the start of its last closed streak); without History Mode, the start of
-- its close_date (UTC), or its created_date when that is later, so that a
-- deal won the day it was created never closes before it was created.  A
-- close_date before the created_date's day is a dirty row.
--
-- Incremental: only rows whose _fivetran_synced is after the table's
-- watermark are read, plus the rows in quarantine, which are retried; a
-- deal any of whose rows changed is re-read whole (its current row, line
-- items and every history version).  Deleted rows (is_deleted,
-- _fivetran_deleted, or no active History Mode version) leave the model.

-- (jit is off: a sync runs dozens of statements over a few thousand rows
-- each, whose estimated costs would compile every one of them.)
CREATE FUNCTION sales_kpi.sync_salesforce(source_schema name)
RETURNS TABLE (model_table text, inserted bigint, updated bigint, deleted bigint, quarantined bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    src constant text := 'salesforce';
    s constant name := source_schema;
    history boolean;
    n bigint;
    ins bigint;
    del bigint;
    circled bigint;
    qn bigint;
    qs bigint;
    stage_table boolean;
    customers_inserted bigint;
    customers_updated bigint;
    customers_quarantined bigint;
    products_inserted bigint;
    products_updated bigint;
    products_quarantined bigint;
    active text;
BEGIN
    PERFORM sales_kpi.sync_schema(s);
    PERFORM sales_kpi.sync_require(src, s, 'opportunity',
        ARRAY['id', 'owner_id', 'account_id', 'stage_name', 'amount', 'created_date', 'close_date',
              'is_closed', 'is_won', 'is_deleted', '_fivetran_synced']);
    PERFORM sales_kpi.sync_require(src, s, 'user', ARRAY['id', 'name']);
    history := sales_kpi.sync_has(s, 'opportunity_history');
    IF history THEN
        PERFORM sales_kpi.sync_require(src, s, 'opportunity_history',
            ARRAY['id', '_fivetran_start', '_fivetran_end', '_fivetran_active', 'owner_id', 'stage_name',
                  'amount', 'created_date', 'close_date', 'is_closed', 'is_won']);
    END IF;
    -- One sync of a schema at a time.
    PERFORM pg_advisory_xact_lock(hashtext('sales_kpi.sync_salesforce'), hashtext(s));
    PERFORM sales_kpi.sync_begin(s, ARRAY['user', 'user_role', 'account', 'product_2', 'opportunity',
                                          'opportunity_history', 'opportunity_line_item', 'opportunity_stage',
                                          'task', 'event', 'lead']);

    ------------------------------------------------------------------------
    -- Users -> reps.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_users;
    active := CASE WHEN sales_kpi.sync_has(s, 'user', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_users ON COMMIT DROP AS
        SELECT DISTINCT ON (s.id) s.id::text AS source_key, s.id::text AS rep_id, %1$s AS name, %2$s AS email,
               %3$s AS manager_id, %4$s AS role_id, %5$s AS hired_on,
               coalesce(%6$s, false) OR NOT coalesce(%7$s, true) AS deleted,
               NULL::text AS rule
        FROM %8$I."user" s
        WHERE s.id IS NOT NULL AND (%9$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%10$L, %11$L, 'user'))
                                    OR %12$s)
        ORDER BY s.id, coalesce(%7$s, true) DESC $q$,
        sales_kpi.sync_col(s, 'user', 'name', 'text'), sales_kpi.sync_col(s, 'user', 'email', 'text'),
        sales_kpi.sync_col(s, 'user', 'manager_id', 'text'), sales_kpi.sync_col(s, 'user', 'user_role_id', 'text'),
        sales_kpi.sync_col(s, 'user', 'created_date', 'date'),
        sales_kpi.sync_col(s, 'user', '_fivetran_deleted', 'boolean'), active, s,
        sales_kpi.sync_unread(src, s, 'user'), src, s,
        -- the users of a role renamed since the last sync
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') AND sales_kpi.sync_has(s, 'user_role', 'id')
             THEN format('s.user_role_id::text IN (SELECT r.id::text FROM %I.user_role r WHERE %s)',
                         s, sales_kpi.sync_unread(src, s, 'user_role', 'r'))
             ELSE 'false' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('user', n);
    ANALYZE pg_temp.sync_users;
    UPDATE pg_temp.sync_users SET rule = 'name is missing' WHERE NOT deleted AND (name IS NULL OR name = '');
    qn := sales_kpi.sync_quarantine(src, s, 'user', 'id', 'pg_temp.sync_users');

    DROP TABLE IF EXISTS pg_temp.sync_roles;
    CREATE TEMP TABLE sync_roles (role_id text PRIMARY KEY, name text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'user_role', 'id') AND sales_kpi.sync_has(s, 'user_role', 'name') THEN
        EXECUTE format('INSERT INTO pg_temp.sync_roles SELECT DISTINCT ON (s.id) s.id::text, s.name::text FROM %I.user_role s
                        WHERE s.id IS NOT NULL ORDER BY s.id, %s DESC',
                       s, CASE WHEN sales_kpi.sync_has(s, 'user_role', '_fivetran_active')
                               THEN 'coalesce(s._fivetran_active, true)' ELSE 'true' END);
    END IF;

    SELECT count(*) INTO ins FROM pg_temp.sync_users u
    WHERE u.rule IS NULL AND NOT u.deleted AND NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = u.rep_id);
    EXECUTE format($q$
        MERGE INTO sales_kpi.reps r
        USING (SELECT u.rep_id, u.name, u.email, u.hired_on, ro.name AS team
               FROM pg_temp.sync_users u LEFT JOIN pg_temp.sync_roles ro ON ro.role_id = u.role_id
               WHERE u.rule IS NULL AND NOT u.deleted) u
        ON r.rep_id = u.rep_id
        WHEN MATCHED AND (r.name, r.email %1$s %2$s) IS DISTINCT FROM (u.name, u.email %3$s %4$s) THEN
            UPDATE SET name = u.name, email = u.email %5$s %6$s
        WHEN NOT MATCHED THEN
            INSERT (rep_id, name, email, hired_on, team) VALUES (u.rep_id, u.name, u.email, u.hired_on, u.team) $q$,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'created_date') THEN ', r.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') THEN ', r.team' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'created_date') THEN ', u.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') THEN ', u.team' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'created_date') THEN ', hired_on = u.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'user', 'user_role_id') THEN ', team = u.team' ELSE '' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.reps', n);
    -- Managers: a manager who is not a rep (yet) is left out.
    IF sales_kpi.sync_has(s, 'user', 'manager_id') THEN
        UPDATE sales_kpi.reps r SET manager_id = m.manager_id
        FROM (SELECT u.rep_id, CASE WHEN EXISTS (SELECT FROM sales_kpi.reps x WHERE x.rep_id = u.manager_id)
                                    THEN u.manager_id END AS manager_id
              FROM pg_temp.sync_users u WHERE u.rule IS NULL AND NOT u.deleted) m
        WHERE r.rep_id = m.rep_id AND r.manager_id IS DISTINCT FROM m.manager_id;
        -- Manager links that go round in a circle (a data error in the CRM)
        -- would be refused at commit: the synced users' links on the
        -- circle are left unset, and the rest loads.
        UPDATE sales_kpi.reps r SET manager_id = NULL
        WHERE r.rep_id IN (SELECT sales_kpi.manager_cycle_members())
          AND r.rep_id IN (SELECT u.rep_id FROM pg_temp.sync_users u);
        GET DIAGNOSTICS circled = ROW_COUNT;
        IF circled > 0 THEN
            RAISE WARNING 'the manager links of % users of %.user go round in a circle: left unset', circled, s
                USING HINT = 'Correct user.manager_id in the CRM; the next sync loads them.';
        END IF;
    END IF;
    -- A deleted user leaves the model unless the model still refers to them.
    DELETE FROM sales_kpi.reps r USING pg_temp.sync_users u
    WHERE u.deleted AND r.rep_id = u.rep_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.activities a WHERE a.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.quotas q WHERE q.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.leads l WHERE l.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.customers c WHERE c.referred_by_rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.reps m WHERE m.manager_id = r.rep_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    model_table := 'reps'; inserted := ins; updated := n - ins; deleted := del; quarantined := qn;
    RETURN NEXT;

    ------------------------------------------------------------------------
    -- Accounts -> customers.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_accounts;
    CREATE TEMP TABLE sync_accounts (source_key text, customer_id text, name text, segment text, region text,
                                     acquired_on date, deleted boolean, rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'account', 'id') THEN
        active := CASE WHEN sales_kpi.sync_has(s, 'account', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_accounts
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s, %3$s, %4$s,
                   coalesce(%5$s, false) OR NOT coalesce(%6$s, true), NULL
            FROM %7$I.account s
            WHERE s.id IS NOT NULL AND (%8$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%9$L, %10$L, 'account')))
            ORDER BY s.id, coalesce(%6$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'account', 'name', 'text'), sales_kpi.sync_col(s, 'account', 'type', 'text'),
            sales_kpi.sync_col(s, 'account', 'billing_country', 'text'),
            sales_kpi.sync_col(s, 'account', 'created_date', 'date'),
            sales_kpi.sync_col(s, 'account', 'is_deleted', 'boolean'), active, s,
            sales_kpi.sync_unread(src, s, 'account'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('account', n);
    END IF;
    ANALYZE pg_temp.sync_accounts;
    UPDATE pg_temp.sync_accounts SET rule = 'name is missing' WHERE NOT deleted AND (name IS NULL OR name = '');
    qn := sales_kpi.sync_quarantine(src, s, 'account', 'id', 'pg_temp.sync_accounts');
    SELECT count(*) INTO ins FROM pg_temp.sync_accounts a
    WHERE a.rule IS NULL AND NOT a.deleted
      AND NOT EXISTS (SELECT FROM sales_kpi.customers c WHERE c.customer_id = a.customer_id);
    EXECUTE format($q$
        MERGE INTO sales_kpi.customers c
        USING (SELECT * FROM pg_temp.sync_accounts WHERE rule IS NULL AND NOT deleted) a
        ON c.customer_id = a.customer_id
        WHEN MATCHED AND (c.name, c.segment, c.region %1$s) IS DISTINCT FROM (a.name, a.segment, a.region %2$s) THEN
            UPDATE SET name = a.name, segment = a.segment, region = a.region %3$s
        WHEN NOT MATCHED THEN
            INSERT (customer_id, name, segment, region, acquired_on)
            VALUES (a.customer_id, a.name, a.segment, a.region, a.acquired_on) $q$,
        CASE WHEN sales_kpi.sync_has(s, 'account', 'created_date') THEN ', c.acquired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'account', 'created_date') THEN ', a.acquired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'account', 'created_date') THEN ', acquired_on = a.acquired_on' ELSE '' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.customers', n);
    customers_inserted := ins; customers_updated := n - ins; customers_quarantined := qn;
    -- (deleted accounts leave after their deals, below)

    ------------------------------------------------------------------------
    -- Products.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_products;
    CREATE TEMP TABLE sync_products (source_key text, product_id text, name text, family text, deleted boolean,
                                     rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'product_2', 'id') THEN
        active := CASE WHEN sales_kpi.sync_has(s, 'product_2', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_products
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s,
                   coalesce(%3$s, false) OR NOT coalesce(%4$s, true), NULL
            FROM %5$I.product_2 s
            WHERE s.id IS NOT NULL AND (%6$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%7$L, %8$L, 'product_2')))
            ORDER BY s.id, coalesce(%4$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'product_2', 'name', 'text'), sales_kpi.sync_col(s, 'product_2', 'family', 'text'),
            sales_kpi.sync_col(s, 'product_2', 'is_deleted', 'boolean'), active, s,
            sales_kpi.sync_unread(src, s, 'product_2'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('product_2', n);
    END IF;
    UPDATE pg_temp.sync_products SET rule = 'name is missing' WHERE NOT deleted AND (name IS NULL OR name = '');
    UPDATE pg_temp.sync_products p SET rule = 'name is not unique among the products'
    WHERE p.rule IS NULL AND NOT p.deleted
      AND (EXISTS (SELECT FROM sales_kpi.products x WHERE x.name = p.name AND x.product_id <> p.product_id)
           OR EXISTS (SELECT FROM pg_temp.sync_products y WHERE y.name = p.name AND y.product_id < p.product_id
                      AND NOT y.deleted));
    qn := sales_kpi.sync_quarantine(src, s, 'product_2', 'id', 'pg_temp.sync_products');
    SELECT count(*) INTO ins FROM pg_temp.sync_products p
    WHERE p.rule IS NULL AND NOT p.deleted
      AND NOT EXISTS (SELECT FROM sales_kpi.products x WHERE x.product_id = p.product_id);
    MERGE INTO sales_kpi.products x
    USING (SELECT * FROM pg_temp.sync_products WHERE rule IS NULL AND NOT deleted) p
    ON x.product_id = p.product_id
    WHEN MATCHED AND (x.name, x.family) IS DISTINCT FROM (p.name, p.family) THEN
        UPDATE SET name = p.name, family = p.family
    WHEN NOT MATCHED THEN INSERT (product_id, name, family) VALUES (p.product_id, p.name, p.family);
    GET DIAGNOSTICS n = ROW_COUNT;
    products_inserted := ins; products_updated := n - ins; products_quarantined := qn;

    ------------------------------------------------------------------------
    -- Opportunities -> deals (and their history, and the stage catalog).
    ------------------------------------------------------------------------
    -- The deals to read again: any of their rows changed, or in quarantine.
    DROP TABLE IF EXISTS pg_temp.sync_opp_ids;
    CREATE TEMP TABLE sync_opp_ids (deal_id text PRIMARY KEY) ON COMMIT DROP;
    EXECUTE format('INSERT INTO pg_temp.sync_opp_ids SELECT DISTINCT s.id::text FROM %I.opportunity s
                    WHERE s.id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                   s, sales_kpi.sync_unread(src, s, 'opportunity'));
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('opportunity', n);
    IF history THEN
        EXECUTE format('INSERT INTO pg_temp.sync_opp_ids SELECT DISTINCT s.id::text FROM %I.opportunity_history s
                        WHERE s.id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                       s, sales_kpi.sync_unread(src, s, 'opportunity_history'));
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('opportunity_history', n);
    END IF;
    IF sales_kpi.sync_has(s, 'opportunity_line_item', 'opportunity_id') THEN
        EXECUTE format('INSERT INTO pg_temp.sync_opp_ids SELECT DISTINCT s.opportunity_id::text
                        FROM %I.opportunity_line_item s
                        WHERE s.opportunity_id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                       s, sales_kpi.sync_unread(src, s, 'opportunity_line_item'));
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('opportunity_line_item', n);
    END IF;
    INSERT INTO pg_temp.sync_opp_ids SELECT sales_kpi.sync_quarantined(src, s, 'opportunity') ON CONFLICT DO NOTHING;
    ANALYZE pg_temp.sync_opp_ids;

    -- Each deal's product: its line item of the largest total price.
    DROP TABLE IF EXISTS pg_temp.sync_opp_products;
    CREATE TEMP TABLE sync_opp_products (deal_id text PRIMARY KEY, product_id text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'opportunity_line_item', 'opportunity_id')
       AND sales_kpi.sync_has(s, 'opportunity_line_item', 'product_2_id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_opp_products
            SELECT DISTINCT ON (s.opportunity_id) s.opportunity_id::text, s.product_2_id::text
            FROM %1$I.opportunity_line_item s JOIN pg_temp.sync_opp_ids i ON %5$s
            WHERE NOT coalesce(%2$s, false) AND coalesce(%3$s, true) AND s.product_2_id IS NOT NULL
            ORDER BY s.opportunity_id, %4$s DESC NULLS LAST, s.product_2_id $q$,
            s, sales_kpi.sync_col(s, 'opportunity_line_item', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'opportunity_line_item', '_fivetran_active')
                 THEN 's._fivetran_active' ELSE 'true' END,
            sales_kpi.sync_col(s, 'opportunity_line_item', 'total_price', 'numeric'),
            sales_kpi.sync_match(s, 'opportunity_line_item', 'opportunity_id', 's', 'i.deal_id'));
    END IF;

    -- The deals' current rows (a deal deleted or without an active row is
    -- deleted), mapped to the model, with every rule they break.
    DROP TABLE IF EXISTS pg_temp.sync_opps;
    active := CASE WHEN sales_kpi.sync_has(s, 'opportunity', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_opps ON COMMIT DROP AS
        SELECT i.deal_id AS source_key, i.deal_id, o.rep_id, o.customer_id, p.product_id, NULL::text AS pipeline,
               o.name, o.stage,
               o.amount, o.probability, o.forecast_category, o.close_date, NULL::timestamptz AS closed_time,
               o.created_at, o.is_closed, o.is_won,
               o.deal_id IS NULL OR o.is_deleted AS deleted, NULL::text AS rule, o.currency, o.lost_reason
        FROM pg_temp.sync_opp_ids i
        LEFT JOIN (
            SELECT DISTINCT ON (s.id) s.id::text AS deal_id, s.owner_id::text AS rep_id,
                   %9$s AS customer_id, %1$s AS name, s.stage_name::text AS stage,
                   s.amount::numeric AS amount, %2$s / 100 AS probability,
                   sales_kpi.sync_forecast_category(%3$s) AS forecast_category,
                   %4$s AS close_date, %5$s AS created_at, s.is_closed::boolean AS is_closed,
                   s.is_won::boolean AS is_won, coalesce(s.is_deleted::boolean, false) AS is_deleted,
                   upper(btrim(%10$s)) AS currency, nullif(btrim(%11$s), '') AS lost_reason
            FROM %6$I.opportunity s JOIN pg_temp.sync_opp_ids i ON %8$s
            WHERE coalesce(%7$s, true)
            ORDER BY s.id, s._fivetran_synced DESC) o ON o.deal_id = i.deal_id
        LEFT JOIN pg_temp.sync_opp_products p ON p.deal_id = i.deal_id $q$,
        sales_kpi.sync_col(s, 'opportunity', 'name', 'text'),
        sales_kpi.sync_col(s, 'opportunity', 'probability', 'numeric'),
        sales_kpi.sync_col(s, 'opportunity', 'forecast_category', 'text'),
        sales_kpi.sync_col(s, 'opportunity', 'close_date', 'date'),
        sales_kpi.sync_col(s, 'opportunity', 'created_date', 'timestamptz'), s, active,
        sales_kpi.sync_match(s, 'opportunity', 'id', 's', 'i.deal_id'),
        -- without the account table the customers are not synced: no customer
        CASE WHEN sales_kpi.sync_has(s, 'account', 'id') THEN 's.account_id::text' ELSE 'NULL::text' END,
        -- (in a multi-currency org)
        sales_kpi.sync_col(s, 'opportunity', 'currency_iso_code', 'text'),
        sales_kpi.sync_col(s, 'opportunity', 'loss_reason', 'text'));
    ANALYZE pg_temp.sync_opps;
    PERFORM sales_kpi.sync_check_deals('pg_temp.sync_opps');

    -- Every History Mode version of those deals.
    DROP TABLE IF EXISTS pg_temp.sync_opp_versions;
    CREATE TEMP TABLE sync_opp_versions (deal_id text, since timestamptz, until timestamptz, active boolean,
                                         rep_id text, customer_id text, pipeline text, name text, stage text,
                                         amount numeric,
                                         probability numeric, forecast_category text, close_date date,
                                         created_at timestamptz, is_closed boolean, is_won boolean,
                                         is_deleted boolean, rule text, currency text, lost_reason text) ON COMMIT DROP;
    IF history THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_opp_versions
            SELECT s.id::text, %1$s, %2$s, s._fivetran_active::boolean, s.owner_id::text, %11$s, NULL,
                   %3$s, s.stage_name::text, s.amount::numeric, %4$s / 100, sales_kpi.sync_forecast_category(%5$s),
                   %6$s, %7$s, s.is_closed::boolean, s.is_won::boolean, coalesce(%8$s, false), NULL,
                   upper(btrim(%12$s)), nullif(btrim(%13$s), '')
            FROM %9$I.opportunity_history s JOIN pg_temp.sync_opp_ids i ON %10$s $q$,
            sales_kpi.sync_col(s, 'opportunity_history', '_fivetran_start', 'timestamptz'),
            sales_kpi.sync_col(s, 'opportunity_history', '_fivetran_end', 'timestamptz'),
            sales_kpi.sync_col(s, 'opportunity_history', 'name', 'text'),
            sales_kpi.sync_col(s, 'opportunity_history', 'probability', 'numeric'),
            sales_kpi.sync_col(s, 'opportunity_history', 'forecast_category', 'text'),
            sales_kpi.sync_col(s, 'opportunity_history', 'close_date', 'date'),
            sales_kpi.sync_col(s, 'opportunity_history', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'opportunity_history', 'is_deleted', 'boolean'), s,
            sales_kpi.sync_match(s, 'opportunity_history', 'id', 's', 'i.deal_id'),
            CASE WHEN sales_kpi.sync_has(s, 'account', 'id') THEN 's.account_id::text' ELSE 'NULL::text' END,
            sales_kpi.sync_col(s, 'opportunity_history', 'currency_iso_code', 'text'),
            sales_kpi.sync_col(s, 'opportunity_history', 'loss_reason', 'text'));
        ANALYZE pg_temp.sync_opp_versions;
        -- A deal with a dirty version is dirty as a whole.
        PERFORM sales_kpi.sync_check_deals('pg_temp.sync_opp_versions', true);
        UPDATE pg_temp.sync_opps o SET rule = 'the version from ' || v.since || ': ' || v.rule
        FROM (SELECT DISTINCT ON (v.deal_id) v.deal_id, v.since, v.rule FROM pg_temp.sync_opp_versions v
              WHERE v.rule IS NOT NULL ORDER BY v.deal_id, v.since) v
        WHERE o.deal_id = v.deal_id AND o.rule IS NULL;
    END IF;

    -- The stage catalog: the org's opportunity_stage when landed (order,
    -- default probability, flags, label); a stage it does not list (or
    -- without it, a stage new to the catalog) is added with the flags most
    -- of its deals carry.  A deal whose flags disagree with its stage's is
    -- dirty.
    PERFORM sales_kpi.sync_stage_start();
    stage_table := sales_kpi.sync_has(s, 'opportunity_stage', 'api_name')
                   OR sales_kpi.sync_has(s, 'opportunity_stage', 'master_label');
    qs := 0;
    IF stage_table THEN
        DROP TABLE IF EXISTS pg_temp.sync_stages;
        EXECUTE format($q$
            CREATE TEMP TABLE sync_stages ON COMMIT DROP AS
            SELECT coalesce(%1$s, %2$s) AS source_key, NULL::text AS pipeline, coalesce(%1$s, %2$s) AS name,
                   %2$s AS label, %3$s AS pipeline_order, %4$s / 100 AS default_probability,
                   %5$s AS is_closed, %6$s AS is_won,
                   coalesce(%7$s, false) OR NOT coalesce(%8$s, true) AS deleted, NULL::text AS rule
            FROM %9$I.opportunity_stage s
            WHERE coalesce(%1$s, %2$s) IS NOT NULL $q$,
            sales_kpi.sync_col(s, 'opportunity_stage', 'api_name', 'text'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'master_label', 'text'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'sort_order', 'integer'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'default_probability', 'numeric'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'is_closed', 'boolean'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'is_won', 'boolean'),
            sales_kpi.sync_col(s, 'opportunity_stage', '_fivetran_deleted', 'boolean'),
            sales_kpi.sync_col(s, 'opportunity_stage', 'is_active', 'boolean'), s);
        qs := sales_kpi.sync_stage_catalog(src, s, 'opportunity_stage', coalesce(CASE WHEN sales_kpi.sync_has(s, 'opportunity_stage', 'api_name') THEN 'api_name' END, 'master_label'), 'pg_temp.sync_stages');
    END IF;
    PERFORM sales_kpi.sync_stage_flags('pg_temp.sync_opps');
    RETURN QUERY SELECT 'stages'::text,
                        (SELECT count(*) FROM pg_temp.sync_stage_result WHERE change = 'inserted'),
                        (SELECT count(*) FROM pg_temp.sync_stage_result WHERE change = 'updated'), 0::bigint, qs;
    UPDATE pg_temp.sync_opps o SET rule = 'is_closed/is_won disagree with the catalog''s flags for stage ' || quote_literal(o.stage)
    WHERE o.rule IS NULL AND NOT o.deleted
      AND @extschema@.stage_outcome(NULL, o.stage)
          <> CASE WHEN o.is_won THEN 'won' WHEN o.is_closed THEN 'lost' ELSE 'open' END;

    qn := sales_kpi.sync_quarantine(src, s, 'opportunity', 'id', 'pg_temp.sync_opps');
    n := sales_kpi.sync_write_deals('pg_temp.sync_opps', 'pg_temp.sync_opp_versions');
    SELECT count(*) INTO ins FROM pg_temp.sync_deal_result WHERE change = 'inserted';
    RETURN QUERY SELECT 'deals'::text, ins,
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'updated'),
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'deleted'), qn;

    -- Dated exchange rates (a multi-currency org with advanced currency
    -- management): the rates of each currency the org lists replace the
    -- model's.  Salesforce gives units of the currency per corporate unit;
    -- the model keeps corporate units per unit, 1 / conversion_rate (to
    -- numeric division's precision, at least 16 significant digits, trailing
    -- zeros dropped: 0.8 gives 1.25).  Read
    -- whole at every sync (a few rows per currency and month).
    IF sales_kpi.sync_has(s, 'dated_conversion_rate', 'iso_code') THEN
        DROP TABLE IF EXISTS pg_temp.sync_rates;
        EXECUTE format($q$
            CREATE TEMP TABLE sync_rates ON COMMIT DROP AS
            SELECT r.*, CASE
                   WHEN r.currency IS NULL OR r.currency !~ '^[A-Z]{3}$'
                       THEN 'the iso_code ' || coalesce(quote_literal(r.currency), 'NULL') || ' is not an ISO 4217 code'
                   WHEN r.start_date IS NULL THEN 'the start_date is missing'
                   WHEN r.next_start_date <= r.start_date THEN 'next_start_date is not after start_date'
                   WHEN r.conversion_rate IS NULL OR NOT r.conversion_rate > 0 OR r.conversion_rate = 'Infinity'
                       THEN 'the conversion_rate is not a positive number'
                   WHEN lead(r.start_date) OVER w < coalesce(r.next_start_date, 'infinity')
                       THEN 'overlaps the rate from ' || lead(r.start_date) OVER w END AS rule,
                   false AS deleted
            FROM (SELECT coalesce(%1$s, upper(btrim(%2$s)) || ':' || %3$s) AS source_key,
                         upper(btrim(%2$s)) AS currency, %3$s AS start_date, %4$s AS next_start_date,
                         %5$s AS conversion_rate
                  FROM %6$I.dated_conversion_rate s
                  WHERE NOT coalesce(%7$s, false)) r
            WINDOW w AS (PARTITION BY r.currency ORDER BY r.start_date) $q$,
            CASE WHEN sales_kpi.sync_has(s, 'dated_conversion_rate', 'id') THEN 's.id::text' ELSE 'NULL::text' END,
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'iso_code', 'text'),
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'start_date', 'date'),
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'next_start_date', 'date'),
            sales_kpi.sync_col(s, 'dated_conversion_rate', 'conversion_rate', 'numeric'), s,
            sales_kpi.sync_col(s, 'dated_conversion_rate', '_fivetran_deleted', 'boolean'));
        qn := sales_kpi.sync_quarantine(src, s, 'dated_conversion_rate',
                                        CASE WHEN sales_kpi.sync_has(s, 'dated_conversion_rate', 'id') THEN 'id' ELSE 'iso_code' END,
                                        'pg_temp.sync_rates');
        -- a currency with a dirty rate keeps its rates as they were; the
        -- others become the org's (a rate already there as it is stays)
        DELETE FROM pg_temp.sync_rates r
        WHERE r.currency IN (SELECT x.currency FROM pg_temp.sync_rates x WHERE x.rule IS NOT NULL)
           OR r.currency IS NULL;
        DELETE FROM sales_kpi.exchange_rates x
        WHERE x.currency IN (SELECT r.currency FROM pg_temp.sync_rates r)
          AND NOT EXISTS (SELECT FROM pg_temp.sync_rates r
                          WHERE r.currency = x.currency AND daterange(r.start_date, r.next_start_date) = x.valid
                            AND 1 / r.conversion_rate = x.rate);
        GET DIAGNOSTICS del = ROW_COUNT;
        INSERT INTO sales_kpi.exchange_rates (currency, valid, rate)
        SELECT r.currency, daterange(r.start_date, r.next_start_date), trim_scale(1 / r.conversion_rate)
        FROM pg_temp.sync_rates r
        WHERE NOT EXISTS (SELECT FROM sales_kpi.exchange_rates x
                          WHERE x.currency = r.currency AND x.valid = daterange(r.start_date, r.next_start_date));
        GET DIAGNOSTICS ins = ROW_COUNT;
        RETURN QUERY SELECT 'exchange_rates'::text, ins, 0::bigint, del, qn;
    END IF;

    -- Deleted accounts and products leave once nothing refers to them.
    DELETE FROM sales_kpi.customers c USING pg_temp.sync_accounts a
    WHERE a.deleted AND c.customer_id = a.customer_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.customer_id = c.customer_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.customer_id = c.customer_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.subscriptions x WHERE x.customer_id = c.customer_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'customers'::text, customers_inserted, customers_updated, del, customers_quarantined;
    DELETE FROM sales_kpi.products x USING pg_temp.sync_products p
    WHERE p.deleted AND x.product_id = p.product_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.product_id = x.product_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.product_id = x.product_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'products'::text, products_inserted, products_updated, del, products_quarantined;

    ------------------------------------------------------------------------
    -- Tasks and events -> activities.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_activities;
    CREATE TEMP TABLE sync_activities (source_table text, source_key text, activity_id text, rep_id text,
                                       deal_id text, kind text, subject text, created_at timestamptz,
                                       due_at timestamptz, completed_at timestamptz, deleted boolean,
                                       rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'task', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_activities
            SELECT DISTINCT ON (s.id) 'task', s.id::text, s.id::text, %1$s, %2$s,
                   CASE lower(coalesce(%3$s, %4$s, '')) WHEN 'call' THEN 'call' WHEN 'email' THEN 'email'
                                                        ELSE 'task' END,
                   %5$s, %6$s, %7$s, coalesce(%8$s, CASE WHEN %9$s THEN %10$s END),
                   coalesce(%11$s, false) OR NOT coalesce(%12$s, true), NULL
            FROM %13$I.task s
            WHERE s.id IS NOT NULL AND (%14$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%15$L, %16$L, 'task')))
            ORDER BY s.id, coalesce(%12$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'task', 'owner_id', 'text'), sales_kpi.sync_col(s, 'task', 'what_id', 'text'),
            sales_kpi.sync_col(s, 'task', 'task_subtype', 'text'), sales_kpi.sync_col(s, 'task', 'type', 'text'),
            sales_kpi.sync_col(s, 'task', 'subject', 'text'), sales_kpi.sync_col(s, 'task', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'activity_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'completed_date_time', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'is_closed', 'boolean'),
            sales_kpi.sync_col(s, 'task', 'last_modified_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'task', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'task', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END,
            s, sales_kpi.sync_unread(src, s, 'task'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('task', n);
    END IF;
    IF sales_kpi.sync_has(s, 'event', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_activities
            SELECT DISTINCT ON (s.id) 'event', s.id::text, s.id::text, %1$s, %2$s, 'meeting', %3$s, %4$s, NULL,
                   %5$s, coalesce(%6$s, false) OR NOT coalesce(%7$s, true), NULL
            FROM %8$I.event s
            WHERE s.id IS NOT NULL AND (%9$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%10$L, %11$L, 'event')))
            ORDER BY s.id, coalesce(%7$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'event', 'owner_id', 'text'), sales_kpi.sync_col(s, 'event', 'what_id', 'text'),
            sales_kpi.sync_col(s, 'event', 'subject', 'text'), sales_kpi.sync_col(s, 'event', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'event', 'end_date_time', 'timestamptz'),
            sales_kpi.sync_col(s, 'event', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'event', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END,
            s, sales_kpi.sync_unread(src, s, 'event'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('event', n);
    END IF;
    ANALYZE pg_temp.sync_activities;
    RETURN QUERY SELECT * FROM sales_kpi.sync_write_activities(src, s, 'id', 'pg_temp.sync_activities');

    ------------------------------------------------------------------------
    -- Leads.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_leads;
    CREATE TEMP TABLE sync_leads (source_key text, lead_id text, rep_id text, name text, source text, status text,
                                  created_at timestamptz, converted_on date, converted_deal_id text, deleted boolean,
                                  rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'lead', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_leads
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s, %3$s, %4$s, %5$s, %6$s, %7$s,
                   coalesce(%8$s, false) OR NOT coalesce(%9$s, true), NULL
            FROM %10$I.lead s
            WHERE s.id IS NOT NULL AND (%11$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%12$L, %13$L, 'lead')))
            ORDER BY s.id, coalesce(%9$s, true) DESC $q$,
            sales_kpi.sync_col(s, 'lead', 'owner_id', 'text'), sales_kpi.sync_col(s, 'lead', 'name', 'text'),
            sales_kpi.sync_col(s, 'lead', 'lead_source', 'text'), sales_kpi.sync_col(s, 'lead', 'status', 'text'),
            sales_kpi.sync_col(s, 'lead', 'created_date', 'timestamptz'),
            sales_kpi.sync_col(s, 'lead', 'converted_date', 'date'),
            sales_kpi.sync_col(s, 'lead', 'converted_opportunity_id', 'text'),
            sales_kpi.sync_col(s, 'lead', 'is_deleted', 'boolean'),
            CASE WHEN sales_kpi.sync_has(s, 'lead', '_fivetran_active') THEN 's._fivetran_active' ELSE 'true' END,
            s, sales_kpi.sync_unread(src, s, 'lead'), src, s);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('lead', n);
    END IF;
    ANALYZE pg_temp.sync_leads;
    -- An owner that is not a rep (a lead queue) leaves the lead unowned.
    UPDATE pg_temp.sync_leads l SET rep_id = NULL
    WHERE NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = l.rep_id);
    UPDATE pg_temp.sync_leads SET rule = CASE WHEN created_at IS NULL THEN 'created_date is missing'
                                              WHEN converted_on < (created_at AT TIME ZONE 'UTC')::date
                                              THEN 'converted before created' END
    WHERE NOT deleted;
    qn := sales_kpi.sync_quarantine(src, s, 'lead', 'id', 'pg_temp.sync_leads');
    SELECT count(*) INTO ins FROM pg_temp.sync_leads l
    WHERE l.rule IS NULL AND NOT l.deleted AND NOT EXISTS (SELECT FROM sales_kpi.leads x WHERE x.lead_id = l.lead_id);
    MERGE INTO sales_kpi.leads x
    USING (SELECT * FROM pg_temp.sync_leads WHERE rule IS NULL AND NOT deleted) l
    ON x.lead_id = l.lead_id
    WHEN MATCHED AND (x.rep_id, x.name, x.source, x.status, x.created_at, x.converted_on, x.converted_deal_id)
                     IS DISTINCT FROM (l.rep_id, l.name, l.source, l.status, l.created_at, l.converted_on, l.converted_deal_id) THEN
        UPDATE SET rep_id = l.rep_id, name = l.name, source = l.source, status = l.status, created_at = l.created_at,
                   converted_on = l.converted_on, converted_deal_id = l.converted_deal_id
    WHEN NOT MATCHED THEN
        INSERT (lead_id, rep_id, name, source, status, created_at, converted_on, converted_deal_id)
        VALUES (l.lead_id, l.rep_id, l.name, l.source, l.status, l.created_at, l.converted_on, l.converted_deal_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.leads', n);
    DELETE FROM sales_kpi.leads x USING pg_temp.sync_leads l WHERE l.deleted AND x.lead_id = l.lead_id;
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'leads'::text, ins, n - ins, del, qn;

    ------------------------------------------------------------------------
    -- Watermarks: what was read is not read again.
    ------------------------------------------------------------------------
    PERFORM sales_kpi.sync_end(src, s);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_salesforce(name) IS
    'Loads the model from a Fivetran Salesforce schema, incrementally (rows synced since the last run, and the quarantined ones); one row per model table: inserted, updated, deleted, quarantined';
REVOKE ALL ON FUNCTION sales_kpi.sync_salesforce(name) FROM PUBLIC;
