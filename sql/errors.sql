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

-- The server is still up.
SELECT 'still running' AS status;
