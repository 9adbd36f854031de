-- The benchmark's queries: for each KPI, the extension's function, the
-- plain SQL an analyst writes instead, and count(*) over the same scan and
-- GROUP BY (the floor).  Every query returns (g, v): the group or row, and
-- the value, so that answers can be compared.
--
-- The hand-written SQL gets every answer right on this data with the least
-- work: the stage filters list each spelling of won and lost that occurs
-- (exact comparisons, cheaper than lower() or translate() on every row).
CREATE TEMP TABLE bench_queries (kpi text, form text, kind text, q text, PRIMARY KEY (kpi, form, kind));

INSERT INTO bench_queries VALUES
-- grouped by rep_id
('floor', 'grouped', 'kpi', $q$SELECT rep_id AS g, count(*) AS v FROM bench_deals GROUP BY rep_id$q$),
('win_rate', 'grouped', 'kpi', $q$SELECT rep_id AS g, win_rate(stage) AS v FROM bench_deals GROUP BY rep_id$q$),
('win_rate', 'grouped', 'hand', $q$SELECT rep_id AS g,
   count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won'))::float8
   / nullif(count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won', 'Closed Lost', 'closedlost', 'Lost', 'CLOSED-LOST')), 0) AS v
 FROM bench_deals GROUP BY rep_id$q$),
('conversion_rate', 'grouped', 'kpi', $q$SELECT rep_id AS g, conversion_rate(stage) AS v FROM bench_deals GROUP BY rep_id$q$),
('conversion_rate', 'grouped', 'hand', $q$SELECT rep_id AS g,
   count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won'))::float8 / nullif(count(stage), 0) AS v
 FROM bench_deals GROUP BY rep_id$q$),
('avg_time_in_pipeline', 'grouped', 'kpi', $q$SELECT rep_id AS g, avg_time_in_pipeline(created_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('avg_time_in_pipeline', 'grouped', 'hand', $q$SELECT rep_id AS g, avg(now() - created_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('sales_cycle_length', 'grouped', 'kpi', $q$SELECT rep_id AS g, sales_cycle_length(created_at, closed_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('sales_cycle_length', 'grouped', 'hand', $q$SELECT rep_id AS g, avg(closed_at - created_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('avg_ramp_time', 'grouped', 'kpi', $q$SELECT rep_id AS g, avg_ramp_time(started_at, created_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('avg_ramp_time', 'grouped', 'hand', $q$SELECT rep_id AS g, avg(created_at - started_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('clv', 'grouped', 'kpi', $q$SELECT rep_id AS g, clv(customer_id, amount, created_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('clv', 'grouped', 'hand', $q$SELECT g, avg_value * avg(purchases / tenure) * avg(tenure) AS v
 FROM (SELECT rep_id AS g, customer_id, count(*) AS purchases,
              greatest(extract(epoch FROM max(created_at) - min(created_at)) / (365.25 * 86400), 1) AS tenure,
              sum(sum(amount)) OVER (PARTITION BY rep_id) / sum(count(*)) OVER (PARTITION BY rep_id) AS avg_value
       FROM bench_deals GROUP BY rep_id, customer_id) c
 GROUP BY g, avg_value$q$),
('acv', 'grouped', 'kpi', $q$SELECT rep_id AS g, acv(amount, term) AS v FROM bench_deals GROUP BY rep_id$q$),
('acv', 'grouped', 'hand', $q$SELECT rep_id AS g,
   avg(amount / (extract(year FROM age(upper(term), lower(term)))
                 + extract(month FROM age(upper(term), lower(term))) / 12
                 + extract(day FROM age(upper(term), lower(term))) / 365.25)) AS v
 FROM bench_deals GROUP BY rep_id$q$),
('pipeline_velocity', 'grouped', 'kpi', $q$SELECT rep_id AS g, pipeline_velocity(stage, amount, created_at, closed_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('pipeline_velocity', 'grouped', 'hand', $q$SELECT rep_id AS g,
   count(*) FILTER (WHERE stage NOT IN ('Closed Won', 'closedwon', 'Won', 'closed_won', 'Closed Lost', 'closedlost', 'Lost', 'CLOSED-LOST'))
   * avg(amount) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won'))
   * (count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won'))::numeric
      / nullif(count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won', 'Closed Lost', 'closedlost', 'Lost', 'CLOSED-LOST')), 0))
   / (extract(epoch FROM avg(closed_at - created_at) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won'))) / 86400) AS v
 FROM bench_deals GROUP BY rep_id$q$),
('retention_rate', 'grouped', 'kpi', $q$SELECT rep_id AS g, retention_rate(active, daterange('2024-01-01', '2025-01-01')) AS v FROM bench_deals GROUP BY rep_id$q$),
('retention_rate', 'grouped', 'hand', $q$SELECT rep_id AS g,
   count(*) FILTER (WHERE active @> date '2024-01-01' AND active @> date '2024-12-31')::float8
   / nullif(count(*) FILTER (WHERE active @> date '2024-01-01'), 0) AS v
 FROM bench_deals GROUP BY rep_id$q$),
('sales_cycle_percentile', 'grouped', 'kpi', $q$SELECT rep_id AS g, sales_cycle_percentile(created_at, closed_at, 0.5) AS v FROM bench_deals GROUP BY rep_id$q$),
('sales_cycle_percentile', 'grouped', 'hand', $q$SELECT rep_id AS g, percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_at - created_at) AS v FROM bench_deals GROUP BY rep_id$q$),
('deal_size_percentile', 'grouped', 'kpi', $q$SELECT rep_id AS g, deal_size_percentile(amount, 0.5) AS v FROM bench_deals GROUP BY rep_id$q$),
('deal_size_percentile', 'grouped', 'hand', $q$SELECT rep_id AS g, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) AS v FROM bench_deals GROUP BY rep_id$q$),
-- sliding windows: the last 100 deals of each rep
('floor', 'window', 'kpi', $q$SELECT deal_id AS g, count(*) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('win_rate', 'window', 'kpi', $q$SELECT deal_id AS g, win_rate(stage) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('win_rate', 'window', 'hand', $q$SELECT deal_id AS g,
   count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won')) OVER w::float8
   / nullif(count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won', 'Closed Lost', 'closedlost', 'Lost', 'CLOSED-LOST')) OVER w, 0) AS v
 FROM bench_deals WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('conversion_rate', 'window', 'kpi', $q$SELECT deal_id AS g, conversion_rate(stage) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('conversion_rate', 'window', 'hand', $q$SELECT deal_id AS g,
   count(*) FILTER (WHERE stage IN ('Closed Won', 'closedwon', 'Won', 'closed_won')) OVER w::float8 / nullif(count(stage) OVER w, 0) AS v
 FROM bench_deals WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('sales_cycle_length', 'window', 'kpi', $q$SELECT deal_id AS g, sales_cycle_length(created_at, closed_at) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('sales_cycle_length', 'window', 'hand', $q$SELECT deal_id AS g, avg(closed_at - created_at) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('avg_time_in_pipeline', 'window', 'kpi', $q$SELECT deal_id AS g, avg_time_in_pipeline(created_at) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('avg_time_in_pipeline', 'window', 'hand', $q$SELECT deal_id AS g, avg(now() - created_at) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('avg_ramp_time', 'window', 'kpi', $q$SELECT deal_id AS g, avg_ramp_time(started_at, created_at) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('avg_ramp_time', 'window', 'hand', $q$SELECT deal_id AS g, avg(created_at - started_at) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('acv', 'window', 'kpi', $q$SELECT deal_id AS g, acv(amount, term) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('acv', 'window', 'hand', $q$SELECT deal_id AS g,
   avg(amount / (extract(year FROM age(upper(term), lower(term)))
                 + extract(month FROM age(upper(term), lower(term))) / 12
                 + extract(day FROM age(upper(term), lower(term))) / 365.25)) OVER w AS v
 FROM bench_deals WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('retention_rate', 'window', 'kpi', $q$SELECT deal_id AS g, retention_rate(active, daterange('2024-01-01', '2025-01-01')) OVER w AS v
 FROM bench_deals WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$),
('retention_rate', 'window', 'hand', $q$SELECT deal_id AS g,
   count(*) FILTER (WHERE active @> date '2024-01-01' AND active @> date '2024-12-31') OVER w::float8
   / nullif(count(*) FILTER (WHERE active @> date '2024-01-01') OVER w, 0) AS v
 FROM bench_deals WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)$q$);

-- Each KPI's own floor: the cheapest aggregate that reads the same columns
-- (count() of the last of them in the row, which has to be found in every
-- row as the KPI's arguments are), in the same form.
INSERT INTO bench_queries
SELECT k.kpi, f.form, 'colfloor',
       CASE f.form
         WHEN 'grouped' THEN format('SELECT rep_id AS g, count(%s) AS v FROM bench_deals GROUP BY rep_id', k.col)
         ELSE format('SELECT deal_id AS g, count(%s) OVER w AS v FROM bench_deals
 WINDOW w AS (PARTITION BY rep_id ORDER BY created_at ROWS 99 PRECEDING)', k.col) END
FROM (VALUES ('win_rate', 'stage'), ('conversion_rate', 'stage'), ('avg_time_in_pipeline', 'created_at'),
             ('sales_cycle_length', 'closed_at'), ('avg_ramp_time', 'started_at'), ('clv', 'amount'),
             ('acv', 'term'), ('pipeline_velocity', 'amount'), ('retention_rate', 'active'),
             ('sales_cycle_percentile', 'closed_at'), ('deal_size_percentile', 'amount')) k(kpi, col)
JOIN (SELECT DISTINCT kpi, form FROM bench_queries WHERE kind = 'kpi') f USING (kpi);
