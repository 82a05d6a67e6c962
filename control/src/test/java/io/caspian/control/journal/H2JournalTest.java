package io.caspian.control.journal;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class H2JournalTest extends JournalReplayContract {
    @TempDir
    static Path dataDir;

    @Override
    JournalSettings settings() {
        return JournalSettings.h2(dataDir);
    }

    @Override
    JournalSettings freshDatabase(String name) {
        return JournalSettings.h2(dataDir.resolve(name));
    }

    @Override
    String shippedScript() {
        return "schema/h2/h2-create-schema.sql";
    }
}
