package io.caspian.projections;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.caspian.control.journal.JournalSettings;

/**
 * The connection pool the projections use in the journal's database (offsets and audit rows live next to the
 * journal). Its size must equal {@code pekko.projection.jdbc.blocking-jdbc-dispatcher}'s, see
 * {@link Projections#pekkoConfig}.
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
