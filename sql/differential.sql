--
-- Differential test: every aggregate against a plain-SQL reference on
-- 120,000 generated rows with random NULLs, grouped and as a window function
-- with ROWS and RANGE frames.  Each check prints the number of rows compared
-- and the number that differ (which must be 0).  parallel.sql reuses the
-- table for the forced-parallel comparison.
--

-- The reference classification, written independently of stage_outcome().
CREATE FUNCTION ref_outcome(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(translate(s, E' _-\t', ''))
           WHEN 'won' THEN 'won' WHEN 'closedwon' THEN 'won'
           WHEN 'lost' THEN 'lost' WHEN 'closedlost' THEN 'lost'
           ELSE 'open' END
$$;
-- A duration in exact microseconds, and a mean of them back to an interval.
CREATE FUNCTION ref_usecs(a timestamptz, b timestamptz) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT extract(epoch FROM b - a) * 1000000 $$;
CREATE FUNCTION ref_interval(usecs numeric) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT justify_hours(round(usecs)::bigint * interval '1 microsecond')
$$;

SELECT setseed(0.1234);
CREATE TABLE gen AS
SELECT i AS id,
       1 + (i % 50) AS rep_id,
       CASE WHEN random() < 0.05 THEN NULL
            ELSE (ARRAY['Closed Won', 'closed_lost', 'Prospecting', 'Negotiation', 'WON',
                        'Lost', 'closedwon', 'Qualification', 'CLOSED-LOST'])[1 + floor(random() * 9)::int]
       END AS stage,
       CASE WHEN random() < 0.1 THEN NULL ELSE random() < 0.4 END AS won,
       e AS entered_at,
       CASE WHEN random() < 0.3 THEN NULL ELSE e + random() * interval '200 days' END AS exited_at,
       CASE WHEN random() < 0.05 THEN NULL ELSE e - random() * interval '30 days' END AS started_at,
       CASE WHEN random() < 0.2 THEN NULL ELSE e + random() * interval '90 days' END AS first_contact_at,
       CASE WHEN random() < 0.05 THEN NULL ELSE 1 + floor(random() * 20000)::bigint END AS customer_id,
       CASE WHEN random() < 0.05 THEN NULL ELSE round((random() * 10000)::numeric, 2) END AS amount
FROM generate_series(1, 120000) AS i,
     LATERAL (SELECT CASE WHEN random() < 0.03 + 0 * i THEN NULL
                          ELSE timestamptz '2020-01-01' + random() * interval '1500 days' END AS e) AS t;
ANALYZE gen;
SELECT count(*) AS rows, count(*) - count(stage) AS null_stages,
       count(*) - count(entered_at) AS null_entered, count(DISTINCT customer_id) AS customers
FROM gen;

-- The reference for every aggregate, per rep, in plain SQL; built in the
-- same transaction as the KPI answers so that now() is the same for both.
BEGIN;
CREATE TEMP TABLE ref AS
WITH cust AS (
  SELECT rep_id, customer_id, count(*) AS purchases,
         greatest(extract(epoch FROM max(entered_at) - min(entered_at)) / (365.25 * 86400), 1) AS tenure
  FROM gen
  WHERE customer_id IS NOT NULL AND amount IS NOT NULL AND entered_at IS NOT NULL
  GROUP BY rep_id, customer_id
), clv_ref AS (
  SELECT c.rep_id,
         (SELECT sum(amount) / count(*) FROM gen g
           WHERE g.rep_id = c.rep_id AND customer_id IS NOT NULL AND amount IS NOT NULL
             AND entered_at IS NOT NULL) * avg(purchases / tenure) * avg(tenure) AS clv
  FROM cust c GROUP BY c.rep_id
)
SELECT rep_id,
       count(*) FILTER (WHERE ref_outcome(stage) = 'won')::float8
         / nullif(count(*) FILTER (WHERE ref_outcome(stage) IN ('won', 'lost')), 0) AS wr,
       count(*) FILTER (WHERE won)::float8 / nullif(count(won), 0) AS wrb,
       count(*) FILTER (WHERE ref_outcome(stage) = 'won')::float8 / nullif(count(stage), 0) AS cr,
       count(*) FILTER (WHERE won)::float8 / nullif(count(won), 0) AS crb,
       ref_interval(avg(ref_usecs(entered_at, now()))) AS tip1,
       ref_interval(avg(ref_usecs(entered_at, coalesce(exited_at, now())))) AS tip2,
       ref_interval(avg(ref_usecs(entered_at, least(coalesce(exited_at, '2022-06-01'), '2022-06-01')))
                    FILTER (WHERE entered_at <= '2022-06-01')) AS tip3,
       ref_interval(avg(ref_usecs(entered_at, exited_at))) AS cyc,
       ref_interval(avg(ref_usecs(started_at, first_contact_at))) AS ramp,
       (SELECT clv FROM clv_ref r WHERE r.rep_id = gen.rep_id) AS clv
FROM gen GROUP BY rep_id;

CREATE TEMP TABLE kpi AS
SELECT rep_id,
       win_rate(stage) AS wr, win_rate(won) AS wrb,
       conversion_rate(stage) AS cr, conversion_rate(won) AS crb,
       avg_time_in_pipeline(entered_at) AS tip1,
       avg_time_in_pipeline(entered_at, exited_at) AS tip2,
       avg_time_in_pipeline(entered_at, exited_at, '2022-06-01') AS tip3,
       sales_cycle_length(entered_at, exited_at) AS cyc,
       avg_ramp_time(started_at, first_contact_at) AS ramp,
       clv(customer_id, amount, entered_at) AS clv,
       -- the text-id form, on the same customers written as CRM ids
       clv('001A' || lpad(customer_id::text, 14, '0'), amount, entered_at) AS clvt,
       -- the (pipeline, stage) forms; the catalog is empty, so they classify
       -- as the one-argument forms do, through their own transition
       win_rate(CASE WHEN id % 3 > 0 THEN 'p' || id % 3 END, stage) AS wrp,
       conversion_rate(CASE WHEN id % 3 > 0 THEN 'p' || id % 3 END, stage) AS crp
FROM gen GROUP BY rep_id;
COMMIT;

-- Grouped, serial: rates and durations exactly equal; CLV, which involves
-- real-valued tenures, to 1e-9 relative.
SELECT count(*) AS groups,
       count(*) FILTER (WHERE k.wr IS DISTINCT FROM r.wr) AS win_rate_text,
       count(*) FILTER (WHERE k.wrb IS DISTINCT FROM r.wrb) AS win_rate_bool,
       count(*) FILTER (WHERE k.cr IS DISTINCT FROM r.cr) AS conversion_text,
       count(*) FILTER (WHERE k.crb IS DISTINCT FROM r.crb) AS conversion_bool,
       count(*) FILTER (WHERE k.tip1 IS DISTINCT FROM r.tip1) AS pipeline_1,
       count(*) FILTER (WHERE k.tip2 IS DISTINCT FROM r.tip2) AS pipeline_2,
       count(*) FILTER (WHERE k.tip3 IS DISTINCT FROM r.tip3) AS pipeline_3,
       count(*) FILTER (WHERE k.cyc IS DISTINCT FROM r.cyc) AS cycle,
       count(*) FILTER (WHERE k.ramp IS DISTINCT FROM r.ramp) AS ramp,
       count(*) FILTER (WHERE abs(k.clv - r.clv) > 1e-9 * abs(r.clv) OR (k.clv IS NULL) <> (r.clv IS NULL)) AS clv,
       count(*) FILTER (WHERE k.clvt IS DISTINCT FROM k.clv) AS clv_text_ids,
       count(*) FILTER (WHERE k.wrp IS DISTINCT FROM r.wr) AS win_rate_pipeline,
       count(*) FILTER (WHERE k.crp IS DISTINCT FROM r.cr) AS conversion_pipeline
FROM kpi k FULL JOIN ref r USING (rep_id);
-- The results are not trivial.
SELECT min(wr) > 0.3 AND max(wr) < 0.6 AS plausible_win_rate,
       min(cyc) > interval '90 days' AND max(cyc) < interval '110 days' AS plausible_cycle,
       min(clv) > 5000 AS plausible_clv
FROM kpi;

-- As window functions (now() is the same within one statement, so the
-- references of the forms that run open rows to now() are computed in the
-- query itself): a ROWS frame of 5 preceding rows and a RANGE frame of 30
-- days, per rep, ordered by entered_at; every row compared.
CREATE TEMP TABLE w AS
SELECT id, rep_id, entered_at, stage, won, exited_at, started_at, first_contact_at,
       ref_outcome(stage) AS outcome,
       ref_usecs(entered_at, least(coalesce(exited_at, '2022-06-01'), '2022-06-01'))
         * CASE WHEN entered_at <= '2022-06-01' THEN 1 END AS tip3_us,
       ref_usecs(entered_at, exited_at) AS cyc_us,
       ref_usecs(started_at, first_contact_at) AS ramp_us
FROM gen WHERE entered_at IS NOT NULL;

SELECT 'ROWS 5 PRECEDING' AS frame, count(*) AS rows_compared,
       count(*) FILTER (WHERE wr IS DISTINCT FROM ref_wr) AS win_rate,
       count(*) FILTER (WHERE wrp IS DISTINCT FROM ref_wr) AS win_rate_pipeline,
       count(*) FILTER (WHERE wrb IS DISTINCT FROM ref_wrb) AS win_rate_bool,
       count(*) FILTER (WHERE cr IS DISTINCT FROM ref_cr) AS conversion,
       count(*) FILTER (WHERE tip1 IS DISTINCT FROM ref_tip1) AS pipeline_1,
       count(*) FILTER (WHERE tip2 IS DISTINCT FROM ref_tip2) AS pipeline_2,
       count(*) FILTER (WHERE tip3 IS DISTINCT FROM ref_tip3) AS pipeline_3,
       count(*) FILTER (WHERE cyc IS DISTINCT FROM ref_cyc) AS cycle,
       count(*) FILTER (WHERE ramp IS DISTINCT FROM ref_ramp) AS ramp
FROM (
  SELECT win_rate(stage) OVER f AS wr,
         win_rate(CASE WHEN id % 3 > 0 THEN 'p' || id % 3 END, stage) OVER f AS wrp,
         count(*) FILTER (WHERE outcome = 'won') OVER f::float8
           / nullif(count(*) FILTER (WHERE outcome IN ('won', 'lost')) OVER f, 0) AS ref_wr,
         win_rate(won) OVER f AS wrb,
         count(*) FILTER (WHERE won) OVER f::float8 / nullif(count(won) OVER f, 0) AS ref_wrb,
         conversion_rate(stage) OVER f AS cr,
         count(*) FILTER (WHERE outcome = 'won') OVER f::float8 / nullif(count(stage) OVER f, 0) AS ref_cr,
         avg_time_in_pipeline(entered_at) OVER f AS tip1,
         ref_interval(avg(ref_usecs(entered_at, now())) OVER f) AS ref_tip1,
         avg_time_in_pipeline(entered_at, exited_at) OVER f AS tip2,
         ref_interval(avg(ref_usecs(entered_at, coalesce(exited_at, now()))) OVER f) AS ref_tip2,
         avg_time_in_pipeline(entered_at, exited_at, '2022-06-01') OVER f AS tip3,
         ref_interval(avg(tip3_us) OVER f) AS ref_tip3,
         sales_cycle_length(entered_at, exited_at) OVER f AS cyc, ref_interval(avg(cyc_us) OVER f) AS ref_cyc,
         avg_ramp_time(started_at, first_contact_at) OVER f AS ramp, ref_interval(avg(ramp_us) OVER f) AS ref_ramp
  FROM w
  WINDOW f AS (PARTITION BY rep_id ORDER BY entered_at, id ROWS 5 PRECEDING)
) AS x;

SELECT 'RANGE 30 days PRECEDING' AS frame, count(*) AS rows_compared,
       count(*) FILTER (WHERE wr IS DISTINCT FROM ref_wr) AS win_rate,
       count(*) FILTER (WHERE wrp IS DISTINCT FROM ref_wr) AS win_rate_pipeline,
       count(*) FILTER (WHERE wrb IS DISTINCT FROM ref_wrb) AS win_rate_bool,
       count(*) FILTER (WHERE cr IS DISTINCT FROM ref_cr) AS conversion,
       count(*) FILTER (WHERE tip1 IS DISTINCT FROM ref_tip1) AS pipeline_1,
       count(*) FILTER (WHERE tip2 IS DISTINCT FROM ref_tip2) AS pipeline_2,
       count(*) FILTER (WHERE tip3 IS DISTINCT FROM ref_tip3) AS pipeline_3,
       count(*) FILTER (WHERE cyc IS DISTINCT FROM ref_cyc) AS cycle,
       count(*) FILTER (WHERE ramp IS DISTINCT FROM ref_ramp) AS ramp
FROM (
  SELECT win_rate(stage) OVER f AS wr,
         win_rate(CASE WHEN id % 3 > 0 THEN 'p' || id % 3 END, stage) OVER f AS wrp,
         count(*) FILTER (WHERE outcome = 'won') OVER f::float8
           / nullif(count(*) FILTER (WHERE outcome IN ('won', 'lost')) OVER f, 0) AS ref_wr,
         win_rate(won) OVER f AS wrb,
         count(*) FILTER (WHERE won) OVER f::float8 / nullif(count(won) OVER f, 0) AS ref_wrb,
         conversion_rate(stage) OVER f AS cr,
         count(*) FILTER (WHERE outcome = 'won') OVER f::float8 / nullif(count(stage) OVER f, 0) AS ref_cr,
         avg_time_in_pipeline(entered_at) OVER f AS tip1,
         ref_interval(avg(ref_usecs(entered_at, now())) OVER f) AS ref_tip1,
         avg_time_in_pipeline(entered_at, exited_at) OVER f AS tip2,
         ref_interval(avg(ref_usecs(entered_at, coalesce(exited_at, now()))) OVER f) AS ref_tip2,
         avg_time_in_pipeline(entered_at, exited_at, '2022-06-01') OVER f AS tip3,
         ref_interval(avg(tip3_us) OVER f) AS ref_tip3,
         sales_cycle_length(entered_at, exited_at) OVER f AS cyc, ref_interval(avg(cyc_us) OVER f) AS ref_cyc,
         avg_ramp_time(started_at, first_contact_at) OVER f AS ramp, ref_interval(avg(ramp_us) OVER f) AS ref_ramp
  FROM w
  WINDOW f AS (PARTITION BY rep_id ORDER BY entered_at RANGE BETWEEN interval '30 days' PRECEDING AND CURRENT ROW)
) AS x;

-- CLV as a window (no inverse): each 20-row frame against the reference
-- recomputed from scratch, for rep 7.
WITH r AS (
  SELECT row_number() OVER (ORDER BY entered_at, id) AS n, customer_id, amount, entered_at
  FROM gen WHERE rep_id = 7 AND entered_at IS NOT NULL
), win AS (
  SELECT n, clv(customer_id, amount, entered_at) OVER (ORDER BY n ROWS 19 PRECEDING) AS clv FROM r
), ref AS (
  SELECT r1.n,
         (SELECT sum(amount) / count(*) FROM r r2
           WHERE r2.n BETWEEN r1.n - 19 AND r1.n AND customer_id IS NOT NULL AND amount IS NOT NULL)
         * (SELECT avg(p / t) * avg(t) FROM (
              SELECT count(*) AS p,
                     greatest(extract(epoch FROM max(entered_at) - min(entered_at)) / (365.25 * 86400), 1) AS t
              FROM r r3 WHERE r3.n BETWEEN r1.n - 19 AND r1.n AND customer_id IS NOT NULL AND amount IS NOT NULL
              GROUP BY customer_id) AS c) AS clv
  FROM r r1
)
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE abs(win.clv - ref.clv) > 1e-9 * abs(ref.clv)
                        OR (win.clv IS NULL) <> (ref.clv IS NULL)) AS clv_differing
