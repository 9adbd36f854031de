-- After a sync of dirty_<crm>.sql's rows: with :phase dirty, exactly the
-- dirty rows are in quarantine, each with the rule it breaks, and the rest
-- loaded (the deal won on its creation day closes when it was created);
-- with :phase clean, the corrected rows are released and loaded.
\set ON_ERROR_STOP on
SET TimeZone = 'UTC';
SET my.phase = :'phase';
SET my.crm = :'crm';
CREATE TEMP TABLE expected (source_table text, source_key text, rule text);
INSERT INTO expected
SELECT source_table, source_key, rule FROM (VALUES
    ('salesforce', 'opportunity', '006DIRTY0000000001', 'closed (2026-06-30) before it was created (2026-07-01 15:00:00+00)'),
    ('salesforce', 'opportunity', '006DIRTY0000000002', 'the amount is negative'),
    ('salesforce', 'opportunity', '006DIRTY0000000003', 'unknown owner ''005NOSUCHUSER00001'''),
    ('salesforce', 'opportunity', '006DIRTY0000000004', 'won but not closed'),
    ('salesforce', 'opportunity', '006DIRTY0000000005', 'the probability is outside 0-100 %'),
    ('salesforce', 'opportunity', '006DIRTY0000000007', 'the version from 2026-06-01 09:00:00+00: the amount is negative'),
    ('salesforce', 'opportunity', '006DIRTY0000000008', 'is_closed/is_won disagree with the catalog''s flags for stage ''Prospecting'''),
    ('salesforce', 'task', '00TDIRTY0000000001', 'unknown owner ''005NOSUCHUSER00001'''),
    ('salesforce', 'task', '00TDIRTY0000000002', 'completed before it was created'),
    ('salesforce', 'lead', '00QDIRTY0000000001', 'converted before created'),
    ('hubspot', 'deal', '9700000001', 'stage ''no-such-stage'' is not a stage of pipeline ''default'''),
    ('hubspot', 'deal', '9700000002', 'closed (2026-06-30) before it was created (2026-07-01 15:00:00+00)'),
    ('hubspot', 'deal', '9700000003', 'unknown owner ''99999999'''),
    ('hubspot', 'deal', '9700000005', 'the version from 2026-07-01 09:00:00+00: amount ''ten thousand'' is not a number'),
    ('hubspot', 'engagement_task', '29700000001', 'the owner is missing')) AS v(crm, source_table, source_key, rule)
WHERE crm = :'crm' AND :'phase' = 'dirty';

SELECT q.source_table, q.source_key, q.rule, e.rule AS expected_rule
FROM sales_kpi.quarantine q FULL JOIN expected e USING (source_table, source_key)
WHERE q.rule IS DISTINCT FROM e.rule;
DO $$
BEGIN
    IF EXISTS (SELECT FROM sales_kpi.quarantine q FULL JOIN expected e USING (source_table, source_key)
               WHERE q.rule IS DISTINCT FROM e.rule) THEN
        RAISE EXCEPTION 'the quarantine is not what the dirty rows should give (rows above)';
    END IF;
    IF EXISTS (SELECT FROM sales_kpi.quarantine WHERE row_data IS NULL OR row_data = '{}'::jsonb) THEN
        RAISE EXCEPTION 'a quarantined row has no source row';
    END IF;
END
$$;
-- The deal won on the day it was created closed when it was created.
SELECT deal_id, created_at, closed_at FROM sales_kpi.deals
WHERE deal_id IN ('006DIRTY0000000006', '9700000004') AND closed_at IS DISTINCT FROM created_at;
DO $$
BEGIN
    IF (SELECT count(*) FROM sales_kpi.deals
        WHERE deal_id IN ('006DIRTY0000000006', '9700000004') AND closed_at = created_at) <> 1 THEN
        RAISE EXCEPTION 'the deal won on its creation day did not load, closed when it was created';
    END IF;
END
$$;
-- Clean: every corrected row loaded.
SELECT count(*) AS corrected_deals_loaded FROM sales_kpi.deals
WHERE deal_id LIKE '006DIRTY%' OR deal_id LIKE '97000000%';
DO $$
BEGIN
    IF current_setting('my.phase') = 'clean'
       AND (SELECT count(*) FROM sales_kpi.deals WHERE deal_id LIKE '006DIRTY%' OR deal_id LIKE '97000000%')
           <> (CASE current_setting('my.crm') WHEN 'salesforce' THEN 8 ELSE 5 END) THEN
        RAISE EXCEPTION 'the corrected deals did not all load';
    END IF;
END
$$;
