package io.caspian.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The control plane's v0 REST API over {@code java.net.http}, with a bearer token when there is one; an error
 * answer becomes a {@link RestException}. An https URL is checked against the JVM's trusted certificates, or only
 * against those of {@code tlsCa} (PEM) when given.
 */
final class RestClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;
    private final Optional<CliToken.Found> token;
    /** Where tokens are looked for, told with a 401. */
    private final String tokenPlaces;

    RestClient(String base, Duration timeout, Optional<CliToken.Found> token, String tokenPlaces,
               Optional<Path> tlsCa) {
        try {
            this.base = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--api must be a URL like http://127.0.0.1:8080, got '" + base + "'");
        }
        if (this.base.getScheme() == null || this.base.getHost() == null) {
            throw new UsageException("--api must be a URL like http://127.0.0.1:8080, got '" + base + "'");
        }
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        tlsCa.ifPresent(ca -> http.sslContext(trusting(ca)));
        this.http = http.build();
        this.timeout = timeout;
        this.token = token;
        this.tokenPlaces = tokenPlaces;
    }

    /** TLS that trusts the certificates in {@code pem} and no other. */
    private static SSLContext trusting(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + n++, c);
            }
            if (n == 0) {
                throw new UsageException("--tls-ca " + pem + ": no certificate in it");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw new UsageException("--tls-ca " + pem + ": " + e.getMessage());
        }
    }

    URI base() {
        return base;
    }

    JsonNode get(String path) {
        return call("GET", path, null);
    }

    JsonNode put(String path, Object body) {
        return call("PUT", path, body);
    }

    JsonNode delete(String path) {
        return call("DELETE", path, null);
    }

    /** Sends one request; a 2xx answer's JSON body (or JSON null when there is none) comes back. */
    JsonNode call(String method, String path, Object body) {
        try {
            HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                    .header("Content-Type", "application/json").method(method, pub);
            token.ifPresent(t -> req.header("Authorization", "Bearer " + t.token()));
            HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            String text = resp.body();
            if (resp.statusCode() / 100 == 2) {
                return text == null || text.isBlank() ? NullNode.getInstance() : JSON.readTree(text);
            }
            RestException e = RestException.fromResponse(method, path, resp.statusCode(), text);
            if (resp.statusCode() == 401) {
                throw new RestException(401, e.kind(), e.getMessage() + "; " + token.map(t -> "the token from "
                        + t.source() + " is not one it accepts").orElse("no token was found") + " (looked in "
                        + tokenPlaces + "; `caspian up` prints where its token is)");
            }
            throw e;
        } catch (ConnectException e) {
            throw new RestException(0, "UNREACHABLE", "cannot reach the control plane at " + base
                    + " (is `caspian up` or `caspian control` running? --api picks another address)");
        } catch (IOException e) {
            if (e instanceof SSLException || e.getCause() instanceof SSLException) {
                throw new RestException(0, "TLS", "TLS with " + base + " failed: " + e.getMessage()
                        + " (--tls-ca names the certificate to trust)");
            }
            throw new RestException(0, "UNREACHABLE", method + " " + base + path + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestException(0, "INTERRUPTED", method + " " + path + " interrupted");
        }
    }

    /** An error answer of the API: HTTP status plus the JSON {@code kind} and {@code message}. */
    static final class RestException extends RuntimeException {
        private final int status;
        private final String kind;

        RestException(int status, String kind, String message) {
            super(message);
            this.status = status;
            this.kind = kind;
        }

        static RestException fromResponse(String method, String path, int status, String body) {
            try {
                JsonNode n = JSON.readTree(body);
                if (n != null && n.has("message")) {
                    return new RestException(status, n.path("kind").asText("ERROR"), n.get("message").asText());
                }
            } catch (IOException ignored) {
                // not JSON: fall through and show the raw body
            }
            return new RestException(status, "HTTP_" + status, method + " " + path + ": "
                    + (body == null || body.isBlank() ? "HTTP " + status : body.strip()));
        }

        int status() {
            return status;
        }

        String kind() {
            return kind;
        }

        /** The error as the API's JSON shape, for printing. */
        String json() {
            return JSON.createObjectNode().put("status", status).put("kind", kind).put("message", getMessage())
                    .toString();
        }
    }
}
