package io.caspian.control.journal;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, found in this order: {@code CASPIAN_TEST_PG_URL} (a server someone started),
 * the embedded binaries from Maven Central (io.zonky.test), and Debian's {@code postgresql} package started by hand
 * under the {@code postgres} user, because both initdb and postgres refuse to run as root and zonky runs them as the
 * current user.
 */
public final class TestPostgres implements AutoCloseable {
    private final String url;
    private final String how;
    private final AutoCloseable stop;

    private TestPostgres(String url, String how, AutoCloseable stop) {
        this.url = url;
        this.how = how;
        this.stop = stop;
    }

    /** Which kind of server this is, for the test log. */
    public String how() {
        return how;
    }

    public JournalSettings settings() {
        return new JournalSettings(JournalSettings.Kind.POSTGRES, url, "postgres", "");
    }

    public static TestPostgres start() throws Exception {
        String given = System.getenv("CASPIAN_TEST_PG_URL");
        if (given != null && !given.isBlank()) {
            return new TestPostgres(given, "given by CASPIAN_TEST_PG_URL", () -> { });
        }
        Exception embeddedFailure;
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            return new TestPostgres(pg.getJdbcUrl("postgres", "postgres"), "embedded (io.zonky.test)", pg);
        } catch (Exception | Error e) {
            embeddedFailure = e instanceof Exception ex ? ex : new RuntimeException(e);
        }
        Path bin = debianBinaries();
        if (bin == null) {
            throw new IllegalStateException("no PostgreSQL for the tests: embedded binaries failed ("
                    + embeddedFailure.getMessage() + ") and Debian's postgresql package is not installed");
        }
        return startDebian(bin, embeddedFailure);
    }

    private static Path debianBinaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.naturalOrder()).orElse(null);
        }
    }

    private static TestPostgres startDebian(Path bin, Exception embeddedFailure) throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("caspian-pg");
        Path data = dir.resolve("data");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres",
                "--no-sync"), root);
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l",
                dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 "
                        + "-c fsync=off", "start"), root);
        AutoCloseable stop = () -> {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "stop"), root);
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        };
        return new TestPostgres("jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                "Debian's " + bin + " (embedded failed: " + embeddedFailure.getMessage() + ")", stop);
    }

    private static void run(List<String> command, boolean asPostgres) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (asPostgres) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() {
        try {
            stop.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop PostgreSQL (" + how + "): " + e.getMessage(), e);
        }
    }
}
