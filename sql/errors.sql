--
-- Every error path: bad input gets a data-exception SQLSTATE, a message, a
-- detail naming the offending values and a hint; the server keeps running.
-- The SQLSTATE of each error is echoed after it.
--
\set SHOW_CONTEXT never

-- infinity / -infinity timestamps (22008)
SELECT avg_time_in_pipeline('infinity'::timestamptz);
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('-infinity'::timestamptz, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('2024-01-01'::timestamptz, 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('2024-01-01'::timestamptz, NULL, 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT sales_cycle_length('-infinity'::timestamptz, '2024-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT sales_cycle_length('2024-01-01'::timestamptz, 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_ramp_time('infinity'::date, '2024-01-01'::date);
\echo :LAST_ERROR_SQLSTATE
SELECT clv(1::bigint, 10::numeric, 'infinity'::timestamptz);
\echo :LAST_ERROR_SQLSTATE

-- An end before its start (22023)
SELECT sales_cycle_length('2024-02-01'::timestamptz, '2024-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_ramp_time('2024-02-01'::timestamptz, '2024-01-31 23:59:59.999999');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('2024-02-01'::timestamptz, '2024-01-01');
\echo :LAST_ERROR_SQLSTATE
-- ... also when the row would be skipped as of an earlier date: bad data is
-- reported, not hidden.
SELECT avg_time_in_pipeline('2024-02-01'::timestamptz, '2024-01-01', '2023-01-01');
\echo :LAST_ERROR_SQLSTATE
-- An open row that entered after the start of the transaction (terse: the
-- detail shows the current time, which changes from run to run).
\set VERBOSITY terse
SELECT avg_time_in_pipeline(now() + interval '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline(now() + interval '1 day', NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- NaN and infinite amounts, bad scalar arguments (22023)
SELECT clv(1::bigint, 'NaN'::numeric, '2024-01-01'::timestamptz);
\echo :LAST_ERROR_SQLSTATE
SELECT clv(c, a, t) FROM (VALUES (1::bigint, 5::numeric, '2024-01-01'::timestamptz),
                                 (2, '-Infinity', '2024-01-01')) AS v(c, a, t);
\echo :LAST_ERROR_SQLSTATE
SELECT clv(100, 'Infinity'::numeric, 3);
\echo :LAST_ERROR_SQLSTATE
SELECT clv('NaN'::numeric, 4, 3);
\echo :LAST_ERROR_SQLSTATE
SELECT clv(100, -4, 3);
\echo :LAST_ERROR_SQLSTATE

-- One bad row among good ones fails the whole query: no partial answer.
SELECT sales_cycle_length(c, d)
FROM (VALUES ('2024-01-01'::timestamptz, '2024-01-05'::timestamptz),
             ('2024-03-01', '2024-02-01')) AS v(c, d);
\echo :LAST_ERROR_SQLSTATE

-- acv: empty or unbounded terms (22023), NaN or infinite values (22023)
SELECT acv(1000, 'empty'::daterange);
\echo :LAST_ERROR_SQLSTATE
SELECT acv(1000, daterange('2024-01-01', NULL));
\echo :LAST_ERROR_SQLSTATE
SELECT acv(1000, daterange(NULL, '2024-01-01'));
\echo :LAST_ERROR_SQLSTATE
SELECT acv(1000, daterange('2024-01-01', 'infinity'));
\echo :LAST_ERROR_SQLSTATE
SELECT acv('NaN', daterange('2024-01-01', '2025-01-01'));
\echo :LAST_ERROR_SQLSTATE
SELECT acv('Infinity', daterange('2024-01-01', '2025-01-01'));
\echo :LAST_ERROR_SQLSTATE

-- pipeline_velocity: every row is checked, whatever its outcome
SELECT pipeline_velocity('Open', 'NaN', '2024-01-01', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pipeline_velocity('Lost', 10, '2024-02-01', '2024-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT pipeline_velocity('Won', 10, '-infinity', '2024-01-01');
\echo :LAST_ERROR_SQLSTATE

-- retention_rate / churn_rate: a period that differs between rows, or that is
-- empty or unbounded (22023)
SELECT retention_rate(a, p)
FROM (VALUES (daterange('2023-01-01', NULL), daterange('2024-01-01', '2025-01-01')),
             (daterange('2023-01-01', NULL), daterange('2024-01-01', '2024-07-01'))) AS v(a, p);
\echo :LAST_ERROR_SQLSTATE
SELECT churn_rate(daterange('2023-01-01', NULL), 'empty');
\echo :LAST_ERROR_SQLSTATE
SELECT churn_rate(daterange('2023-01-01', NULL), daterange('2024-01-01', NULL));
\echo :LAST_ERROR_SQLSTATE

-- Window functions used without OVER (42809), rows out of order (22023),
-- infinite values
SELECT period_growth(100);
\echo :LAST_ERROR_SQLSTATE
SELECT time_in_stage(now());
\echo :LAST_ERROR_SQLSTATE
SELECT time_in_stage(e, '2024-12-31') OVER (ORDER BY i)
FROM (VALUES (1, '2024-02-01'::timestamptz), (2, '2024-01-01')) AS v(i, e);
\echo :LAST_ERROR_SQLSTATE
SELECT time_in_stage(e, '2024-01-01') OVER () FROM (VALUES ('2024-02-01'::timestamptz)) AS v(e);
\echo :LAST_ERROR_SQLSTATE
SELECT period_growth(v) OVER (ORDER BY i) FROM (VALUES (1, 1::numeric), (2, 'NaN')) AS x(i, v);
\echo :LAST_ERROR_SQLSTATE
SELECT time_in_stage(e) OVER () FROM (VALUES ('infinity'::timestamptz)) AS v(e);
\echo :LAST_ERROR_SQLSTATE

-- Scalars: negative spend or counts, impossible part-of-whole counts, NaN
SELECT cac(-10000, 100);
\echo :LAST_ERROR_SQLSTATE
SELECT cac(10000, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT lead_conversion_rate(600, 500);
\echo :LAST_ERROR_SQLSTATE
SELECT lead_conversion_rate(-1, 500);
\echo :LAST_ERROR_SQLSTATE
SELECT quota_attainment(10, -100);
\echo :LAST_ERROR_SQLSTATE
SELECT market_share(150, 100);
\echo :LAST_ERROR_SQLSTATE
SELECT rep_retention_rate(11, 12, 10);
\echo :LAST_ERROR_SQLSTATE
SELECT customer_retention_rate(300, 40, 200);
\echo :LAST_ERROR_SQLSTATE
SELECT growth_rate('NaN', 100);
\echo :LAST_ERROR_SQLSTATE

-- Fiscal periods: an unknown grain, infinite timestamps
SELECT fiscal_period_start(now(), 'week');
\echo :LAST_ERROR_SQLSTATE
SELECT fiscal_period_label('infinity'::timestamptz, 'year');
\echo :LAST_ERROR_SQLSTATE

-- The server is still up.
SELECT 'still running' AS status;

-- A duration that does not fit an interval (about 292,000 years) is an error
-- (22008), never a wrapped-around negative interval: wherever a duration is
-- formed.
SELECT sales_cycle_length('4713-01-01 BC'::timestamptz, '294270-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_ramp_time('4713-01-01 BC'::timestamptz, '294270-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('4713-01-01 BC'::timestamptz, '294270-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('4713-01-01 BC'::timestamptz, NULL, '294270-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT avg_time_in_pipeline('4713-01-01 BC'::timestamptz, '294270-01-01', '294275-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT pipeline_velocity('Won', 1, '4713-01-01 BC'::timestamptz, '294270-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT time_in_stage(t, '294270-01-01') OVER (ORDER BY t) FROM (VALUES ('4713-01-01 BC'::timestamptz)) AS v(t);
\echo :LAST_ERROR_SQLSTATE
SELECT time_in_stage(t) OVER (ORDER BY t) FROM (VALUES ('4713-01-01 BC'::timestamptz), ('294270-01-01')) AS v(t);
\echo :LAST_ERROR_SQLSTATE
-- ... while the longest durations that fit are exact.
SELECT sales_cycle_length('4713-01-01 BC'::timestamptz, '287000-01-01') AS longest_cycle;
-- clv reads such a tenure exactly: one customer buying twice, 100 each,
-- 291,712 years apart: F x L = 2 purchases, CLV = 100 x 2 = 200.
SELECT clv(1::bigint, 100::numeric, t)
FROM (VALUES ('4713-01-01 BC'::timestamptz), ('287000-01-01')) AS v(t);

