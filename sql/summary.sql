--
-- Two-step aggregates: X_summary(args), rollup(summary), X(summary).
-- X(rollup(s)) over the summaries of any partition of the rows must equal
-- X(args) over the rows exactly (IS NOT DISTINCT FROM, no tolerance), for
-- every overload of every summarised aggregate: one summary, summaries per
-- segment, per day, per pseudo-random part, rolled up serially and in
-- parallel, and after a round trip through text and binary COPY.
--
SET TimeZone = 'UTC';
CREATE TABLE rows_flat (
    id bigint, segment int, part int, pipeline text, stage text, won boolean,
    amount numeric, created_at timestamptz, closed_at timestamptz, term daterange, active daterange);
INSERT INTO rows_flat
SELECT i, i % 3, (i * 7919) % 13, CASE WHEN i % 2 = 0 THEN NULL END,
       (ARRAY['Closed Won', 'closedlost', 'Prospecting', 'won', NULL])[1 + (i * 31) % 5],
       CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (100 + (i * 37) % 9000) / 4.0 END,
       c, CASE WHEN i % 7 = 0 THEN NULL ELSE c + ((i * 13) % 200) * interval '1 day' + (i % 977) * interval '1 second' END,
       daterange(c::date, c::date + 30 + (i * 17) % 1000),
       daterange(c::date - 400, CASE WHEN i % 4 = 0 THEN c::date + (i * 3) % 700 END)
FROM generate_series(1, 5000) AS i,
     LATERAL (SELECT timestamptz '2021-01-01' + ((i * 104729) % 1500) * interval '1 day'
                                              + (i % 86400) * interval '1 second' AS c) AS t;
ANALYZE rows_flat;

