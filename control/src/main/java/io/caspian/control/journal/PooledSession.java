package io.caspian.control.journal;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/** One transaction on a pooled connection: the projection writes its rows and its offset through it, then commits. */
public final class PooledSession implements JdbcSession {
    private final Connection connection;

    public PooledSession(DataSource dataSource) {
        try {
            connection = dataSource.getConnection();
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open a connection to the projection database: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public <R> R withConnection(Function<Connection, R> f) throws Exception {
        return f.apply(connection);
    }

    @Override
    public void commit() throws SQLException {
        connection.commit();
    }

    @Override
    public void rollback() throws SQLException {
        connection.rollback();
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
