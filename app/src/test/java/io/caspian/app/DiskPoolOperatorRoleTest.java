package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The role's command line: bad flags are usage errors (exit 2), found before any Kubernetes client is made. */
class DiskPoolOperatorRoleTest {
    private static String run(int expectedExit, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true,
                StandardCharsets.UTF_8));
        assertEquals(expectedExit, code, err.toString(StandardCharsets.UTF_8));
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theApiIsRequired() {
        assertTrue(run(2, "diskpool-operator").contains("--api"));
    }

    @Test
    void theResyncMustBeAPositiveDuration() {
        assertTrue(run(2, "diskpool-operator", "--api", "http://127.0.0.1:1", "--resync", "0s").contains("--resync"));
        assertTrue(run(2, "diskpool-operator", "--api", "http://127.0.0.1:1", "--resync", "soon").contains("--resync"));
    }

    @Test
    void theMetricsPortMustBeAPort() {
        assertTrue(run(2, "diskpool-operator", "--api", "http://127.0.0.1:1", "--metrics-port", "http")
                .contains("--metrics-port"));
        assertTrue(run(2, "diskpool-operator", "--api", "http://127.0.0.1:1", "--metrics-port", "70000")
                .contains("--metrics-port"));
    }

    @Test
    void theUsageNamesTheRole() {
        assertTrue(Main.USAGE.contains("diskpool-operator"));
    }
}
