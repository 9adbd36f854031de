-- Dashboard: Team activity.  Per rep, for the fiscal quarter to date: tasks
-- created and completed, calls, emails and meetings; and the rep's overdue
-- tasks of any age (due before the end of the as-of day and not completed by
-- then, whenever created).  Each column's name says which of the two it
-- counts: a rep may well have more overdue tasks of any age than tasks this
-- quarter.

-- The quarter's activities are found through the index on created_at (by
-- rep, for a role that sees some reps; the quarter's start compared as a
-- timestamptz, which an index can, unlike a date), and the overdue tasks
-- through the index of tasks never completed (by rep, read from the index
-- alone) plus the one on completed_at (tasks completed after the as-of
-- day): neither part reads the whole history of activities.
CREATE VIEW sales_kpi.team_activity WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
quarter AS (
    SELECT a.rep_id,
           count(*) FILTER (WHERE a.kind = 'task') AS tasks_this_quarter,
           count(*) FILTER (WHERE a.kind = 'task' AND a.completed_at < (SELECT as_of_end FROM f))
               AS tasks_completed_this_quarter,
           count(*) FILTER (WHERE a.kind = 'call') AS calls,
           count(*) FILTER (WHERE a.kind = 'email') AS emails,
           count(*) FILTER (WHERE a.kind = 'meeting') AS meetings,
           count(*) AS activities_total
    FROM sales_kpi.activities a
    WHERE a.created_at >= (SELECT quarter_start::timestamptz FROM f) AND a.created_at < (SELECT as_of_end FROM f)
    GROUP BY a.rep_id
),
overdue AS (
    SELECT o.rep_id, count(*) AS tasks_overdue_any_age
    FROM (SELECT a.rep_id FROM sales_kpi.activities a
          WHERE a.kind = 'task' AND a.completed_at IS NULL
            AND a.due_at < (SELECT as_of_end FROM f) AND a.created_at < (SELECT as_of_end FROM f)
          UNION ALL
          SELECT a.rep_id FROM sales_kpi.activities a
          WHERE a.kind = 'task' AND a.completed_at >= (SELECT as_of_end FROM f)
            AND a.due_at < (SELECT as_of_end FROM f) AND a.created_at < (SELECT as_of_end FROM f)) o
    GROUP BY o.rep_id
)
SELECT r.rep_id,
       r.name AS rep_name,
       r.team,
       coalesce(q.tasks_this_quarter, 0) AS tasks_this_quarter,
       coalesce(q.tasks_completed_this_quarter, 0) AS tasks_completed_this_quarter,
       coalesce(o.tasks_overdue_any_age, 0) AS tasks_overdue_any_age,
       coalesce(q.calls, 0) AS calls,
       coalesce(q.emails, 0) AS emails,
       coalesce(q.meetings, 0) AS meetings,
       coalesce(q.activities_total, 0) AS activities_total,
       f.quarter_start AS period_start,
       f.as_of
FROM sales_kpi.reps r
CROSS JOIN f
LEFT JOIN quarter q ON q.rep_id = r.rep_id
LEFT JOIN overdue o ON o.rep_id = r.rep_id
WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.quarter_start);
COMMENT ON VIEW sales_kpi.team_activity IS
    'Team activity dashboard: per rep, tasks, calls, emails and meetings this fiscal quarter, and overdue tasks';
COMMENT ON COLUMN sales_kpi.team_activity.rep_id IS 'Rep';
COMMENT ON COLUMN sales_kpi.team_activity.rep_name IS 'Rep name';
COMMENT ON COLUMN sales_kpi.team_activity.team IS 'Team';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_this_quarter IS 'Tasks created this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_completed_this_quarter IS 'Tasks created this quarter and completed by the as-of day';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_overdue_any_age IS
    'Tasks due before the end of the as-of day and not completed by then, whenever created (not only this quarter''s)';
COMMENT ON COLUMN sales_kpi.team_activity.calls IS 'Calls this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.emails IS 'Emails this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.meetings IS 'Meetings this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.activities_total IS 'All activities this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.period_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.team_activity.as_of IS 'The as-of day';
