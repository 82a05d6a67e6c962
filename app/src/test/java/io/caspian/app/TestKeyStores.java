package io.caspian.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PKCS12 stores made by the running JDK's keytool under a test's temporary directory: a node's key store (its own
 * self-signed certificate) and a trust store holding one certificate. Nothing of the kind is committed.
 */
final class TestKeyStores {
    static final String PASSWORD = "test-cluster-secret";

    private TestKeyStores() {
    }

    /** A key store at {@code dir/name.p12} with a new EC key and a self-signed certificate for CN=name. */
    static Path keyStore(Path dir, String name) throws IOException, InterruptedException {
        Path ks = dir.resolve(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=" + name + ",O=Caspian test", "-ext", "SAN=IP:127.0.0.1,DNS:localhost",
                "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        return ks;
    }

    /** A trust store at {@code dir/name-trust.p12} holding the certificate of {@code keyStore}'s {@code alias}. */
    static Path trustStore(Path dir, Path keyStore, String alias) throws IOException, InterruptedException {
        Path cert = dir.resolve(alias + ".crt");
        Path ts = dir.resolve(alias + "-trust.p12");
        keytool("-exportcert", "-alias", alias, "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-rfc", "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", ts.toString(), "-storepass", PASSWORD);
        return ts;
    }

    /** A password file as an operator writes it: the password and a line end. */
    static Path passwordFile(Path dir) throws IOException {
        Path p = dir.resolve("cluster-tls-password");
        Files.writeString(p, PASSWORD + "\n", StandardCharsets.UTF_8);
        return p;
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
