package io.caspian.control.journal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * The journal database. {@code kind} is {@code h2} (url defaults to a file {@code journal} in the data directory)
 * or {@code postgres} (url required).
 */
public record JournalSettings(Kind kind, String url, String user, String password) {
    private static final String SHARED_DB = "pekko-persistence-jdbc.shared-databases.caspian";
    public enum Kind { H2, POSTGRES }

    public static JournalSettings h2(Path dataDir) {
        return new JournalSettings(Kind.H2, "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("journal")
                + ";DATABASE_TO_UPPER=false", "sa", "");
    }

    /** Reads {@code caspian.journal} and {@code caspian.data-dir}. */
    public static JournalSettings fromConfig(Config config) {
        Config j = config.getConfig("caspian.journal");
        String kind = j.getString("kind").trim().toLowerCase();
        String url = j.getString("url");
        switch (kind) {
            case "h2":
                return url.isBlank() ? h2(Path.of(config.getString("caspian.data-dir")))
                        : new JournalSettings(Kind.H2, url, j.getString("user"), j.getString("password"));
            case "postgres":
            case "postgresql":
                if (url.isBlank()) {
                    throw new IllegalArgumentException("caspian.journal.kind = postgres needs caspian.journal.url "
                            + "(jdbc:postgresql://host:port/db)");
                }
                return new JournalSettings(Kind.POSTGRES, url, j.getString("user"), j.getString("password"));
            default:
                throw new IllegalArgumentException("caspian.journal.kind must be h2 or postgres, got '" + kind + "'");
        }
    }

    /**
     * The database an actor system's journal writes, as {@link #pekkoConfig()} put it in that system's
     * configuration (not {@code caspian.journal}, which a test may not set).
     */
    public static JournalSettings ofJournal(Config systemConfig) {
        Config db = systemConfig.getConfig(SHARED_DB);
        Kind kind = db.getString("profile").startsWith("slick.jdbc.H2") ? Kind.H2 : Kind.POSTGRES;
        return new JournalSettings(kind, db.getString("db.url"), db.getString("db.user"),
                db.getString("db.password"));
    }

    /**
     * Whether only this JVM can write the journal: an embedded H2 database (a file H2 locks to one process, or
     * memory), not one served over TCP or shared through H2's auto-server mode.
     */
    public boolean exclusive() {
        String u = url.toLowerCase(java.util.Locale.ROOT);
        return kind == Kind.H2 && !u.startsWith("jdbc:h2:tcp:") && !u.startsWith("jdbc:h2:ssl:")
                && !u.replace(" ", "").contains("auto_server=true");
    }

    /** The pekko-persistence-jdbc configuration: journal, snapshots and read journal on one shared pool. */
    public Config pekkoConfig() {
        String profile = kind == Kind.H2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$";
        String driver = kind == Kind.H2 ? "org.h2.Driver" : "org.postgresql.Driver";
        String db = SHARED_DB;
        return ConfigFactory.parseMap(Map.ofEntries(
                Map.entry("pekko.persistence.journal.plugin", "jdbc-journal"),
                Map.entry("pekko.persistence.snapshot-store.plugin", "jdbc-snapshot-store"),
                Map.entry("jdbc-journal.use-shared-db", "caspian"),
                Map.entry("jdbc-snapshot-store.use-shared-db", "caspian"),
                Map.entry("jdbc-read-journal.use-shared-db", "caspian"),
                // Counts each write in and out, for the projections' tail (JournalTail), which does not poll.
                Map.entry("jdbc-journal.dao", SignallingJournalDao.class.getName()),
                // Projections keep their offsets in this database too.
                Map.entry("pekko.projection.jdbc.dialect", kind == Kind.H2 ? "h2-dialect" : "postgres-dialect"),
                Map.entry(db + ".profile", profile),
                Map.entry(db + ".db.url", url),
                Map.entry(db + ".db.user", user),
                Map.entry(db + ".db.password", password),
                Map.entry(db + ".db.driver", driver),
                Map.entry(db + ".db.numThreads", 4),
                Map.entry(db + ".db.maxConnections", 4),
                Map.entry(db + ".db.minConnections", 1)));
    }
}
