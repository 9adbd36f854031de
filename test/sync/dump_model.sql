-- The columns a sync of :crm owns, every row, one line each (the caller
-- sorts them): what an incremental sync and a sync from scratch of the same
-- source must agree on, the quarantine and the watermarks included.
\set ON_ERROR_STOP on
SET TimeZone = 'UTC';
\pset format unaligned
\pset tuples_only on
SELECT 'rep ' || row(rep_id, name, email, hired_on,
                     CASE WHEN :'crm' = 'salesforce' THEN team END,
                     CASE WHEN :'crm' = 'salesforce' THEN manager_id END)::text FROM sales_kpi.reps
UNION ALL
SELECT 'customer ' || row(customer_id, name, CASE WHEN :'crm' = 'salesforce' THEN segment END, region,
                          acquired_on)::text FROM sales_kpi.customers
UNION ALL
SELECT 'product ' || row(product_id, name, family)::text FROM sales_kpi.products
UNION ALL
SELECT 'stage ' || row(pipeline, name, label, pipeline_order, default_probability, is_closed, is_won)::text
FROM sales_kpi.stages
UNION ALL
SELECT 'deal ' || row(deal_id, rep_id, customer_id, product_id, pipeline, name, stage, amount, probability,
                      forecast_category, close_date, created_at, closed_at, currency, lost_reason)::text
FROM sales_kpi.deals
UNION ALL
SELECT 'version ' || row(deal_id, valid, rep_id, customer_id, product_id, pipeline, name, stage, amount, probability,
                         forecast_category, close_date, created_at, closed_at, currency, lost_reason,
                         stage_entered_at)::text
FROM sales_kpi.deal_history
UNION ALL
SELECT 'activity ' || a::text FROM sales_kpi.activities a
UNION ALL
SELECT 'lead ' || l::text FROM sales_kpi.leads l WHERE :'crm' = 'salesforce'
UNION ALL
SELECT 'rate ' || x::text FROM sales_kpi.exchange_rates x WHERE :'crm' = 'salesforce'
UNION ALL
SELECT 'quarantine ' || row(source, source_table, source_key, rule)::text FROM sales_kpi.quarantine
UNION ALL
SELECT 'watermark ' || row(source, source_table, watermark)::text FROM sales_kpi.sync_state;
