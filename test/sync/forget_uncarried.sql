-- The natively loaded data without what the connector :crm has no field
-- for and the user cannot set beside it version by version: contract terms
-- (neither CRM has them on a deal) and, from HubSpot, products (line items
-- are not read).  Written under session_replication_role = replica, so the
-- history triggers do not see it as a change: it is the data as it would
-- have been loaded without those fields.
\set ON_ERROR_STOP on
SET session_replication_role = replica;
UPDATE sales_kpi.deal_history SET contract_term = NULL WHERE contract_term IS NOT NULL;
UPDATE sales_kpi.deals SET contract_term = NULL WHERE contract_term IS NOT NULL;
UPDATE sales_kpi.deal_history SET product_id = NULL WHERE :'crm' = 'hubspot' AND product_id IS NOT NULL;
UPDATE sales_kpi.deals SET product_id = NULL WHERE :'crm' = 'hubspot' AND product_id IS NOT NULL;
RESET session_replication_role;
