package io.caspian.control.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JournalSettingsTest {
    private static Config config(Map<String, Object> overrides) {
        return ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.load());
    }

    @Test
    void h2FileInTheDataDirectoryByDefault() {
        JournalSettings s = JournalSettings.fromConfig(config(Map.of("caspian.data-dir", "/var/lib/caspian")));
        assertEquals(JournalSettings.Kind.H2, s.kind());
        assertTrue(s.url().startsWith("jdbc:h2:file:/var/lib/caspian/journal"), s.url());
        assertEquals("jdbc-journal", s.pekkoConfig().getString("pekko.persistence.journal.plugin"));
        assertEquals("slick.jdbc.H2Profile$",
                s.pekkoConfig().getString("pekko-persistence-jdbc.shared-databases.caspian.profile"));
    }

    @Test
    void postgresNeedsAUrlAndUnknownKindsAreNamed() {
        var noUrl = assertThrows(IllegalArgumentException.class, () -> JournalSettings.fromConfig(config(
                Map.of("caspian.journal.kind", "postgres"))));
        assertTrue(noUrl.getMessage().contains("caspian.journal.url"), noUrl.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> JournalSettings.fromConfig(config(
                Map.of("caspian.journal.kind", "mysql"))));
        assertTrue(unknown.getMessage().contains("'mysql'"), unknown.getMessage());
        JournalSettings pg = JournalSettings.fromConfig(config(Map.of("caspian.journal.kind", "postgres",
                "caspian.journal.url", "jdbc:postgresql://db:5432/caspian", "caspian.journal.user", "caspian")));
        assertEquals("slick.jdbc.PostgresProfile$",
                pg.pekkoConfig().getString("pekko-persistence-jdbc.shared-databases.caspian.profile"));
    }
}