FROM win JOIN ref USING (n);

--
-- The KPI library: pipeline_velocity on the same deals, acv and retention on
-- generated contracts and customer ranges.
--
SELECT setseed(0.777);
CREATE TABLE gen_contracts AS
SELECT i AS id, 1 + (i % 40) AS team,
       CASE WHEN random() < 0.05 THEN NULL ELSE round((random() * 100000)::numeric, 2) END AS contract_value,
       CASE WHEN random() < 0.05 THEN NULL ELSE daterange(s, s + (1 + floor(random() * 1100))::int) END AS term,
       CASE WHEN random() < 0.05 THEN NULL
            ELSE daterange(a, CASE WHEN random() < 0.4 THEN NULL ELSE a + (1 + floor(random() * 1500))::int END)
       END AS active
FROM generate_series(1, 100000) AS i,
     LATERAL (SELECT date '2020-01-01' + floor(random() * 1500 + 0 * i)::int AS s,
                     date '2019-01-01' + floor(random() * 2000 + 0 * i)::int AS a) AS d;
ANALYZE gen_contracts;

-- Term in 1/17532 years (months * 1461 + days * 48, as age() counts them).
CREATE FUNCTION ref_term_units(t daterange) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (extract(year FROM age(upper(t), lower(t))) * 12 + extract(month FROM age(upper(t), lower(t)))) * 1461
         + extract(day FROM age(upper(t), lower(t))) * 48
