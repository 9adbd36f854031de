--
-- conversion_rate(text) and conversion_rate(boolean): won / counted rows.
--

-- KPI_SPEC test vector: 4 deals closed out of 7 leads is 4/7.
SELECT conversion_rate(s) AS four_of_seven, conversion_rate(s) = 4.0 / 7 AS is_4_7
FROM (VALUES ('Won'), ('Won'), ('Won'), ('Won'), ('Lost'), ('Engaging'), ('Prospecting')) AS v(s);
SELECT conversion_rate(c) AS four_of_seven
FROM (VALUES (true), (true), (true), (true), (false), (false), (false), (NULL)) AS v(c);

-- NULL stages and NULL flags do not count; lost and open rows do.
SELECT conversion_rate(s) AS one_of_three
FROM (VALUES ('closed won'), ('closed lost'), ('Qualified'), (NULL)) AS v(s);

-- Empty input and single rows.
SELECT conversion_rate(s) AS empty FROM (VALUES ('Won')) AS v(s) WHERE false;
SELECT conversion_rate('Won'::text) AS won, conversion_rate('Open'::text) AS open,
       conversion_rate(NULL::text) AS null_stage, conversion_rate(NULL::boolean) AS null_flag;

-- Grouped and windowed.
SELECT g, conversion_rate(c) FROM (VALUES (1, true), (1, false), (2, false), (3, NULL)) AS v(g, c)
GROUP BY g ORDER BY g;
SELECT i, conversion_rate(c) OVER (ORDER BY i ROWS 2 PRECEDING) AS last_three
FROM (VALUES (1, true), (2, false), (3, false), (4, true), (5, true)) AS v(i, c) ORDER BY i;
