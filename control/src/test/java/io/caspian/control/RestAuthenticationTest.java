package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.rest.auth.TokenFile;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API over HTTPS (a PKCS12 key store made here by keytool) with the token the control plane made for its
 * data directory: the health check is open, everything else wants the token, and a refused request changes nothing.
 */
class RestAuthenticationTest {
    private static final String PASSWORD = "rest-tls-test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static ControlPlane control;
    private static HttpClient https;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("rest.p12");
        keytool("-genkeypair", "-alias", "rest", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost,O=Caspian test", "-ext", "SAN=IP:127.0.0.1,DNS:localhost",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        Path password = dir.resolve("rest-tls-password");
        Files.writeString(password, PASSWORD + "\n");
        control = ControlPlane.start(ConfigFactory.parseMap(Map.of(
                "pekko.cluster.roles", List.of("control"),
                "pekko.remote.artery.canonical.hostname", "127.0.0.1",
                "pekko.remote.artery.canonical.port", 0,
                "pekko.loglevel", "ERROR",
                "caspian.data-dir", dir.resolve("data").toString(),
                "caspian.control.rest.port", 0,
                "caspian.control.rest.tls.keystore", keystore.toString(),
                "caspian.control.rest.tls.keystore-password-file", password.toString())));
        https = HttpClient.newBuilder().sslContext(trusting(keystore)).connectTimeout(Duration.ofSeconds(5)).build();
        token = TokenFile.read(dir.resolve("data").resolve("rest-token")).get(0);
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
    }

    @Test
    void servesHttpsWithTheTokenItMadeAndTheHealthCheckOpen() throws Exception {
        assertEquals("https", control.restScheme());
        HttpResponse<String> health = send("GET", "/v0/health", null, null);
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("UP", JSON.readTree(health.body()).path("status").asText());
        HttpResponse<String> ok = send("GET", "/v0/volumes", null, "Bearer " + token);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("[]", ok.body());
    }

    @Test
    void withoutTheRightTokenEveryOtherRequestIsA401AndChangesNothing() throws Exception {
        String volume = "/v0/volumes/" + UUID.randomUUID();
        String body = "{\"size\":1048576,\"replicas\":1}";
        for (String authorization : java.util.Arrays.asList(null, "Bearer " + token + "x", "Basic " + token,
                "Bearer " + token.substring(1))) {
            HttpResponse<String> r = send("PUT", volume, body, authorization);
            assertEquals(401, r.statusCode(), r.body());
            assertEquals("Bearer realm=\"caspian\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            JsonNode error = JSON.readTree(r.body());
            assertEquals("UNAUTHENTICATED", error.path("kind").asText());
            assertTrue(!error.path("message").asText().isEmpty() && !r.body().contains(token), r.body());
            assertEquals(401, send("GET", "/v0/nodes", null, authorization).statusCode());
        }
        HttpResponse<String> after = send("GET", volume, null, "Bearer " + token);
        assertEquals(404, after.statusCode(), "no volume was made: " + after.body());
    }

    private static HttpResponse<String> send(String method, String path, String body, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + control.restPort() + path))
                .timeout(Duration.ofSeconds(30)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A client that trusts the key store's own certificate, as one given it with {@code --tls-ca} would. */
    private static SSLContext trusting(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("rest", ks.getCertificate("rest"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }
}