$$;

-- Grouped: acv to 1e-6 (each row's quotient is rounded at numeric division
-- scale before the mean), retention and churn exactly.
SELECT count(*) AS groups,
       count(*) FILTER (WHERE abs(k.acv - r.acv) > 1e-6 OR (k.acv IS NULL) <> (r.acv IS NULL)) AS acv,
       count(*) FILTER (WHERE k.retention IS DISTINCT FROM r.retention) AS retention,
       count(*) FILTER (WHERE k.churn IS DISTINCT FROM r.churn) AS churn,
       min(k.acv) > 10000 AND min(k.retention) > 0.3 AS plausible
FROM (SELECT team, acv(contract_value, term) AS acv,
             retention_rate(active, daterange('2022-01-01', '2023-01-01')) AS retention,
             churn_rate(active, daterange('2022-01-01', '2023-01-01')) AS churn
      FROM gen_contracts GROUP BY team) AS k
FULL JOIN
     (SELECT team, avg(contract_value * 17532 / ref_term_units(term)) AS acv,
             count(*) FILTER (WHERE active @> date '2022-01-01' AND active @> date '2022-12-31')::float8
               / nullif(count(*) FILTER (WHERE active @> date '2022-01-01'), 0) AS retention,
             count(*) FILTER (WHERE active @> date '2022-01-01' AND NOT active @> date '2022-12-31')::float8
               / nullif(count(*) FILTER (WHERE active @> date '2022-01-01'), 0) AS churn
      FROM gen_contracts GROUP BY team) AS r USING (team);

