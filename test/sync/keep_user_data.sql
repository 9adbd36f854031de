-- What the user keeps beside a CRM sync (the model's columns and tables no
-- connector fills), saved in schema keep before the model is emptied, and
-- restore_user_data.sql to put it back after the sync: a rep's region,
-- left_on, first contact and login (and, from HubSpot, team and manager);
-- a customer's churn and referrer (and, from HubSpot, segment); a product's
-- list price; the stages' stall thresholds and forecast categories; the
-- exchange rates (from HubSpot, which has none); quotas, subscriptions, spend,
-- market size and targets; and, from HubSpot, the leads.
\set ON_ERROR_STOP on
DROP SCHEMA IF EXISTS keep CASCADE;
CREATE SCHEMA keep;
CREATE TABLE keep.reps AS SELECT rep_id, team, region, manager_id, left_on, first_contact_at, login FROM sales_kpi.reps;
CREATE TABLE keep.customers AS SELECT customer_id, segment, churned_on, referred_by_rep_id FROM sales_kpi.customers;
CREATE TABLE keep.products AS SELECT product_id, list_price FROM sales_kpi.products;
CREATE TABLE keep.stages AS SELECT pipeline, normalized, stalled_after_days, forecast_category FROM sales_kpi.stages;
CREATE TABLE keep.exchange_rates AS SELECT * FROM sales_kpi.exchange_rates;
CREATE TABLE keep.quotas AS SELECT * FROM sales_kpi.quotas;
CREATE TABLE keep.subscriptions AS SELECT * FROM sales_kpi.subscriptions;
CREATE TABLE keep.marketing_spend AS SELECT * FROM sales_kpi.marketing_spend;
CREATE TABLE keep.market_size AS SELECT * FROM sales_kpi.market_size;
CREATE TABLE keep.kpi_targets AS SELECT * FROM sales_kpi.kpi_targets;
CREATE TABLE keep.leads AS SELECT * FROM sales_kpi.leads;
