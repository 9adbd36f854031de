import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a BI tool does when it connects to the sales_kpi dashboards over JDBC.
 *
 * As the dashboard reader role: list the views of schema sales_kpi through
 * DatabaseMetaData.getTables, list every column of every dashboard through
 * getColumns and check that each has a concrete type, read every dashboard
 * (the materialized twins, which are what that role may read), and check that
 * the role can read nothing else. As an analyst role: run
 * SELECT rep_id, win_rate(stage) FROM deals GROUP BY rep_id as a server-side
 * prepared statement, with and without a bound parameter, and compare it with
 * the same ratio in plain SQL.
 *
 * Usage: java BiClient jdbc-url reader-role analyst-role
 * Prints one line per check and exits with 1 if any failed.
 */
public class BiClient {
    static final String[] DASHBOARDS = {
        "league_status", "pipeline", "team_activity", "performance",
        "stage_analysis", "leaderboard", "kpi_summary", "kpi_alerts",
        "pipeline_flow", "forecast", "stage_probabilities", "customer_cohorts", "lost_reasons", "customer_value"
    };
    /* The PostgreSQL types a dashboard column may have: no pseudo-types, no unknown. */
    static final Set<String> CONCRETE = Set.of(
        "int8", "int4", "numeric", "float8", "text", "date", "timestamptz", "interval", "bool");

    static int failures = 0;

    static void check(boolean ok, String what) {
        System.out.println((ok ? "ok   " : "FAIL ") + what);
        if (!ok)
            failures++;
    }

    /* Runs sql expecting it to be refused for lack of privilege (SQLSTATE 42501). */
    static void expectRefused(Connection c, String sql) {
        try (Statement st = c.createStatement()) {
            st.executeQuery(sql).close();
            check(false, "refused (42501): " + sql);
        } catch (SQLException e) {
            check("42501".equals(e.getSQLState()), "refused (" + e.getSQLState() + "): " + sql);
        }
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];

        try (Connection c = DriverManager.getConnection(url, args[1], "")) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("driver: " + md.getDriverName() + " " + md.getDriverVersion()
                               + "; server: " + md.getDatabaseProductVersion());

            /* 1. The dashboards, as a BI tool lists them. */
            Map<String, String> listed = new TreeMap<>();
            try (ResultSet rs = md.getTables(null, "sales_kpi", "%",
                                             new String[] {"VIEW", "MATERIALIZED VIEW"})) {
                while (rs.next())
                    listed.put(rs.getString("TABLE_NAME"), rs.getString("TABLE_TYPE"));
            }
            for (String d : DASHBOARDS) {
                check("VIEW".equals(listed.get(d)), "getTables lists sales_kpi." + d + " as a VIEW");
                check("MATERIALIZED VIEW".equals(listed.get(d + "_mv")),
                      "getTables lists sales_kpi." + d + "_mv as a MATERIALIZED VIEW");
            }

            /* 2. Every column of every dashboard, with a concrete type. */
            Map<String, Integer> typeCounts = new TreeMap<>();
            for (String d : DASHBOARDS) {
                for (String rel : new String[] {d, d + "_mv"}) {
                    int columns = 0;
                    Set<String> vague = new TreeSet<>();
                    try (ResultSet rs = md.getColumns(null, "sales_kpi", rel, "%")) {
                        while (rs.next()) {
                            String type = rs.getString("TYPE_NAME");
                            columns++;
                            typeCounts.merge(type + " (java.sql.Types " + rs.getInt("DATA_TYPE") + ")", 1, Integer::sum);
                            if (type == null || !CONCRETE.contains(type))
                                vague.add(rs.getString("COLUMN_NAME") + ":" + type);
                        }
                    }
                    check(columns > 0 && vague.isEmpty(),
                          "getColumns: sales_kpi." + rel + " has " + columns + " columns, each of a concrete type"
                          + (vague.isEmpty() ? "" : " (not: " + vague + ")"));
                }
            }
            System.out.println("column types seen: " + typeCounts);

            /* 3. Every dashboard read through, every value fetched. */
            for (String d : DASHBOARDS) {
                int rows = 0;
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT * FROM sales_kpi." + d + "_mv")) {
                    ResultSetMetaData m = rs.getMetaData();
                    while (rs.next()) {
                        rows++;
                        for (int i = 1; i <= m.getColumnCount(); i++)
                            rs.getObject(i);
                    }
                }
                check(rows > 0, "read sales_kpi." + d + "_mv: " + rows + " rows");
            }

            /* 4. Nothing else. */
            expectRefused(c, "SELECT count(*) FROM sales_kpi.deals");
            expectRefused(c, "SELECT count(*) FROM sales_kpi.pipeline");
            expectRefused(c, "SELECT count(*) FROM public.deals");
        }

        /* 5. The KPI aggregate on the analyst's own table, as a prepared statement. */
        try (Connection c = DriverManager.getConnection(url, args[2], "")) {
            Map<String, Double> reference = new TreeMap<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(
                     "SELECT rep_id, count(*) FILTER (WHERE stage IN ('Closed Won', 'Won'))::float8"
                     + " / nullif(count(*) FILTER (WHERE stage IN ('Closed Won', 'Won', 'Closed Lost', 'Lost')), 0)"
                     + " FROM deals GROUP BY rep_id")) {
                while (rs.next())
                    reference.put(rs.getString(1), rs.getObject(2) == null ? null : rs.getDouble(2));
            }

            try (PreparedStatement ps = c.prepareStatement(
                     "SELECT rep_id, win_rate(stage) FROM deals GROUP BY rep_id")) {
                /* server-side prepared from the first execution */
                ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
                for (int run = 1; run <= 3; run++) {
                    Map<String, Double> got = new TreeMap<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next())
                            got.put(rs.getString(1), rs.getObject(2) == null ? null : rs.getDouble(2));
                    }
                    check(!got.isEmpty() && got.equals(reference),
                          "prepared SELECT rep_id, win_rate(stage) FROM deals GROUP BY rep_id, execution " + run
                          + ": " + got.size() + " reps, equal to the plain-SQL ratio");
                }
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(
                     "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%win_rate(stage)%'")) {
                rs.next();
                check(rs.getInt(1) >= 1, "the statement is prepared on the server (pg_prepared_statements)");
            }

            try (PreparedStatement ps = c.prepareStatement(
                     "SELECT win_rate(stage), sales_cycle_length(created_at, closed_at) FROM deals WHERE created_at >= ?")) {
                ps.setTimestamp(1, Timestamp.valueOf("2025-01-01 00:00:00"));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    double rate = rs.getDouble(1);
                    check(rate > 0 && rate < 1 && rs.getString(2) != null,
                          "prepared KPI query with a bound timestamp: win_rate " + rate + ", sales_cycle_length " + rs.getString(2));
                }
            }
        }

        System.out.println(failures == 0 ? "ok: JDBC client checks passed" : failures + " JDBC checks failed");
        System.exit(failures == 0 ? 0 : 1);
    }
}
