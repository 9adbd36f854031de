-- The dashboard reader role of the README ("BI tools and privileges"): it may
-- read the dashboards' materialized twins and nothing else.  Run as the
-- extension's owner; the role is created without a password here (the test
-- cluster trusts loopback), give it one in production.
CREATE ROLE dashboard_reader LOGIN;
SELECT count(*) AS grants FROM sales_kpi.grant_dashboard_reader('dashboard_reader');
