package io.caspian.control.journal;

import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class PostgresJournalTest extends JournalReplayContract {
    private static TestPostgres postgres;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TestPostgres.start();
        System.out.println("PostgreSQL for the journal tests: " + postgres.how());
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    JournalSettings settings() {
        return postgres.settings();
    }

    @Override
    JournalSettings freshDatabase(String name) throws Exception {
        JournalSettings base = postgres.settings();
        try (Connection c = DriverManager.getConnection(base.url(), base.user(), base.password())) {
            c.createStatement().execute("CREATE DATABASE " + name);
        }
        String url = base.url().replaceFirst("/postgres(\\?|$)", "/" + name + "$1");
        return new JournalSettings(JournalSettings.Kind.POSTGRES, url, base.user(), base.password());
    }

    @Override
    String shippedScript() {
        return "schema/postgres/postgres-create-schema.sql";
    }
}
