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

    /** The pekko-persistence-jdbc configuration: journal, snapshots and read journal on one shared pool. */
    public Config pekkoConfig() {
        String profile = kind == Kind.H2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$";
        String driver = kind == Kind.H2 ? "org.h2.Driver" : "org.postgresql.Driver";
        String db = "pekko-persistence-jdbc.shared-databases.caspian";
        return ConfigFactory.parseMap(Map.ofEntries(
                Map.entry("pekko.persistence.journal.plugin", "jdbc-journal"),
                Map.entry("pekko.persistence.snapshot-store.plugin", "jdbc-snapshot-store"),
                Map.entry("jdbc-journal.use-shared-db", "caspian"),
                Map.entry("jdbc-snapshot-store.use-shared-db", "caspian"),
                Map.entry("jdbc-read-journal.use-shared-db", "caspian"),
                Map.entry("jdbc-read-journal.dao", TagIndexedReadJournalDao.class.getName()),
                // Catching up, a projection reads this many events per query; each query reads no more rows than it
                // returns (TagIndexedReadJournalDao), so fewer, larger batches cost less per event.
                Map.entry("jdbc-read-journal.max-buffer-size", 2000),
                // A new event reaches a projection within the sequence retrieval's query-delay (1 s, the newest
                // ordering known complete) plus the refresh interval (its own poll): 0.5 s rather than 1 s; an idle
                // poll is one index probe now. query-delay stays 1 s: 0.25 s (with max-tries 40, to wait 10 s for a
                // gap as by default) showed no lower lag in bench/projections on a loaded machine, and a gap is
                // given up after max-tries queries, which queue behind the journal's writes there.
                Map.entry("jdbc-read-journal.refresh-interval", "500ms"),
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
