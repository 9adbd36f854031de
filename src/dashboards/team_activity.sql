-- Dashboard: Team activity.  Per rep, for the fiscal quarter to date: tasks
-- created and completed, calls, emails and meetings; and the rep's overdue
-- tasks (due before the end of the as-of day and not completed by then,
-- whenever created).

CREATE VIEW sales_kpi.team_activity WITH (security_invoker = true) AS
WITH f AS (SELECT * FROM sales_kpi.fiscal_now),
a AS (
    SELECT a.*, a.created_at >= f.quarter_start AS this_quarter,
           a.completed_at < f.as_of_end AS completed
    FROM sales_kpi.activities a CROSS JOIN f
    WHERE a.created_at < f.as_of_end
)
SELECT r.rep_id,
       r.name AS rep_name,
       r.team,
       count(a.activity_id) FILTER (WHERE a.kind = 'task' AND a.this_quarter) AS tasks_total,
       count(a.activity_id) FILTER (WHERE a.kind = 'task' AND a.this_quarter AND a.completed) AS tasks_completed,
       count(a.activity_id) FILTER (WHERE a.kind = 'task' AND a.due_at < f.as_of_end
                                    AND a.completed IS NOT TRUE) AS tasks_overdue,
       count(a.activity_id) FILTER (WHERE a.kind = 'call' AND a.this_quarter) AS calls,
       count(a.activity_id) FILTER (WHERE a.kind = 'email' AND a.this_quarter) AS emails,
       count(a.activity_id) FILTER (WHERE a.kind = 'meeting' AND a.this_quarter) AS meetings,
       count(a.activity_id) FILTER (WHERE a.this_quarter) AS activities_total,
       f.quarter_start AS period_start,
       f.as_of
FROM sales_kpi.reps r
CROSS JOIN f
LEFT JOIN a ON a.rep_id = r.rep_id
WHERE (r.hired_on IS NULL OR r.hired_on <= f.as_of) AND (r.left_on IS NULL OR r.left_on > f.quarter_start)
GROUP BY r.rep_id, r.name, r.team, f.quarter_start, f.as_of;
COMMENT ON VIEW sales_kpi.team_activity IS
    'Team activity dashboard: per rep, tasks, calls, emails and meetings this fiscal quarter, and overdue tasks';
COMMENT ON COLUMN sales_kpi.team_activity.rep_id IS 'Rep';
COMMENT ON COLUMN sales_kpi.team_activity.rep_name IS 'Rep name';
COMMENT ON COLUMN sales_kpi.team_activity.team IS 'Team';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_total IS 'Tasks created this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_completed IS 'Tasks created this quarter and completed by the as-of day';
COMMENT ON COLUMN sales_kpi.team_activity.tasks_overdue IS 'Tasks due before the end of the as-of day and not completed by then';
COMMENT ON COLUMN sales_kpi.team_activity.calls IS 'Calls this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.emails IS 'Emails this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.meetings IS 'Meetings this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.activities_total IS 'All activities this quarter';
COMMENT ON COLUMN sales_kpi.team_activity.period_start IS 'First day of the fiscal quarter';
COMMENT ON COLUMN sales_kpi.team_activity.as_of IS 'The as-of day';
