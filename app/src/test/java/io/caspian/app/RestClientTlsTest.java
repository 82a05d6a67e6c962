package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.caspian.control.ControlPlane;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a control plane serving HTTPS: it trusts the certificate {@code --tls-ca} names, and no other. */
class RestClientTlsTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run main(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCliSpeaksHttpsWithTheCertificateOfTlsCaAndTheToken() throws Exception {
        Path keyStore = TestKeyStores.keyStore(dir, "rest");
        TestKeyStores.trustStore(dir, keyStore, "rest"); // also leaves the certificate, PEM, in rest.crt
        Path ca = dir.resolve("rest.crt");
        try (ControlPlane control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "WARNING",
                "caspian.data-dir", dir.resolve("data").toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.rest.tls.keystore", keyStore.toString(),
                "caspian.control.rest.tls.keystore-password-file", TestKeyStores.passwordFile(dir).toString())))) {
            String api = "https://127.0.0.1:" + control.restPort();
            String token = dir.resolve("data").resolve("rest-token").toString();
            Run ok = main("get", "volumes", "-o", "json", "--api", api, "--tls-ca", ca.toString(), "--token-file", token);
            assertEquals(0, ok.code(), ok.err());
            Run untrusted = main("get", "volumes", "--api", api, "--token-file", token);
            assertEquals(1, untrusted.code(), untrusted.out());
            assertTrue(untrusted.err().contains("--tls-ca"), untrusted.err());
        }
    }
}
