package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTlsTest {
    @TempDir
    static Path dir;
    static Path keyStore;
    static Path trustStore;
    static Path password;

    @BeforeAll
    static void stores() throws Exception {
        keyStore = TestKeyStores.keyStore(dir, "node");
        trustStore = TestKeyStores.trustStore(dir, keyStore, "node");
        password = TestKeyStores.passwordFile(dir);
    }

    private static Config build(String... args) {
        return RoleConfig.build(Flags.parse(List.of(args), RoleConfig.COMMON, java.util.Set.of()), List.of("control"));
    }

    private static String[] tls(Path ks, Path ts, Path pw, String... more) {
        List<String> a = new ArrayList<>(List.of("--cluster-tls-keystore", ks.toString(), "--cluster-tls-truststore",
                ts.toString(), "--cluster-tls-password-file", pw.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void withoutTlsFlagsArteryStaysOnPlainTcp() {
        assertEquals("tcp", build().getString("pekko.remote.artery.transport"));
    }

    @Test
    void theFlagsTurnOnTlsWithMutualAuthenticationAndThePasswordFromTheFile() {
        Config c = build(tls(keyStore, trustStore, password));
        String e = "pekko.remote.artery.ssl.config-ssl-engine.";
        assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
        assertEquals(keyStore.toAbsolutePath().toString(), c.getString(e + "key-store"));
        assertEquals(trustStore.toAbsolutePath().toString(), c.getString(e + "trust-store"));
        assertEquals(TestKeyStores.PASSWORD, c.getString(e + "key-store-password"));
        assertEquals(TestKeyStores.PASSWORD, c.getString(e + "key-password"));
        assertEquals(TestKeyStores.PASSWORD, c.getString(e + "trust-store-password"));
        assertEquals("TLSv1.3", c.getString(e + "protocol"));
        assertEquals(List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"), c.getStringList(e + "enabled-algorithms"));
        assertTrue(c.getBoolean(e + "require-mutual-authentication"));
        assertFalse(c.getBoolean(e + "hostname-verification"));
    }

    @Test
    void aConfigFileCanChooseTls12AndHostnameVerificationButNotTurnMutualAuthenticationOff() throws Exception {
        Path conf = dir.resolve("tls12.conf");
        Files.writeString(conf, """
                caspian.cluster.tls {
                  protocol = "TLSv1.2"
                  enabled-algorithms = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]
                  hostname-verification = on
                }
                pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication = off
                """);
        Config c = build(tls(keyStore, trustStore, password, "--config", conf.toString()));
        String e = "pekko.remote.artery.ssl.config-ssl-engine.";
        assertEquals("TLSv1.2", c.getString(e + "protocol"));
        assertEquals(List.of("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), c.getStringList(e + "enabled-algorithms"));
        assertTrue(c.getBoolean(e + "hostname-verification"));
        assertTrue(c.getBoolean(e + "require-mutual-authentication"));
    }

    @Test
    void missingFilesAPartialSetAWrongPasswordAndAnOldProtocolAreUsageErrors() throws Exception {
        Path none = dir.resolve("none.p12");
        assertMessage("--cluster-tls-keystore (caspian.cluster.tls.key-store) " + none + ": no such file",
                tls(none, trustStore, password));
        assertMessage("--cluster-tls-truststore (caspian.cluster.tls.trust-store) " + none + ": no such file",
                tls(keyStore, none, password));
        assertMessage("--cluster-tls-password-file (caspian.cluster.tls.password-file) " + none + ": no such file",
                tls(keyStore, trustStore, none));
        assertMessage("cluster TLS needs all of --cluster-tls-keystore, --cluster-tls-truststore and "
                        + "--cluster-tls-password-file (caspian.cluster.tls.key-store, trust-store, password-file)",
                "--cluster-tls-keystore", keyStore.toString());
        Path wrong = dir.resolve("wrong-password");
        Files.writeString(wrong, "not-it\n");
        String m = assertThrows(UsageException.class, () -> build(tls(keyStore, trustStore, wrong))).getMessage();
        assertTrue(m.startsWith("--cluster-tls-keystore " + keyStore.toAbsolutePath() + ": cannot open it with the "
                + "password of --cluster-tls-password-file"), m);
        Path empty = dir.resolve("empty-password");
        Files.writeString(empty, "\n");
        assertMessage("--cluster-tls-password-file " + empty.toAbsolutePath() + " is empty",
                tls(keyStore, trustStore, empty));
        m = assertThrows(UsageException.class, () -> build(tls(trustStore, trustStore, password))).getMessage();
        assertTrue(m.contains("holds no private key"), m);
        Path conf = dir.resolve("tls11.conf");
        Files.writeString(conf, "caspian.cluster.tls.protocol = TLSv1.1\n");
        assertMessage("caspian.cluster.tls.protocol must be one of [TLSv1.2, TLSv1.3], got 'TLSv1.1'",
                tls(keyStore, trustStore, password, "--config", conf.toString()));
    }

    private static void assertMessage(String expected, String... args) {
        assertEquals(expected, assertThrows(UsageException.class, () -> build(args)).getMessage());
    }
}
