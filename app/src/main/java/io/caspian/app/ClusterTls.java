package io.caspian.app;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Artery over TLS for every role that joins the cluster: maps {@code caspian.cluster.tls} (set by the
 * {@code --cluster-tls-*} flags or a {@code --config} file) onto Pekko's {@code tls-tcp} transport and its
 * {@code config-ssl-engine}. Mutual authentication is always on: a node is admitted only if it presents a
 * certificate the others trust, so the trust store is the cluster's membership credential. The password comes from
 * a file so that it never shows in {@code ps} or a pod spec's arguments; both stores are opened here, at start, so a
 * wrong password or path is a clear usage error instead of a handshake that fails later on every connection.
 */
final class ClusterTls {
    static final String PATH = "caspian.cluster.tls";
    /** Flag to key under {@link #PATH}. */
    static final Map<String, String> FLAGS = Map.of(
            "cluster-tls-keystore", "key-store",
            "cluster-tls-truststore", "trust-store",
            "cluster-tls-password-file", "password-file");
    private static final String ENGINE = "pekko.remote.artery.ssl.config-ssl-engine.";
    private static final Set<String> PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");

    private ClusterTls() {
    }

    /** Puts the {@code --cluster-tls-*} flags given into {@code m} as {@code caspian.cluster.tls} keys. */
    static void flags(Flags f, Map<String, Object> m) {
        FLAGS.forEach((flag, key) -> f.get(flag).ifPresent(v -> m.put(PATH + "." + key,
                Path.of(v).toAbsolutePath().toString())));
    }

    /**
     * {@code config} with Artery switched to TLS when {@code caspian.cluster.tls.key-store} is set; unchanged
     * otherwise (plain TCP, as before).
     */
    static Config apply(Config config) {
        Config tls = config.getConfig(PATH);
        Path keyStore = file(tls, "key-store", "cluster-tls-keystore");
        Path trustStore = file(tls, "trust-store", "cluster-tls-truststore");
        Path passwordFile = file(tls, "password-file", "cluster-tls-password-file");
        if (keyStore == null && trustStore == null && passwordFile == null) {
            return config;
        }
        if (keyStore == null || trustStore == null || passwordFile == null) {
            throw new UsageException("cluster TLS needs all of --cluster-tls-keystore, --cluster-tls-truststore and "
                    + "--cluster-tls-password-file (" + PATH + ".key-store, trust-store, password-file)");
        }
        String password = password(passwordFile);
        KeyStore keys = open(keyStore, password, "cluster-tls-keystore");
        KeyStore trusted = open(trustStore, password, "cluster-tls-truststore");
        try {
            if (!hasKey(keys)) {
                throw new UsageException("--cluster-tls-keystore " + keyStore + " holds no private key: this node "
                        + "needs its own key and certificate to be admitted");
            }
            if (trusted.size() == 0) {
                throw new UsageException("--cluster-tls-truststore " + trustStore + " holds no certificate: it would "
                        + "admit no node");
            }
        } catch (java.security.KeyStoreException e) {
            throw new IllegalStateException("cannot read the cluster TLS stores: " + e.getMessage(), e);
        }
        String protocol = tls.getString("protocol");
        if (!PROTOCOLS.contains(protocol)) {
            throw new UsageException(PATH + ".protocol must be one of " + new java.util.TreeSet<>(PROTOCOLS) + ", got '"
                    + protocol + "'");
        }
        Map<String, Object> m = new HashMap<>();
        m.put("pekko.remote.artery.transport", "tls-tcp");
        m.put("pekko.remote.artery.ssl.ssl-engine-provider",
                "org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider");
        m.put(ENGINE + "key-store", keyStore.toString());
        m.put(ENGINE + "trust-store", trustStore.toString());
        m.put(ENGINE + "key-store-password", password);
        m.put(ENGINE + "key-password", password);
        m.put(ENGINE + "trust-store-password", password);
        m.put(ENGINE + "protocol", protocol);
        m.put(ENGINE + "enabled-algorithms", List.copyOf(tls.getStringList("enabled-algorithms")));
        // Not configurable: without it any TLS client could join, and the trust store would guard nothing.
        m.put(ENGINE + "require-mutual-authentication", true);
        m.put(ENGINE + "hostname-verification", tls.getBoolean("hostname-verification"));
        return ConfigFactory.parseMap(m, PATH).withFallback(config);
    }

    /** The file at {@code key}, checked to exist; null when the key is empty. */
    private static Path file(Config tls, String key, String flag) {
        String v = tls.getString(key).strip();
        if (v.isEmpty()) {
            return null;
        }
        Path p = Path.of(v);
        if (!Files.isRegularFile(p)) {
            throw new UsageException("--" + flag + " (" + PATH + "." + key + ") " + p + ": no such file");
        }
        if (!Files.isReadable(p)) {
            throw new UsageException("--" + flag + " (" + PATH + "." + key + ") " + p + ": not readable");
        }
        return p;
    }

    /** The first line of the password file: editors and {@code echo} leave a line end that is not the password. */
    private static String password(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int eol = text.indexOf('\n');
            String line = (eol < 0 ? text : text.substring(0, eol)).replace("\r", "");
            if (line.isEmpty()) {
                throw new UsageException("--cluster-tls-password-file " + file + " is empty");
            }
            return line;
        } catch (IOException e) {
            throw new UsageException("--cluster-tls-password-file " + file + ": " + e.getMessage());
        }
    }

    /** Opens a PKCS12 (or JKS) store as Pekko will, so a wrong password fails now with the file's name. */
    private static KeyStore open(Path file, String password, String flag) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(in, password.toCharArray());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new UsageException("--" + flag + " " + file + ": cannot open it with the password of "
                    + "--cluster-tls-password-file: " + e.getMessage());
        }
    }

    private static boolean hasKey(KeyStore ks) throws java.security.KeyStoreException {
        for (String alias : java.util.Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                return true;
            }
        }
        return false;
    }
}
