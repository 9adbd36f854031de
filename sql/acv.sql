--
-- acv(contract_value numeric, term daterange): mean of contract_value / term
-- years, term years = whole months / 12 + leftover days / 365.25 as
-- age(upper, lower) counts them.
--

-- KPI_SPEC test vector: 12,000, 24,000 and 36,000 for one year each is 24,000.
SELECT acv(v, daterange('2024-01-01', '2025-01-01')) AS acv
FROM (VALUES (12000), (24000), (36000)) AS t(v);

-- Calendar years: a leap year and a common year are both exactly 1; half a
-- year is 0.5; 18 months is 1.5; a plan of 1,200 a year is 100 a month.
SELECT acv(12000, daterange('2024-01-01', '2025-01-01')) AS leap_year,
       acv(12000, daterange('2025-01-01', '2026-01-01')) AS common_year,
       acv(12000, daterange('2024-01-01', '2024-07-01')) AS half_year,
       acv(36000, daterange('2024-01-01', '2025-07-01')) AS eighteen_months,
       acv(100, daterange('2024-03-01', '2024-04-01')) AS monthly_100;
-- Leftover days count 1/365.25 of a year each: 1 year and 1 day, and 1 day.
SELECT acv(366.25, daterange('2024-01-01', '2025-01-02')) AS year_and_a_day,
       acv(1, daterange('2024-01-01', '2024-01-02')) AS one_day;
-- age() borrows the days of the lower month: Jan 31 to Mar 1 is 1 month 1 day.
SELECT age('2024-03-01', '2024-01-31') AS age,
       acv(1461 + 48, daterange('2024-01-31', '2024-03-01')) AS acv_17532;
-- A daterange written with inclusive bounds is canonicalised to [).
SELECT acv(12000, '[2024-01-01,2024-12-31]'::daterange) AS inclusive_year;

-- NULLs do not count; an empty group is NULL; a mix of terms.
SELECT acv(v, t) AS mixed
FROM (VALUES (12000, daterange('2024-01-01', '2025-01-01')),   -- 12000 a year
             (12000, daterange('2024-01-01', '2026-01-01')),   --  6000 a year
             (NULL, daterange('2024-01-01', '2025-01-01')),
             (5000, NULL)) AS x(v, t);
SELECT acv(1, daterange('2024-01-01', '2025-01-01')) AS empty WHERE false;

-- Money is exact: no float rounding; results are rounded to 8 decimal places.
SELECT acv(v, daterange('2024-01-01', '2025-01-01')) AS exact
FROM (VALUES (0.1), (0.2)) AS t(v);
SELECT acv(100, daterange('2024-01-01', '2027-01-01')) AS one_third_of_100;

-- Grouped and as a sliding window (inverse transition).
SELECT g, acv(v, t) FROM (VALUES (1, 1000, daterange('2024-01-01', '2025-01-01')),
                                 (1, 3000, daterange('2024-01-01', '2025-01-01')),
                                 (2, 500, daterange('2024-01-01', '2024-07-01'))) AS x(g, v, t)
GROUP BY g ORDER BY g;
SELECT i, acv(v, daterange('2024-01-01', '2025-01-01')) OVER (ORDER BY i ROWS 1 PRECEDING) AS last_two
FROM (VALUES (1, 100), (2, 300), (3, NULL), (4, 1000)) AS x(i, v) ORDER BY i;
