-- sales_kpi.sync_hubspot(source_schema): the model from the tables
-- Fivetran's HubSpot connector lands, incrementally.
--
--   owner                   -> reps       owner_id, first_name last_name
--                                         (else email), email, hired_on
--                                         (created_at)
--   deal_pipeline_stage     -> stages     (pipeline_id, stage_id), label,
--                                         display_order, probability,
--                                         is_closed, closed_won
--   company                 -> customers  id, property_name, segment
--                                         (property_type), region
--                                         (property_country), acquired_on
--                                         (property_createdate)
--   deal (+ deal_company)   -> deals      deal_id, owner_id, deal_pipeline_id,
--                                         deal_pipeline_stage_id,
--                                         property_amount, property_dealname,
--                                         property_createdate,
--                                         property_closedate (its UTC date),
--                                         property_hs_forecast_category,
--                                         property_hs_forecast_probability,
--                                         property_deal_currency_code,
--                                         property_closed_lost_reason (when
--                                         landed);
--                                         customer_id: the deal's primary
--                                         company (association type 5), else
--                                         its first
--   deal_property_history   -> deal_history: a version at every change of
--     (+ deal_stage)                      dealstage, pipeline, amount,
--                                         closedate, hubspot_owner_id,
--                                         dealname, hs_forecast_category,
--                                         hs_forecast_probability,
--                                         deal_currency_code, closed_lost_reason
--   engagement_call, _email, -> activities  call, email, meeting, task;
--     _meeting, _task                     linked to a deal by engagement_deal
--     (+ engagement, engagement_deal)
--
-- HubSpot has no products on a deal here (line items are not read), no
-- teams, managers, leads or contract terms: those stay the user's, as do a
-- rep's region, left_on, first_contact_at and login, and a customer's
-- churned_on.  The sync never overwrites a column it does not map.
--
-- A deal's outcome is its stage's (closed_won, is_closed of
-- deal_pipeline_stage); a deal in a stage its pipeline does not list is
-- dirty.  closed_at is the start of the version in which the deal entered
-- the closed stage it is in (the start of its last closed streak); without
-- property history, property_closedate, or property_createdate when that is
-- later.  A deal merged into another (merged_deal) or deleted leaves the
-- model; HubSpot does not say when a deal was deleted, so its history ends
-- when the connector saw the deletion (the deal row's _fivetran_synced).
--
-- Property values are text: amounts must read as numbers, closedate as a
-- time (an ISO time or epoch milliseconds); a value that does not is a
-- dirty deal.
--
-- Incremental as sync_salesforce: rows synced after each table's watermark
-- (less sales_kpi.sync_lookback) and the quarantined ones; a deal any of
-- whose rows changed is re-read whole.

-- A HubSpot time as text: ISO 8601, or epoch milliseconds as HubSpot's API
-- writes them.  NULL for an empty value; an error for anything else.
CREATE FUNCTION sales_kpi.sync_hubspot_time(value text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN value IS NULL OR btrim(value) = '' THEN NULL
                WHEN btrim(value) ~ '^-?[0-9]{1,15}$' THEN to_timestamp(btrim(value)::numeric / 1000)
                ELSE (btrim(value)::timestamp AT TIME ZONE 'UTC') END
$$;
COMMENT ON FUNCTION sales_kpi.sync_hubspot_time(text) IS
    'A HubSpot time written as text (ISO 8601, read as UTC without a zone, or epoch milliseconds)';

-- Whether a HubSpot property value reads as the type (for the dirty check).
CREATE FUNCTION sales_kpi.sync_hubspot_reads(value text, typ text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR btrim(value) = '' THEN
        RETURN true;
    ELSIF typ = 'numeric' THEN
        PERFORM value::numeric;
    ELSIF typ = 'timestamptz' THEN
        PERFORM sales_kpi.sync_hubspot_time(value);
    END IF;
    RETURN true;
EXCEPTION WHEN data_exception THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_hubspot_reads(text, text) IS
    'Whether a HubSpot property value (text) reads as numeric or timestamptz';

-- (jit is off: a sync runs dozens of statements over a few thousand rows
-- each, whose estimated costs would compile every one of them.)
CREATE FUNCTION sales_kpi.sync_hubspot(source_schema name)
RETURNS TABLE (model_table text, inserted bigint, updated bigint, deleted bigint, quarantined bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    src constant text := 'hubspot';
    s constant name := source_schema;
    history boolean;
    stage_history boolean;
    n bigint;
    ins bigint;
    del bigint;
    qn bigint;
    qs bigint;
    customers_inserted bigint;
    customers_updated bigint;
    customers_quarantined bigint;
    merged text;
    company_sql text;
    kind text;
    tbl text;
BEGIN
    PERFORM sales_kpi.sync_schema(s);
    PERFORM sales_kpi.sync_require(src, s, 'deal',
        ARRAY['deal_id', 'is_deleted', 'deal_pipeline_id', 'deal_pipeline_stage_id', 'owner_id', 'property_amount',
              'property_createdate', 'property_closedate', '_fivetran_synced']);
    PERFORM sales_kpi.sync_require(src, s, 'deal_pipeline', ARRAY['pipeline_id']);
    PERFORM sales_kpi.sync_require(src, s, 'deal_pipeline_stage',
        ARRAY['stage_id', 'label', 'pipeline_id', 'closed_won', 'is_closed', 'probability', 'display_order']);
    PERFORM sales_kpi.sync_require(src, s, 'owner', ARRAY['owner_id', 'email', 'first_name', 'last_name']);
    history := sales_kpi.sync_has(s, 'deal_property_history');
    IF history THEN
        PERFORM sales_kpi.sync_require(src, s, 'deal_property_history', ARRAY['deal_id', 'timestamp', 'name', 'value']);
    END IF;
    stage_history := sales_kpi.sync_has(s, 'deal_stage', 'deal_id') AND sales_kpi.sync_has(s, 'deal_stage', 'value')
                     AND sales_kpi.sync_has(s, 'deal_stage', 'date_entered');
    -- One sync of a schema at a time.
    PERFORM pg_advisory_xact_lock(hashtext('sales_kpi.sync_hubspot'), hashtext(s));
    PERFORM sales_kpi.sync_begin(s, ARRAY['owner', 'deal_pipeline', 'deal_pipeline_stage', 'company', 'deal',
                                          'deal_company', 'deal_property_history', 'deal_stage', 'merged_deal',
                                          'engagement', 'engagement_deal', 'engagement_call', 'engagement_email',
                                          'engagement_meeting', 'engagement_task']);

    ------------------------------------------------------------------------
    -- Owners -> reps.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_owners;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_owners ON COMMIT DROP AS
        SELECT DISTINCT ON (s.owner_id) s.owner_id::text AS source_key, s.owner_id::text AS rep_id,
               coalesce(nullif(btrim(concat_ws(' ', %1$s, %2$s)), ''), nullif(btrim(%3$s), '')) AS name,
               %3$s AS email, %4$s AS hired_on, coalesce(%5$s, false) AS deleted, NULL::text AS rule
        FROM %6$I.owner s
        WHERE s.owner_id IS NOT NULL
          AND (%7$s OR s.owner_id::text IN (SELECT sales_kpi.sync_quarantined(%8$L, %6$L, 'owner')))
        ORDER BY s.owner_id, %9$s $q$,
        sales_kpi.sync_col(s, 'owner', 'first_name', 'text'), sales_kpi.sync_col(s, 'owner', 'last_name', 'text'),
        sales_kpi.sync_col(s, 'owner', 'email', 'text'), sales_kpi.sync_col(s, 'owner', 'created_at', 'date'),
        sales_kpi.sync_col(s, 'owner', '_fivetran_deleted', 'boolean'), s,
        sales_kpi.sync_unread(src, s, 'owner'), src,
        CASE WHEN sales_kpi.sync_has(s, 'owner', '_fivetran_synced') THEN 's._fivetran_synced DESC' ELSE 'NULL::integer' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('owner', n);
    ANALYZE pg_temp.sync_owners;
    UPDATE pg_temp.sync_owners SET rule = 'the owner has no name and no email' WHERE NOT deleted AND name IS NULL;
    qn := sales_kpi.sync_quarantine(src, s, 'owner', 'owner_id', 'pg_temp.sync_owners');
    SELECT count(*) INTO ins FROM pg_temp.sync_owners o
    WHERE o.rule IS NULL AND NOT o.deleted AND NOT EXISTS (SELECT FROM sales_kpi.reps r WHERE r.rep_id = o.rep_id);
    EXECUTE format($q$
        MERGE INTO sales_kpi.reps r
        USING (SELECT * FROM pg_temp.sync_owners WHERE rule IS NULL AND NOT deleted) o
        ON r.rep_id = o.rep_id
        WHEN MATCHED AND (r.name, r.email %1$s) IS DISTINCT FROM (o.name, o.email %2$s) THEN
            UPDATE SET name = o.name, email = o.email %3$s
        WHEN NOT MATCHED THEN
            INSERT (rep_id, name, email, hired_on) VALUES (o.rep_id, o.name, o.email, o.hired_on) $q$,
        CASE WHEN sales_kpi.sync_has(s, 'owner', 'created_at') THEN ', r.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'owner', 'created_at') THEN ', o.hired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'owner', 'created_at') THEN ', hired_on = o.hired_on' ELSE '' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.reps', n);
    -- A deleted owner leaves the model unless the model still refers to them.
    DELETE FROM sales_kpi.reps r USING pg_temp.sync_owners o
    WHERE o.deleted AND r.rep_id = o.rep_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.activities a WHERE a.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.quotas q WHERE q.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.leads l WHERE l.rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.customers c WHERE c.referred_by_rep_id = r.rep_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.reps m WHERE m.manager_id = r.rep_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'reps'::text, ins, n - ins, del, qn;

    ------------------------------------------------------------------------
    -- Pipelines and their stages -> the stage catalog (read whole: small).
    ------------------------------------------------------------------------
    PERFORM sales_kpi.sync_stage_start();
    DROP TABLE IF EXISTS pg_temp.sync_stages;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_stages ON COMMIT DROP AS
        SELECT DISTINCT ON (s.pipeline_id, s.stage_id)
               s.pipeline_id::text || '/' || s.stage_id::text AS source_key, s.pipeline_id::text AS pipeline,
               s.stage_id::text AS name, s.label::text AS label, s.display_order::integer AS pipeline_order,
               s.probability::numeric AS default_probability, s.is_closed::boolean AS is_closed,
               s.closed_won::boolean AS is_won,
               coalesce(%1$s, false) OR NOT coalesce(%2$s, true) AS deleted, NULL::text AS rule
        FROM %3$I.deal_pipeline_stage s
        WHERE s.stage_id IS NOT NULL AND s.pipeline_id IS NOT NULL
        ORDER BY s.pipeline_id, s.stage_id, %4$s $q$,
        sales_kpi.sync_col(s, 'deal_pipeline_stage', '_fivetran_deleted', 'boolean'),
        sales_kpi.sync_col(s, 'deal_pipeline_stage', 'active', 'boolean'), s,
        CASE WHEN sales_kpi.sync_has(s, 'deal_pipeline_stage', '_fivetran_synced')
             THEN 's._fivetran_synced DESC' ELSE 'NULL::integer' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('deal_pipeline_stage', n);
    -- A stage's quarantine key is pipeline/stage: the source key column is
    -- the stage id, so the row found for it is any pipeline's.
    qs := sales_kpi.sync_stage_catalog(src, s, 'deal_pipeline_stage', 'stage_id', 'pg_temp.sync_stages');
    RETURN QUERY SELECT 'stages'::text,
                        (SELECT count(*) FROM pg_temp.sync_stage_result WHERE change = 'inserted'),
                        (SELECT count(*) FROM pg_temp.sync_stage_result WHERE change = 'updated'), 0::bigint, qs;

    ------------------------------------------------------------------------
    -- Companies -> customers.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_companies;
    CREATE TEMP TABLE sync_companies (source_key text, customer_id text, name text, segment text, region text,
                                      acquired_on date, deleted boolean, rule text) ON COMMIT DROP;
    IF sales_kpi.sync_has(s, 'company', 'id') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_companies
            SELECT DISTINCT ON (s.id) s.id::text, s.id::text, %1$s, %2$s, %3$s, %4$s,
                   coalesce(%5$s, false) OR coalesce(%6$s, false), NULL
            FROM %7$I.company s
            WHERE s.id IS NOT NULL AND (%8$s OR s.id::text IN (SELECT sales_kpi.sync_quarantined(%9$L, %7$L, 'company')))
            ORDER BY s.id, %10$s $q$,
            sales_kpi.sync_col(s, 'company', 'property_name', 'text'),
            sales_kpi.sync_col(s, 'company', 'property_type', 'text'),
            sales_kpi.sync_col(s, 'company', 'property_country', 'text'),
            sales_kpi.sync_col(s, 'company', 'property_createdate', 'date'),
            sales_kpi.sync_col(s, 'company', 'is_deleted', 'boolean'),
            sales_kpi.sync_col(s, 'company', '_fivetran_deleted', 'boolean'), s,
            sales_kpi.sync_unread(src, s, 'company'), src,
            CASE WHEN sales_kpi.sync_has(s, 'company', '_fivetran_synced') THEN 's._fivetran_synced DESC' ELSE 'NULL::integer' END);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read('company', n);
    END IF;
    ANALYZE pg_temp.sync_companies;
    UPDATE pg_temp.sync_companies SET rule = 'the company has no name'
    WHERE NOT deleted AND (name IS NULL OR btrim(name) = '');
    qn := sales_kpi.sync_quarantine(src, s, 'company', 'id', 'pg_temp.sync_companies');
    SELECT count(*) INTO ins FROM pg_temp.sync_companies c
    WHERE c.rule IS NULL AND NOT c.deleted
      AND NOT EXISTS (SELECT FROM sales_kpi.customers x WHERE x.customer_id = c.customer_id);
    EXECUTE format($q$
        MERGE INTO sales_kpi.customers c
        USING (SELECT * FROM pg_temp.sync_companies WHERE rule IS NULL AND NOT deleted) a
        ON c.customer_id = a.customer_id
        WHEN MATCHED AND (c.name %1$s %2$s %3$s) IS DISTINCT FROM (a.name %4$s %5$s %6$s) THEN
            UPDATE SET name = a.name %7$s %8$s %9$s
        WHEN NOT MATCHED THEN
            INSERT (customer_id, name, segment, region, acquired_on)
            VALUES (a.customer_id, a.name, a.segment, a.region, a.acquired_on) $q$,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_type') THEN ', c.segment' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_country') THEN ', c.region' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_createdate') THEN ', c.acquired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_type') THEN ', a.segment' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_country') THEN ', a.region' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_createdate') THEN ', a.acquired_on' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_type') THEN ', segment = a.segment' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_country') THEN ', region = a.region' ELSE '' END,
        CASE WHEN sales_kpi.sync_has(s, 'company', 'property_createdate') THEN ', acquired_on = a.acquired_on' ELSE '' END);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_analyze('sales_kpi.customers', n);
    customers_inserted := ins; customers_updated := n - ins; customers_quarantined := qn;

    ------------------------------------------------------------------------
    -- Deals (and their history).
    ------------------------------------------------------------------------
    -- The deals to read again: any of their rows changed, or in quarantine.
    DROP TABLE IF EXISTS pg_temp.sync_deal_ids;
    CREATE TEMP TABLE sync_deal_ids (deal_id text PRIMARY KEY) ON COMMIT DROP;
    EXECUTE format('INSERT INTO pg_temp.sync_deal_ids SELECT DISTINCT s.deal_id::text FROM %I.deal s
                    WHERE s.deal_id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                   s, sales_kpi.sync_unread(src, s, 'deal'));
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM sales_kpi.sync_read('deal', n);
    FOREACH tbl IN ARRAY ARRAY['deal_property_history', 'deal_stage', 'deal_company'] LOOP
        IF sales_kpi.sync_has(s, tbl, 'deal_id') AND sales_kpi.sync_has(s, tbl, '_fivetran_synced') THEN
            EXECUTE format('INSERT INTO pg_temp.sync_deal_ids SELECT DISTINCT s.deal_id::text FROM %I.%I s
                            WHERE s.deal_id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                           s, tbl, sales_kpi.sync_unread(src, s, tbl));
            GET DIAGNOSTICS n = ROW_COUNT;
            PERFORM sales_kpi.sync_read(tbl, n);
        END IF;
    END LOOP;
    -- deal_company without _fivetran_synced: the deals whose company differs.
    IF sales_kpi.sync_has(s, 'deal_company', 'deal_id') AND NOT sales_kpi.sync_has(s, 'deal_company', '_fivetran_synced') THEN
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_deal_ids
            SELECT d.deal_id FROM sales_kpi.deals d
            WHERE d.customer_id IS DISTINCT FROM
                  (SELECT c.company_id::text FROM %I.deal_company c WHERE c.deal_id::text = d.deal_id
                   ORDER BY %s, c.company_id LIMIT 1)
            ON CONFLICT DO NOTHING $q$,
            s, CASE WHEN sales_kpi.sync_has(s, 'deal_company', 'type_id') THEN 'c.type_id = 5 DESC' ELSE '1' END);
    END IF;
    IF sales_kpi.sync_has(s, 'merged_deal', 'merged_deal_id') THEN
        EXECUTE format('INSERT INTO pg_temp.sync_deal_ids SELECT DISTINCT s.merged_deal_id::text FROM %I.merged_deal s
                        WHERE s.merged_deal_id IS NOT NULL AND %s ON CONFLICT DO NOTHING',
                       s, sales_kpi.sync_unread(src, s, 'merged_deal'));
    END IF;
    INSERT INTO pg_temp.sync_deal_ids SELECT sales_kpi.sync_quarantined(src, s, 'deal') ON CONFLICT DO NOTHING;
    ANALYZE pg_temp.sync_deal_ids;

    -- Each deal's company: the primary association, else the first.
    -- (without the company table the customers are not synced: no customer)
    company_sql := CASE WHEN sales_kpi.sync_has(s, 'deal_company', 'company_id')
                             AND sales_kpi.sync_has(s, 'company', 'id') THEN format(
        'SELECT DISTINCT ON (c.deal_id) c.deal_id::text AS deal_id, c.company_id::text AS customer_id
         FROM %I.deal_company c JOIN pg_temp.sync_deal_ids i ON %s
         WHERE c.company_id IS NOT NULL
         ORDER BY c.deal_id, %s, c.company_id', s, sales_kpi.sync_match(s, 'deal_company', 'deal_id', 'c', 'i.deal_id'),
        CASE WHEN sales_kpi.sync_has(s, 'deal_company', 'type_id') THEN 'c.type_id = 5 DESC' ELSE '1' END)
        ELSE 'SELECT NULL::text AS deal_id, NULL::text AS customer_id WHERE false' END;
    merged := CASE WHEN sales_kpi.sync_has(s, 'merged_deal', 'merged_deal_id')
                   THEN format('s.deal_id IN (SELECT m.merged_deal_id FROM %I.merged_deal m)', s) ELSE 'false' END;

    -- The deals' current rows (a deal deleted or merged away is deleted),
    -- mapped to the model; their outcome is their stage's.
    DROP TABLE IF EXISTS pg_temp.sync_deals;
    EXECUTE format($q$
        CREATE TEMP TABLE sync_deals ON COMMIT DROP AS
        SELECT i.deal_id AS source_key, i.deal_id, o.rep_id, co.customer_id, NULL::text AS product_id, o.pipeline,
               o.name, o.stage, o.amount, o.probability, o.forecast_category, o.close_date, o.closed_time,
               o.created_at, NULL::boolean AS is_closed, NULL::boolean AS is_won, o.synced,
               o.deal_id IS NULL OR o.is_deleted AS deleted, NULL::text AS rule, o.currency, o.lost_reason
        FROM pg_temp.sync_deal_ids i
        LEFT JOIN (
            SELECT DISTINCT ON (s.deal_id) s.deal_id::text AS deal_id, s.owner_id::text AS rep_id,
                   s.deal_pipeline_id::text AS pipeline, %1$s AS name, s.deal_pipeline_stage_id::text AS stage,
                   s.property_amount::numeric AS amount, %2$s AS probability,
                   sales_kpi.sync_forecast_category(%3$s) AS forecast_category,
                   %4$s AS close_date, %5$s AS closed_time, %6$s AS created_at, s._fivetran_synced AS synced,
                   coalesce(s.is_deleted::boolean, false) OR coalesce(%7$s, false) OR %8$s AS is_deleted,
                   upper(nullif(btrim(%12$s), '')) AS currency, nullif(btrim(%13$s), '') AS lost_reason
            FROM %9$I.deal s JOIN pg_temp.sync_deal_ids i ON %11$s
            ORDER BY s.deal_id, s._fivetran_synced DESC) o ON o.deal_id = i.deal_id
        LEFT JOIN (%10$s) co ON co.deal_id = i.deal_id $q$,
        sales_kpi.sync_col(s, 'deal', 'property_dealname', 'text'),
        sales_kpi.sync_col(s, 'deal', 'property_hs_forecast_probability', 'numeric'),
        sales_kpi.sync_col(s, 'deal', 'property_hs_forecast_category', 'text'),
        sales_kpi.sync_col(s, 'deal', 'property_closedate', 'date'),
        sales_kpi.sync_col(s, 'deal', 'property_closedate', 'timestamptz'),
        sales_kpi.sync_col(s, 'deal', 'property_createdate', 'timestamptz'),
        sales_kpi.sync_col(s, 'deal', '_fivetran_deleted', 'boolean'), merged, s, company_sql,
        sales_kpi.sync_match(s, 'deal', 'deal_id', 's', 'i.deal_id'),
        sales_kpi.sync_col(s, 'deal', 'property_deal_currency_code', 'text'),
        sales_kpi.sync_col(s, 'deal', 'property_closed_lost_reason', 'text'));
    ANALYZE pg_temp.sync_deals;
    -- Outcome by the deal's stage; a stage its pipeline does not list is a rule broken.
    UPDATE pg_temp.sync_deals o
    SET is_closed = c.is_closed, is_won = c.is_won,
        rule = CASE WHEN c.is_closed IS NULL AND o.stage IS NOT NULL
                    THEN format('stage %s is not a stage of pipeline %s', quote_literal(o.stage),
                                coalesce(quote_literal(o.pipeline), 'NULL')) END
    FROM pg_temp.sync_deals x
    LEFT JOIN sales_kpi.stages c ON c.pipeline = x.pipeline AND c.normalized = @extschema@.stage_normalize(x.stage)
    WHERE x.deal_id = o.deal_id AND NOT o.deleted;
    PERFORM sales_kpi.sync_check_deals('pg_temp.sync_deals');

    -- Every version of those deals, from the history of their properties:
    -- a version at each time any of them changed, each property as it was
    -- last set by then (a property never recorded: its current value).
    DROP TABLE IF EXISTS pg_temp.sync_deal_versions;
    CREATE TEMP TABLE sync_deal_versions (deal_id text, since timestamptz, until timestamptz, active boolean,
                                          rep_id text, customer_id text, pipeline text, name text, stage text,
                                          amount numeric, probability numeric, forecast_category text,
                                          close_date date, created_at timestamptz, is_closed boolean, is_won boolean,
                                          is_deleted boolean, rule text, currency text, lost_reason text) ON COMMIT DROP;
    IF history OR stage_history THEN
        DROP TABLE IF EXISTS pg_temp.sync_deal_changes;
        CREATE TEMP TABLE sync_deal_changes (deal_id text, at timestamptz, name text, value text) ON COMMIT DROP;
        IF history THEN
            EXECUTE format($q$
                INSERT INTO pg_temp.sync_deal_changes
                SELECT s.deal_id::text, %1$s, s.name::text, s.value::text
                FROM %2$I.deal_property_history s JOIN pg_temp.sync_deal_ids i ON %3$s
                WHERE s.name IN ('dealstage', 'pipeline', 'amount', 'closedate', 'hubspot_owner_id', 'dealname',
                                 'hs_forecast_category', 'hs_forecast_probability', 'deal_currency_code',
                                 'closed_lost_reason') $q$,
                sales_kpi.sync_col(s, 'deal_property_history', 'timestamp', 'timestamptz'), s,
                sales_kpi.sync_match(s, 'deal_property_history', 'deal_id', 's', 'i.deal_id'));
        END IF;
        IF stage_history THEN
            EXECUTE format($q$
                INSERT INTO pg_temp.sync_deal_changes
                SELECT s.deal_id::text, %1$s, 'dealstage', s.value::text
                FROM %2$I.deal_stage s JOIN pg_temp.sync_deal_ids i ON %3$s $q$,
                sales_kpi.sync_col(s, 'deal_stage', 'date_entered', 'timestamptz'), s,
                sales_kpi.sync_match(s, 'deal_stage', 'deal_id', 's', 'i.deal_id'));
        END IF;
        ANALYZE pg_temp.sync_deal_changes;
        -- The running value of each property: the latest (time, value) by a
        -- running max over the time-prefixed value, in one pass.
        INSERT INTO pg_temp.sync_deal_versions
        WITH c AS (
            SELECT DISTINCT ON (deal_id, name, at) deal_id, at, name, value
            FROM pg_temp.sync_deal_changes WHERE at IS NOT NULL
            ORDER BY deal_id, name, at, value
        ), t AS (
            SELECT deal_id, at,
                   max(CASE WHEN name = 'dealstage' THEN k END) AS stage,
                   max(CASE WHEN name = 'pipeline' THEN k END) AS pipeline,
                   max(CASE WHEN name = 'amount' THEN k END) AS amount,
                   max(CASE WHEN name = 'closedate' THEN k END) AS closedate,
                   max(CASE WHEN name = 'hubspot_owner_id' THEN k END) AS owner,
                   max(CASE WHEN name = 'dealname' THEN k END) AS dealname,
                   max(CASE WHEN name = 'hs_forecast_category' THEN k END) AS category,
                   max(CASE WHEN name = 'hs_forecast_probability' THEN k END) AS probability,
                   max(CASE WHEN name = 'deal_currency_code' THEN k END) AS currency,
                   max(CASE WHEN name = 'closed_lost_reason' THEN k END) AS lost_reason
            FROM (SELECT c.*, to_char(c.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS') || coalesce(c.value, '') AS k
                  FROM c) c
            GROUP BY deal_id, at
        ), r AS (
            SELECT t.deal_id, t.at, lead(t.at) OVER w AS next_at,
                   max(t.stage) OVER w AS stage, max(t.pipeline) OVER w AS pipeline,
                   max(t.amount) OVER w AS amount, max(t.closedate) OVER w AS closedate,
                   max(t.owner) OVER w AS owner, max(t.dealname) OVER w AS dealname,
                   max(t.category) OVER w AS category, max(t.probability) OVER w AS probability,
                   max(t.currency) OVER w AS currency, max(t.lost_reason) OVER w AS lost_reason
            FROM t
            WINDOW w AS (PARTITION BY t.deal_id ORDER BY t.at)
        ), v AS (
            SELECT r.deal_id, r.at, r.next_at,
                   CASE WHEN r.stage IS NULL THEN d.stage ELSE nullif(substr(r.stage, 21), '') END AS stage,
                   CASE WHEN r.pipeline IS NULL THEN d.pipeline ELSE nullif(substr(r.pipeline, 21), '') END AS pipeline,
                   CASE WHEN r.amount IS NULL THEN d.amount::text ELSE nullif(substr(r.amount, 21), '') END AS amount,
                   CASE WHEN r.closedate IS NULL THEN d.closed_time::text ELSE nullif(substr(r.closedate, 21), '') END
                     AS closedate,
                   CASE WHEN r.owner IS NULL THEN d.rep_id ELSE nullif(substr(r.owner, 21), '') END AS rep_id,
                   CASE WHEN r.dealname IS NULL THEN d.name ELSE nullif(substr(r.dealname, 21), '') END AS name,
                   CASE WHEN r.category IS NULL THEN d.forecast_category
                        ELSE sales_kpi.sync_forecast_category(nullif(substr(r.category, 21), '')) END
                     AS forecast_category,
                   CASE WHEN r.probability IS NULL THEN d.probability::text ELSE nullif(substr(r.probability, 21), '') END
                     AS probability,
                   CASE WHEN r.currency IS NULL THEN d.currency ELSE upper(nullif(btrim(substr(r.currency, 21)), '')) END
                     AS currency,
                   -- (before a reason was first recorded there was none: the
                   -- current one only for a deal whose reasons were never recorded)
                   CASE WHEN r.lost_reason IS NOT NULL THEN nullif(btrim(substr(r.lost_reason, 21)), '')
                        WHEN NOT EXISTS (SELECT FROM pg_temp.sync_deal_changes x
                                         WHERE x.deal_id = r.deal_id AND x.name = 'closed_lost_reason')
                        THEN d.lost_reason END
                     AS lost_reason,
                   d.customer_id, d.created_at, d.deleted, d.synced
            FROM r JOIN pg_temp.sync_deals d ON d.deal_id = r.deal_id
        )
        SELECT v.deal_id, v.at, v.next_at, v.next_at IS NULL, v.rep_id, v.customer_id, v.pipeline, v.name, v.stage,
               CASE WHEN sales_kpi.sync_hubspot_reads(v.amount, 'numeric') THEN v.amount::numeric END,
               CASE WHEN sales_kpi.sync_hubspot_reads(v.probability, 'numeric') THEN v.probability::numeric END,
               v.forecast_category,
               CASE WHEN sales_kpi.sync_hubspot_reads(v.closedate, 'timestamptz')
                    THEN (sales_kpi.sync_hubspot_time(v.closedate) AT TIME ZONE 'UTC')::date END,
               v.created_at, NULL, NULL, false,
               CASE WHEN NOT sales_kpi.sync_hubspot_reads(v.amount, 'numeric')
                        THEN 'amount ' || quote_literal(v.amount) || ' is not a number'
                    WHEN NOT sales_kpi.sync_hubspot_reads(v.probability, 'numeric')
                        THEN 'hs_forecast_probability ' || quote_literal(v.probability) || ' is not a number'
                    WHEN NOT sales_kpi.sync_hubspot_reads(v.closedate, 'timestamptz')
                        THEN 'closedate ' || quote_literal(v.closedate) || ' is not a time' END,
               v.currency, v.lost_reason
        FROM v;
        -- A deleted deal ends when the connector saw it deleted.
        INSERT INTO pg_temp.sync_deal_versions (deal_id, since, active, rep_id, customer_id, pipeline, name, stage,
                                                created_at, is_deleted)
        SELECT d.deal_id, greatest(d.synced, v.since + interval '1 millisecond'), true, v.rep_id, v.customer_id,
               v.pipeline, v.name, v.stage, v.created_at, true
        FROM pg_temp.sync_deals d
        JOIN pg_temp.sync_deal_versions v ON v.deal_id = d.deal_id AND v.active
        WHERE d.deleted AND d.synced IS NOT NULL;
        UPDATE pg_temp.sync_deal_versions v SET active = false WHERE NOT v.is_deleted AND v.active
          AND EXISTS (SELECT FROM pg_temp.sync_deal_versions x WHERE x.deal_id = v.deal_id AND x.is_deleted);
        ANALYZE pg_temp.sync_deal_versions;
        UPDATE pg_temp.sync_deal_versions v
        SET is_closed = c.is_closed, is_won = c.is_won,
            rule = coalesce(v.rule, CASE WHEN c.is_closed IS NULL
                                         THEN format('stage %s is not a stage of pipeline %s', quote_literal(v.stage),
                                                     coalesce(quote_literal(v.pipeline), 'NULL')) END)
        FROM pg_temp.sync_deal_versions x
        LEFT JOIN sales_kpi.stages c ON c.pipeline = x.pipeline AND c.normalized = @extschema@.stage_normalize(x.stage)
        WHERE x.ctid = v.ctid AND NOT v.is_deleted;
        -- A deal with a dirty version is dirty as a whole.
        PERFORM sales_kpi.sync_check_deals('pg_temp.sync_deal_versions', true);
        UPDATE pg_temp.sync_deals o SET rule = 'the version from ' || v.since || ': ' || v.rule
        FROM (SELECT DISTINCT ON (v.deal_id) v.deal_id, v.since, v.rule FROM pg_temp.sync_deal_versions v
              WHERE v.rule IS NOT NULL ORDER BY v.deal_id, v.since) v
        WHERE o.deal_id = v.deal_id AND o.rule IS NULL AND NOT o.deleted;
    END IF;

    qn := sales_kpi.sync_quarantine(src, s, 'deal', 'deal_id', 'pg_temp.sync_deals');
    PERFORM sales_kpi.sync_write_deals('pg_temp.sync_deals', 'pg_temp.sync_deal_versions');
    RETURN QUERY SELECT 'deals'::text,
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'inserted'),
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'updated'),
                        (SELECT count(*) FROM pg_temp.sync_deal_result WHERE change = 'deleted'), qn;

    -- Deleted companies leave once nothing refers to them.
    DELETE FROM sales_kpi.customers c USING pg_temp.sync_companies a
    WHERE a.deleted AND c.customer_id = a.customer_id
      AND NOT EXISTS (SELECT FROM sales_kpi.deals d WHERE d.customer_id = c.customer_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.deal_history h WHERE h.customer_id = c.customer_id)
      AND NOT EXISTS (SELECT FROM sales_kpi.subscriptions x WHERE x.customer_id = c.customer_id);
    GET DIAGNOSTICS del = ROW_COUNT;
    RETURN QUERY SELECT 'customers'::text, customers_inserted, customers_updated, del, customers_quarantined;

    ------------------------------------------------------------------------
    -- Engagements -> activities.
    ------------------------------------------------------------------------
    DROP TABLE IF EXISTS pg_temp.sync_activities;
    CREATE TEMP TABLE sync_activities (source_table text, source_key text, activity_id text, rep_id text,
                                       deal_id text, kind text, subject text, created_at timestamptz,
                                       due_at timestamptz, completed_at timestamptz, deleted boolean,
                                       rule text) ON COMMIT DROP;
    FOREACH kind IN ARRAY ARRAY['call', 'email', 'meeting', 'task'] LOOP
        tbl := 'engagement_' || kind;
        CONTINUE WHEN NOT sales_kpi.sync_has(s, tbl, 'engagement_id');
        EXECUTE format($q$
            INSERT INTO pg_temp.sync_activities
            SELECT DISTINCT ON (s.engagement_id) %1$L, s.engagement_id::text, s.engagement_id::text,
                   coalesce(%2$s, %3$s), ed.deal_id, %4$L, %5$s, coalesce(%6$s, %7$s),
                   %8$s, %9$s, coalesce(%10$s, false), NULL
            FROM %11$I.%1$I s
            LEFT JOIN (%12$s) e ON e.id = s.engagement_id
            LEFT JOIN (%13$s) ed ON ed.engagement_id = s.engagement_id
            WHERE s.engagement_id IS NOT NULL
              AND (%14$s OR %15$s
                   OR s.engagement_id::text IN (SELECT sales_kpi.sync_quarantined(%16$L, %11$L, %1$L)))
            ORDER BY s.engagement_id, %17$s $q$,
            tbl,
            sales_kpi.sync_col(s, tbl, 'property_hubspot_owner_id', 'text'),
            CASE WHEN sales_kpi.sync_has(s, 'engagement', 'owner_id') THEN 'e.owner_id::text' ELSE 'NULL::text' END,
            kind,
            CASE kind WHEN 'call' THEN sales_kpi.sync_col(s, tbl, 'property_hs_call_title', 'text')
                      WHEN 'email' THEN sales_kpi.sync_col(s, tbl, 'property_hs_email_subject', 'text')
                      WHEN 'meeting' THEN sales_kpi.sync_col(s, tbl, 'title', 'text')
                      ELSE sales_kpi.sync_col(s, tbl, 'property_hs_task_subject', 'text') END,
            sales_kpi.sync_col(s, tbl, 'property_hs_createdate', 'timestamptz'),
            CASE WHEN sales_kpi.sync_has(s, 'engagement', 'created_at')
                 THEN sales_kpi.sync_col(s, 'engagement', 'created_at', 'timestamptz', 'e') ELSE 'NULL::timestamptz' END,
            -- a task is due at its hs_timestamp; the others happen then
            CASE WHEN kind = 'task' THEN sales_kpi.sync_col(s, tbl, 'property_hs_timestamp', 'timestamptz')
                 ELSE 'NULL::timestamptz' END,
            CASE WHEN kind = 'task'
                 THEN format('coalesce(%s, CASE WHEN upper(%s) = ''COMPLETED'' THEN %s END)',
                             sales_kpi.sync_col(s, tbl, 'property_hs_task_completion_date', 'timestamptz'),
                             sales_kpi.sync_col(s, tbl, 'property_hs_task_status', 'text'),
                             sales_kpi.sync_col(s, tbl, 'property_hs_timestamp', 'timestamptz'))
                 WHEN kind = 'meeting'
                 THEN format('coalesce(%s, %s)', sales_kpi.sync_col(s, tbl, 'property_hs_timestamp', 'timestamptz'),
                             sales_kpi.sync_col(s, tbl, 'start_time', 'timestamptz'))
                 ELSE sales_kpi.sync_col(s, tbl, 'property_hs_timestamp', 'timestamptz') END,
            sales_kpi.sync_col(s, tbl, '_fivetran_deleted', 'boolean'), s,
            CASE WHEN sales_kpi.sync_has(s, 'engagement', 'id')
                 THEN format('SELECT DISTINCT ON (x.id) x.* FROM %I.engagement x ORDER BY x.id', s)
                 ELSE 'SELECT NULL::bigint AS id WHERE false' END,
            CASE WHEN sales_kpi.sync_has(s, 'engagement_deal', 'engagement_id')
                 THEN format('SELECT DISTINCT ON (x.engagement_id) x.engagement_id, x.deal_id::text AS deal_id
                              FROM %I.engagement_deal x ORDER BY x.engagement_id, x.deal_id', s)
                 ELSE 'SELECT NULL::bigint AS engagement_id, NULL::text AS deal_id WHERE false' END,
            sales_kpi.sync_unread(src, s, tbl),
            CASE WHEN sales_kpi.sync_has(s, 'engagement_deal', '_fivetran_synced')
                 THEN format('s.engagement_id IN (SELECT x.engagement_id FROM %I.engagement_deal x WHERE %s)',
                             s, sales_kpi.sync_unread(src, s, 'engagement_deal', 'x'))
                 ELSE 'false' END,
            src,
            CASE WHEN sales_kpi.sync_has(s, tbl, '_fivetran_synced') THEN 's._fivetran_synced DESC' ELSE 'NULL::integer' END);
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM sales_kpi.sync_read(tbl, n);
    END LOOP;
    ANALYZE pg_temp.sync_activities;
    RETURN QUERY SELECT * FROM sales_kpi.sync_write_activities(src, s, 'engagement_id', 'pg_temp.sync_activities');

    PERFORM sales_kpi.sync_end(src, s);
END
$$;
COMMENT ON FUNCTION sales_kpi.sync_hubspot(name) IS
    'Loads the model from a Fivetran HubSpot schema, incrementally (rows synced since the last run, and the quarantined ones); one row per model table: inserted, updated, deleted, quarantined';
REVOKE ALL ON FUNCTION sales_kpi.sync_hubspot(name), sales_kpi.sync_hubspot_reads(text, text) FROM PUBLIC;
