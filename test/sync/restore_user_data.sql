-- Puts back what keep_user_data.sql saved, after a sync (see there).
\set ON_ERROR_STOP on
BEGIN;
UPDATE sales_kpi.reps r
SET region = k.region, left_on = k.left_on, first_contact_at = k.first_contact_at, login = k.login,
    team = CASE WHEN :'crm' = 'hubspot' THEN k.team ELSE r.team END,
    manager_id = CASE WHEN :'crm' = 'hubspot' THEN k.manager_id ELSE r.manager_id END
FROM keep.reps k WHERE k.rep_id = r.rep_id;
UPDATE sales_kpi.customers c
SET churned_on = k.churned_on, referred_by_rep_id = k.referred_by_rep_id,
    segment = CASE WHEN :'crm' = 'hubspot' THEN k.segment ELSE c.segment END
FROM keep.customers k WHERE k.customer_id = c.customer_id;
UPDATE sales_kpi.products p SET list_price = k.list_price FROM keep.products k WHERE k.product_id = p.product_id;
UPDATE sales_kpi.stages s SET stalled_after_days = k.stalled_after_days, forecast_category = k.forecast_category
FROM keep.stages k WHERE k.pipeline IS NOT DISTINCT FROM s.pipeline AND k.normalized = s.normalized;
INSERT INTO sales_kpi.quotas SELECT * FROM keep.quotas;
INSERT INTO sales_kpi.subscriptions SELECT * FROM keep.subscriptions;
INSERT INTO sales_kpi.marketing_spend SELECT * FROM keep.marketing_spend;
INSERT INTO sales_kpi.market_size SELECT * FROM keep.market_size;
INSERT INTO sales_kpi.kpi_targets SELECT * FROM keep.kpi_targets;
INSERT INTO sales_kpi.leads SELECT * FROM keep.leads WHERE :'crm' = 'hubspot';
INSERT INTO sales_kpi.exchange_rates SELECT * FROM keep.exchange_rates WHERE :'crm' = 'hubspot';
COMMIT;
ANALYZE sales_kpi.reps, sales_kpi.customers, sales_kpi.deals, sales_kpi.deal_history, sales_kpi.activities;
