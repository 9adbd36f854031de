-- The natively loaded data without what the connector :crm has no field
-- for and the user cannot set beside it version by version: contract terms
-- (neither CRM has them on a deal) and, from HubSpot, products (line items
-- are not read); and, for Salesforce, exchange rates it can carry exactly.  Written under session_replication_role = replica, so the
-- history triggers do not see it as a change: it is the data as it would
-- have been loaded without those fields.
\set ON_ERROR_STOP on
SET session_replication_role = replica;
UPDATE sales_kpi.deal_history SET contract_term = NULL WHERE contract_term IS NOT NULL;
UPDATE sales_kpi.deals SET contract_term = NULL WHERE contract_term IS NOT NULL;
UPDATE sales_kpi.deal_history SET product_id = NULL WHERE :'crm' = 'hubspot' AND product_id IS NOT NULL;
UPDATE sales_kpi.deals SET product_id = NULL WHERE :'crm' = 'hubspot' AND product_id IS NOT NULL;
-- Salesforce keeps units of a currency per corporate unit, which the sync
-- inverts: rates whose inverse is a finite decimal come back exactly.
UPDATE sales_kpi.exchange_rates x
SET rate = (ARRAY[1.25, 1.28, 1.6, 0.8, 1.024, 1.5625])[1 + (extract(month FROM lower(x.valid))::int % 6)]
WHERE :'crm' = 'salesforce';
RESET session_replication_role;