-- Every summarised aggregate overload and the arguments it takes here.
CREATE TEMP TABLE cases (name text, args text);
INSERT INTO cases VALUES
    ('win_rate', 'stage'), ('win_rate', 'pipeline, stage'), ('win_rate', 'won'),
    ('conversion_rate', 'stage'), ('conversion_rate', 'pipeline, stage'), ('conversion_rate', 'won'),
    ('avg_time_in_pipeline', 'created_at'), ('avg_time_in_pipeline', 'created_at, closed_at'),
    ('avg_time_in_pipeline', 'created_at, closed_at, timestamptz ''2025-06-01'''),
    ('sales_cycle_length', 'created_at, closed_at'), ('avg_ramp_time', 'created_at, closed_at'),
    ('retention_rate', 'active, daterange(''2022-01-01'', ''2023-01-01'')'),
    ('churn_rate', 'active, daterange(''2022-01-01'', ''2023-01-01'')'),
    ('pipeline_velocity', 'stage, amount, created_at, closed_at'),
    ('pipeline_velocity', 'pipeline, stage, amount, created_at, closed_at'),
    ('acv', 'amount, term'),
    ('clv', '(id * 7919 % 700)::bigint, amount, created_at'),
    ('clv', '''customer-'' || (id * 7919 % 700), amount, created_at');
-- The summary aggregates the install script made (one per overload of each
-- KPI aggregate), and the one-row aggregates behind the accessors.
SELECT p.proname, p.prorettype::regtype AS returns, count(*) AS overloads
FROM pg_proc p
WHERE (p.proname LIKE '%\_summary' OR p.proname LIKE '%\_summary\_value') AND p.prokind = 'a'
GROUP BY 1, 2 ORDER BY 1, 2;

-- One summary of all rows, and rollups of summaries per segment, per day
-- and per part: each compared with the aggregate over the rows.
SELECT format($q$
    SELECT %1$L AS kpi, %2$L AS args,
           (SELECT %1$s(%2$s) FROM rows_flat) IS NOT NULL AS has_value,
           (SELECT %1$s(%1$s_summary(%2$s)) FROM rows_flat)
             IS NOT DISTINCT FROM (SELECT %1$s(%2$s) FROM rows_flat) AS one_summary,
           (SELECT %1$s(rollup(s)) FROM (SELECT segment, %1$s_summary(%2$s) s FROM rows_flat GROUP BY 1) x)
             IS NOT DISTINCT FROM (SELECT %1$s(%2$s) FROM rows_flat) AS by_segment,
           (SELECT %1$s(rollup(s)) FROM (SELECT created_at::date, %1$s_summary(%2$s) s FROM rows_flat GROUP BY 1) x)
             IS NOT DISTINCT FROM (SELECT %1$s(%2$s) FROM rows_flat) AS by_day,
           (SELECT bool_and(r IS NOT DISTINCT FROM d)
            FROM (SELECT segment, %1$s(rollup(s)) r FROM (SELECT segment, part, %1$s_summary(%2$s) s FROM rows_flat GROUP BY 1, 2) x GROUP BY 1) a
            JOIN (SELECT segment, %1$s(%2$s) d FROM rows_flat GROUP BY 1) b USING (segment)) AS parts_per_segment,
           (SELECT %1$s(rollup(s)) FROM (SELECT %1$s_summary(%2$s) s FROM rows_flat GROUP BY part
                                          UNION ALL SELECT NULL UNION ALL SELECT NULL) x)
             IS NOT DISTINCT FROM (SELECT %1$s(%2$s) FROM rows_flat) AS nulls_skipped $q$, name, args)
FROM cases ORDER BY name, args \gexec

-- A summary over a sliding window frame (the aggregate's inverse transition
-- keeps each row O(1)) reads as the aggregate over the same frame.
SELECT count(*) AS window_rows,
       count(*) FILTER (WHERE (a, b, c) IS DISTINCT FROM (x, y, z)) AS differing
FROM (SELECT win_rate(win_rate_summary(stage) OVER w) AS a, win_rate(stage) OVER w AS x,
             acv(acv_summary(amount, term) OVER w) AS b, acv(amount, term) OVER w AS y,
             sales_cycle_length(sales_cycle_length_summary(created_at, closed_at) OVER w) AS c,
             sales_cycle_length(created_at, closed_at) OVER w AS z
      FROM rows_flat WINDOW w AS (PARTITION BY segment ORDER BY id ROWS 50 PRECEDING)) q;

-- The same rolled up in parallel (Partial / Finalize Aggregate over the
-- summaries) and its plan.
CREATE TABLE summaries AS
SELECT part, created_at::date AS day,
       win_rate_summary(stage) AS win, conversion_rate_summary(won) AS conv,
       sales_cycle_length_summary(created_at, closed_at) AS cycle,
       -- (with an as-of time: open rows otherwise count until the start of
       -- the transaction that wrote the summary, and this one is later)
       avg_time_in_pipeline_summary(created_at, closed_at, timestamptz '2025-06-01') AS pipe,
       avg_ramp_time_summary(created_at, closed_at) AS ramp,
       retention_rate_summary(active, daterange('2022-01-01', '2023-01-01')) AS ret,
       churn_rate_summary(active, daterange('2022-01-01', '2023-01-01')) AS churn,
       pipeline_velocity_summary(stage, amount, created_at, closed_at) AS vel,
       acv_summary(amount, term) AS acv,
       clv_summary((id * 7919 % 700)::bigint, amount, created_at) AS clv,
       clv_summary('customer-' || (id * 7919 % 700), amount, created_at) AS clv_text
FROM rows_flat GROUP BY 1, 2;
ANALYZE summaries;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT win_rate(rollup(win)) FROM summaries;
CREATE TEMP TABLE parallel_answers AS
SELECT win_rate(rollup(win)) AS win, conversion_rate(rollup(conv)) AS conv, sales_cycle_length(rollup(cycle)) AS cycle,
       avg_time_in_pipeline(rollup(pipe)) AS pipe, avg_ramp_time(rollup(ramp)) AS ramp,
       retention_rate(rollup(ret)) AS ret, churn_rate(rollup(churn)) AS churn,
       pipeline_velocity(rollup(vel)) AS vel, acv(rollup(acv)) AS acv, clv(rollup(clv)) AS clv,
       clv(rollup(clv_text)) AS clv_text
FROM summaries;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;
SELECT (p.win, p.conv, p.cycle, p.pipe, p.ramp, p.ret, p.churn, p.vel, p.acv, p.clv, p.clv_text) IS NOT DISTINCT FROM
       (SELECT (win_rate(stage), conversion_rate(won), sales_cycle_length(created_at, closed_at),
                avg_time_in_pipeline(created_at, closed_at, timestamptz '2025-06-01'), avg_ramp_time(created_at, closed_at),
                retention_rate(active, daterange('2022-01-01', '2023-01-01')),
                churn_rate(active, daterange('2022-01-01', '2023-01-01')),
                pipeline_velocity(stage, amount, created_at, closed_at), acv(amount, term),
                clv((id * 7919 % 700)::bigint, amount, created_at),
                clv('customer-' || (id * 7919 % 700), amount, created_at))
        FROM rows_flat) AS parallel_equal
FROM parallel_answers p;

-- Text and binary forms: COPY out and back in, then the same answers.
CREATE TEMP TABLE copied (LIKE summaries);
\set copy_file '/tmp/sales_kpi_summary_regress.copy'
COPY summaries TO :'copy_file' (FORMAT binary);
COPY copied FROM :'copy_file' (FORMAT binary);
SELECT count(*) AS rows_binary,
       (SELECT (win_rate(rollup(win)), acv(rollup(acv)), pipeline_velocity(rollup(vel)), sales_cycle_length(rollup(cycle)),
                clv(rollup(clv)), clv(rollup(clv_text))) FROM copied)
       IS NOT DISTINCT FROM
       (SELECT (win_rate(rollup(win)), acv(rollup(acv)), pipeline_velocity(rollup(vel)), sales_cycle_length(rollup(cycle)),
                clv(rollup(clv)), clv(rollup(clv_text))) FROM summaries)
       AS binary_equal
FROM copied;
TRUNCATE copied;
COPY summaries TO :'copy_file';
COPY copied FROM :'copy_file';
SELECT count(*) AS rows_text,
       bool_and(c.win::text = s.win::text AND c.acv::text = s.acv::text AND c.ret::text = s.ret::text
                AND c.clv_text::text = s.clv_text::text) AS text_equal
FROM copied c JOIN summaries s USING (part, day);

-- A summary's text form is the state's bytes in base64: a version byte, a
-- kind byte, then the counts (won 2, lost 1, open 0 here).
SELECT win_rate_summary(s) AS summary, win_rate(win_rate_summary(s)) AS rate
FROM (VALUES ('Closed Won'), ('won'), ('closedlost')) v(s);
SELECT decode(win_rate_summary(s)::text, 'base64') AS bytes FROM (VALUES ('Closed Won'), ('won'), ('closedlost')) v(s);

-- Bad values: not base64, a truncated state, another aggregate's state, a
-- future format version (22P02 as text); binary input checks the same (22P03).
SELECT 'not base64!'::sales_kpi.win_rate_summary;
\echo :LAST_ERROR_SQLSTATE
SELECT 'AQEAAAA='::sales_kpi.win_rate_summary;
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT acv_summary(amount, term) FROM rows_flat)::text::sales_kpi.win_rate_summary;
\echo :LAST_ERROR_SQLSTATE
SELECT encode('\x09010000000000000002000000000000000100000000000000'::bytea, 'base64')::sales_kpi.win_rate_summary;
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT clv_summary((id % 5)::bigint, amount, created_at) FROM rows_flat)::text::sales_kpi.clv_text_summary;
\echo :LAST_ERROR_SQLSTATE
SELECT ''::sales_kpi.win_rate_summary;
\echo :LAST_ERROR_SQLSTATE
-- a binary COPY file holding one truncated win_rate summary
CREATE TEMP TABLE one_summary (s sales_kpi.win_rate_summary);
SELECT lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
                        || '\x0001'::bytea || '\x00000005'::bytea || '\x0101000000'::bytea || '\xffff'::bytea) AS lo \gset
SELECT lo_export(:lo, :'copy_file');
SELECT lo_unlink(:lo);
COPY one_summary FROM :'copy_file' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS loaded FROM one_summary;

-- NULL and empty input.
SELECT win_rate_summary(stage) IS NULL AS no_rows FROM rows_flat WHERE false;
SELECT win_rate(rollup(s)) AS rate FROM (VALUES (NULL::sales_kpi.win_rate_summary)) v(s);
SELECT win_rate(NULL::sales_kpi.win_rate_summary) AS rate;
SELECT win_rate(win_rate_summary(stage)) AS all_null_stages FROM rows_flat WHERE stage IS NULL;

DROP TABLE rows_flat, summaries;
