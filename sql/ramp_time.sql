--
-- avg_ramp_time(started_at, first_contact_at): mean of first_contact_at -
-- started_at over reps with both set.
--

SELECT avg_ramp_time(started_at, first_contact_at) AS ramp
FROM (VALUES ('2024-01-01'::timestamptz, '2024-01-15'::timestamptz),  -- 14 days
             ('2024-02-01', '2024-02-08'),                             -- 7 days
             ('2024-03-01', NULL),                                     -- not yet: ignored
             (NULL, '2024-01-02')) AS v(started_at, first_contact_at);  -- ignored

SELECT avg_ramp_time(s, f) AS none FROM (VALUES ('2024-03-01'::timestamptz, NULL::timestamptz)) AS v(s, f);

SELECT team, avg_ramp_time(s, f)
FROM (VALUES ('east', '2024-01-01'::timestamptz, '2024-01-02'::timestamptz),
             ('east', '2024-01-01', '2024-01-04'),
             ('west', '2024-01-01', '2024-01-01 06:00')) AS v(team, s, f)
GROUP BY team ORDER BY team;
