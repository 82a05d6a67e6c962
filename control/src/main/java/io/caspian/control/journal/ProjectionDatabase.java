package io.caspian.control.journal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * A connection pool in the journal's database for projections (their offsets and rows live next to the
 * journal). Its size must equal {@code pekko.projection.jdbc.blocking-jdbc-dispatcher}'s (the threads that
 * use the connections).
 */
public final class ProjectionDatabase implements AutoCloseable {
    private final JournalSettings settings;
    private final HikariDataSource dataSource;

    public ProjectionDatabase(JournalSettings settings, int poolSize) {
        this.settings = settings;
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(settings.url());
        c.setUsername(settings.user());
        c.setPassword(settings.password());
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(1);
        c.setAutoCommit(false);
        c.setPoolName("caspian-projections");
        this.dataSource = new HikariDataSource(c);
    }

    public JournalSettings settings() {
        return settings;
    }

    public HikariDataSource dataSource() {
        return dataSource;
    }

    public PooledSession session() {
        return new PooledSession(dataSource);
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
