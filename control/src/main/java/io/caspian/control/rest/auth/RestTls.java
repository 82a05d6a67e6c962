package io.caspian.control.rest.auth;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * HTTPS for the REST API from {@code caspian.control.rest.tls}: a PKCS12 key store (the server's key and
 * certificate chain) and a file holding its password, so the password is never on a command line. Without a key
 * store the API is plain HTTP, as on a developer's machine or behind a TLS-terminating proxy.
 */
public final class RestTls {
    private RestTls() {
    }

    /** The server's TLS context; empty when {@code keystore} is not set. */
    public static Optional<HttpsConnectionContext> fromConfig(Config tls) {
        String keystore = tls.getString("keystore").strip();
        if (keystore.isEmpty()) {
            return Optional.empty();
        }
        String passwordFile = tls.getString("keystore-password-file").strip();
        if (passwordFile.isEmpty()) {
            throw new IllegalArgumentException("caspian.control.rest.tls.keystore needs keystore-password-file too");
        }
        return Optional.of(ConnectionContext.httpsServer(context(Path.of(keystore), Path.of(passwordFile))));
    }

    static SSLContext context(Path keystore, Path passwordFile) {
        try {
            char[] password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                ks.load(in, password);
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), null, null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the REST key store " + keystore + " (password in "
                    + passwordFile + "): " + e.getMessage(), e);
        }
    }
}