-- pipeline_velocity against the product of its four parts in plain SQL: the
-- result is rounded to 8 decimal places, so they agree to half a unit in the
-- 8th place (plus 1e-12 relative for the reference's own division).
SELECT count(*) AS groups,
       count(*) FILTER (WHERE abs(k.v - r.v) > 0.5e-8 + 1e-12 * abs(r.v) OR (k.v IS NULL) <> (r.v IS NULL)) AS velocity,
       min(k.v) > 0 AS plausible
FROM (SELECT rep_id, pipeline_velocity(stage, amount, entered_at, exited_at) AS v
      FROM gen GROUP BY rep_id) AS k
FULL JOIN
     (SELECT rep_id,
             count(*) FILTER (WHERE ref_outcome(stage) = 'open')
             * avg(amount) FILTER (WHERE ref_outcome(stage) = 'won')
             * (count(*) FILTER (WHERE ref_outcome(stage) = 'won')::numeric
                / nullif(count(*) FILTER (WHERE ref_outcome(stage) IN ('won', 'lost')), 0))
             / (avg(ref_usecs(entered_at, exited_at)) FILTER (WHERE ref_outcome(stage) = 'won') / 86400000000) AS v
      FROM gen WHERE stage IS NOT NULL GROUP BY rep_id) AS r USING (rep_id);

-- As window functions with ROWS and RANGE frames, row by row.
SELECT frame, count(*) AS rows_compared,
       count(*) FILTER (WHERE abs(acv - ref_acv) > 1e-6 OR (acv IS NULL) <> (ref_acv IS NULL)) AS acv,
       count(*) FILTER (WHERE retention IS DISTINCT FROM ref_retention) AS retention
FROM (
  SELECT 'ROWS 5 PRECEDING' AS frame,
         acv(contract_value, term) OVER f AS acv,
         avg(contract_value * 17532 / ref_term_units(term)) OVER f AS ref_acv,
         retention_rate(active, daterange('2022-01-01', '2023-01-01')) OVER f AS retention,
         count(*) FILTER (WHERE active @> date '2022-01-01' AND active @> date '2022-12-31') OVER f::float8
           / nullif(count(*) FILTER (WHERE active @> date '2022-01-01') OVER f, 0) AS ref_retention
  FROM gen_contracts WINDOW f AS (PARTITION BY team ORDER BY id ROWS 5 PRECEDING)
  UNION ALL
  SELECT 'RANGE 50 PRECEDING',
         acv(contract_value, term) OVER f,
         avg(contract_value * 17532 / ref_term_units(term)) OVER f,
         retention_rate(active, daterange('2022-01-01', '2023-01-01')) OVER f,
         count(*) FILTER (WHERE active @> date '2022-01-01' AND active @> date '2022-12-31') OVER f::float8
           / nullif(count(*) FILTER (WHERE active @> date '2022-01-01') OVER f, 0)
  FROM gen_contracts WINDOW f AS (PARTITION BY team ORDER BY id RANGE 50 PRECEDING)
) AS x GROUP BY frame ORDER BY frame;

SELECT frame, count(*) AS rows_compared,
       count(*) FILTER (WHERE abs(v - ref_v) > 0.5e-8 + 1e-12 * abs(ref_v) OR (v IS NULL) <> (ref_v IS NULL)) AS velocity
FROM (
  SELECT 'ROWS 20 PRECEDING' AS frame,
         pipeline_velocity(stage, amount, entered_at, exited_at) OVER f AS v,
         count(*) FILTER (WHERE o = 'open') OVER f
         * avg(amount) FILTER (WHERE o = 'won') OVER f
         * (count(*) FILTER (WHERE o = 'won') OVER f::numeric
            / nullif(count(*) FILTER (WHERE o IN ('won', 'lost')) OVER f, 0))
         / nullif(avg(ref_usecs(entered_at, exited_at)) FILTER (WHERE o = 'won') OVER f / 86400000000, 0) AS ref_v
  FROM (SELECT *, ref_outcome(stage) AS o FROM gen WHERE stage IS NOT NULL AND entered_at IS NOT NULL) AS g
  WINDOW f AS (PARTITION BY rep_id ORDER BY entered_at, id ROWS 20 PRECEDING)
  UNION ALL
  SELECT 'RANGE 60 days PRECEDING',
         pipeline_velocity(stage, amount, entered_at, exited_at) OVER f,
         count(*) FILTER (WHERE o = 'open') OVER f
         * avg(amount) FILTER (WHERE o = 'won') OVER f
         * (count(*) FILTER (WHERE o = 'won') OVER f::numeric
            / nullif(count(*) FILTER (WHERE o IN ('won', 'lost')) OVER f, 0))
         / nullif(avg(ref_usecs(entered_at, exited_at)) FILTER (WHERE o = 'won') OVER f / 86400000000, 0)
  FROM (SELECT *, ref_outcome(stage) AS o FROM gen WHERE stage IS NOT NULL AND entered_at IS NOT NULL) AS g
  WINDOW f AS (PARTITION BY rep_id ORDER BY entered_at RANGE BETWEEN interval '60 days' PRECEDING AND CURRENT ROW)
) AS x GROUP BY frame ORDER BY frame;

-- The window functions against lag() and lead(), row by row.
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE g IS DISTINCT FROM ref_g) AS period_growth,
       count(*) FILTER (WHERE g IS NOT NULL) AS non_null_growths
FROM (SELECT period_growth(amount) OVER w AS g,
             ((amount - lag(amount) OVER w) / nullif(lag(amount) OVER w, 0))::float8 AS ref_g
      FROM gen WINDOW w AS (PARTITION BY rep_id ORDER BY id)) AS x;

SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE t1 IS DISTINCT FROM ref_t1) AS time_in_stage,
       count(*) FILTER (WHERE t2 IS DISTINCT FROM ref_t2) AS time_in_stage_as_of
FROM (SELECT time_in_stage(entered_at) OVER w AS t1,
             coalesce(lead(entered_at) OVER w, now()) - entered_at AS ref_t1,
             time_in_stage(entered_at, '2030-01-01') OVER w AS t2,
             coalesce(lead(entered_at) OVER w, '2030-01-01') - entered_at AS ref_t2
      FROM gen WHERE entered_at IS NOT NULL
      WINDOW w AS (PARTITION BY customer_id ORDER BY entered_at, id)) AS x;
