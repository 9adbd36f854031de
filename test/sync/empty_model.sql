-- Empties the model, the catalog and the sync's own state: the database as
-- a new user's, before a first sync.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
TRUNCATE sales_kpi.kpi_targets, sales_kpi.subscriptions, sales_kpi.market_size, sales_kpi.marketing_spend,
         sales_kpi.quotas, sales_kpi.activities, sales_kpi.leads, sales_kpi.deal_history, sales_kpi.deals,
         sales_kpi.products, sales_kpi.customers, sales_kpi.reps, sales_kpi.stages,
         sales_kpi.sync_state, sales_kpi.quarantine, sales_kpi.exchange_rates;
