package io.caspian.projections;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.journal.JournalSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Configuration and table reads shared by the projection tests. */
final class ProjectionTestSupport {
    private ProjectionTestSupport() {
    }

    /** The full configuration for an actor system whose projections use {@code journal}. */
    static Config config(JournalSettings journal, String extra) {
        return ConfigFactory.parseString(extra).withFallback(journal.pekkoConfig())
                .withFallback(ConfigFactory.parseMap(java.util.Map.of("caspian.journal.kind",
                        journal.kind() == JournalSettings.Kind.H2 ? "h2" : "postgres",
                        "caspian.journal.url", journal.url(), "caspian.journal.user", journal.user(),
                        "caspian.journal.password", journal.password())))
                .withFallback(ConfigFactory.load());
    }

    /** Rows of one query as strings, columns joined by ' '. */
    static List<String> rows(DataSource ds, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            int n = r.getMetaData().getColumnCount();
            while (r.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    b.append(i > 1 ? " " : "").append(r.getString(i));
                }
                out.add(b.toString());
            }
            c.rollback();
        }
        return out;
    }
}
