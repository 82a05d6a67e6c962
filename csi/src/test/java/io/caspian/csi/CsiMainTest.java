package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsiMainTest {
    @TempDir
    Path dir;

    @Test
    void theTokenIsTheFirstLineOfTheTokenFileThatIsNotBlankOrAComment() throws Exception {
        Path secret = Files.writeString(dir.resolve("token"), "# the API token\n\n  s3cr3t-token \nsecond\n");
        assertEquals(Optional.of("s3cr3t-token"), CsiMain.token(Map.of("token-file", secret.toString())));
        assertEquals(Optional.empty(), CsiMain.token(Map.of()));
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertThrows(IllegalArgumentException.class, () -> CsiMain.token(Map.of("token-file", empty.toString())));
        assertThrows(IllegalArgumentException.class, () -> CsiMain.token(Map.of("token-file",
                dir.resolve("absent").toString())));
    }

    @Test
    void metricsAreOffUnlessAPortIsGivenAndATakenPortIsABadCommandLine() throws Exception {
        assertNull(CsiMain.metrics(Map.of()));
        assertNull(CsiMain.metrics(Map.of("metrics-port", "0")));
        assertThrows(IllegalArgumentException.class, () -> CsiMain.metrics(Map.of("metrics-port", "http")));
        assertThrows(IllegalArgumentException.class, () -> CsiMain.metrics(Map.of("metrics-port", "70000")));
        try (ServerSocket taken = new ServerSocket(0)) {
            assertThrows(IllegalArgumentException.class, () -> CsiMain.metrics(Map.of("metrics-port",
                    Integer.toString(taken.getLocalPort()))));
        }
    }
}
