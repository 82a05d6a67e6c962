package io.caspian.control.journal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates the journal tables if they are missing; safe to run at every start and from several nodes at once. */
public final class JournalSchema {
    private JournalSchema() {
    }

    public static void ensure(JournalSettings settings) {
        ensure(settings, "/caspian/schema/h2.sql", "/caspian/schema/postgres.sql");
    }

    /**
     * Runs one of two re-runnable scripts (class-path resources, statements separated by ';') in the journal's
     * database: for tables that other modules keep next to the journal.
     */
    public static void ensure(JournalSettings settings, String h2Script, String postgresScript) {
        String sql = load(settings.kind() == JournalSettings.Kind.H2 ? h2Script : postgresScript);
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String statement : statements(sql)) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the tables of " + h2Script + " in " + redact(settings.url()) + ": "
                    + e.getMessage(), e);
        }
    }

    private static String[] statements(String sql) {
        StringBuilder b = new StringBuilder();
        for (String line : sql.split("\n")) {
            if (!line.trim().startsWith("--")) {
                b.append(line).append('\n');
            }
        }
        return java.util.Arrays.stream(b.toString().split(";")).map(String::trim).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
    }

    private static String load(String resource) {
        try (InputStream in = JournalSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + resource + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema script " + resource, e);
        }
    }

    private static String redact(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }
}
