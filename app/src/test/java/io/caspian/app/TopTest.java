package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code caspian top} in a terminal: {@code up} runs in this JVM, a volume takes writes over NBD, and {@code top}
 * runs as its own process in a detached tmux session whose screen the test reads until the volume's row shows
 * writes.
 */
class TopTest {
    private static final Path TMUX = Path.of("/usr/bin/tmux");
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dataDir;
    @TempDir
    Path scratch;

    private record Run(int code, String out, String err) {
    }

    /** The CLI against {@code api} with the token {@code up} made in this test's data directory. */
    private Run cli(String api, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        a.addAll(List.of("--api", api, "--token-file", dataDir.resolve("rest-token").toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(a.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void topShowsTheWritesOfAPublishedVolume() throws Exception {
        assertTrue(Files.isExecutable(TMUX), "tmux is needed to run top in a terminal (.ci/run installs it)");
        List<String> flags = List.of("--data-dir", dataDir.toString(), "--rest", "127.0.0.1:0",
                "--io-engines", "1", "--pool-size-mb", "64", "--nbd-port", String.valueOf(MainTest.freePort()),
                "--nvmf-port", String.valueOf(MainTest.freePort()), "--kafka", "off", "--metrics-port", "0");
        try (Up.Running up = Up.start(Flags.parse(flags, Up.FLAGS, Set.of()))) {
            String api = up.api();
            String busy = create(api);
            String idle = create(api);
            Run published = cli(api, "publish", "volume", busy, "--protocol", "nbd", "-q");
            assertEquals(0, published.code(), published.err());
            Run idleShown = cli(api, "get", "volume", idle);
            assertEquals(0, idleShown.code(), idleShown.err());
            assertFalse(idleShown.out().contains("stats:"), "an unpublished volume has no stats: " + idleShown.out());

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong written = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> write(published.out().strip(), stop, written), "nbd-writer");
            writer.setUncaughtExceptionHandler((t, e) -> failed.set(e));
            writer.start();
            String session = "caspian-top-" + UUID.randomUUID();
            try {
                await(() -> written.get() > 0, "the first write through NBD", () -> "writer: " + failed.get());
                Run shown = cli(api, "get", "volume", busy);
                assertEquals(0, shown.code(), shown.err());
                assertTrue(shown.out().contains("stats: read ") && shown.out().contains(" IOPS "), shown.out());

                tmux(session, "new-session", "-d", "-s", session, "-x", "160", "-y", "40", "sh",
                        script(api).toString());
                String[] screen = new String[1];
                String[] row = new String[1];
                await(() -> {
                    screen[0] = tmux(session, "capture-pane", "-p", "-t", session);
                    row[0] = screen[0].lines().filter(l -> l.startsWith(busy + " ")).findFirst().orElse(null);
                    return row[0] != null && writeIops(row[0]) > 0;
                }, "a row of volume " + busy + " with writes", () -> screen[0] + "\nwriter: " + failed.get());
                assertTrue(screen[0].lines().anyMatch(l -> l.matches(
                        "VOLUME +NODE +R-IOPS +W-IOPS +R-MB/s +W-MB/s +STATUS")), screen[0]);
                assertEquals("node-1", row[0].split(" +")[1], "the node of its nexus: " + row[0]);
                String idleRow = screen[0].lines().filter(l -> l.startsWith(idle + " ")).findFirst()
                        .orElseThrow(() -> new AssertionError("no row for the unpublished volume: " + screen[0]));
                assertTrue(idleRow.matches("\\S+ +- +- +- +- +- +\\S+, unpublished"), idleRow);
                assertTrue(screen[0].indexOf(busy) < screen[0].indexOf(idle), "busiest first: " + screen[0]);
            } finally {
                stop.set(true);
                writer.join(TimeUnit.SECONDS.toMillis(10));
                tmux(session, "kill-server");
            }
        }
    }

    private String create(String api) {
        Run r = cli(api, "create", "volume", "--size", "8MiB", "--replicas", "1", "--thin", "-q");
        assertEquals(0, r.code(), r.err());
        return r.out().strip();
    }

    /** W-IOPS, the fourth column; 0 while it shows {@code -}. */
    private static double writeIops(String row) {
        String[] cells = row.trim().split(" +");
        try {
            return cells.length > 3 ? Double.parseDouble(cells[3]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Runs {@code top} from this test's class path; when it exits it says so and stays on the screen, so that a
     * failure to start is there to read.
     */
    private Path script(String api) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path script = scratch.resolve("top.sh");
        Files.writeString(script, "export CLASSPATH='" + System.getProperty("java.class.path") + "'\n"
                + "'" + java + "' -Xmx128m io.caspian.app.Main top --api '" + api + "' --token-file '"
                + dataDir.resolve("rest-token") + "' --iterations 120\n"
                + "echo \"top exited with $?\"\nsleep 60\n");
        return script;
    }

    /** Runs tmux on a server of this test's own, never the user's; its output, or fails. */
    private static String tmux(String server, String... args) {
        List<String> cmd = new ArrayList<>(List.of(TMUX.toString(), "-L", server));
        cmd.addAll(Arrays.asList(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("tmux " + args[0] + " did not finish");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0 && !args[0].equals("kill-server")) {
                throw new AssertionError("tmux " + String.join(" ", args) + " failed: " + text);
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError("cannot run tmux: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** 4 KiB writes over NBD, one after another, until {@code stop}; {@code written} counts the acknowledged. */
    private static void write(String device, AtomicBoolean stop, AtomicLong written) {
        URI u = URI.create(device);
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            long ihaveopt = 0x49484156454F5054L;
            if (in.readLong() != 0x4e42444d41474943L || in.readLong() != ihaveopt) {
                throw new IOException("not an NBD server");
            }
            in.readShort();
            out.writeInt(1 | 2); // fixed newstyle, no zeroes
            byte[] name = u.getPath().substring(1).getBytes(StandardCharsets.UTF_8);
            out.writeLong(ihaveopt);
            out.writeInt(1); // NBD_OPT_EXPORT_NAME
            out.writeInt(name.length);
            out.write(name);
            out.flush();
            long size = in.readLong();
            in.readShort();
            byte[] block = new byte[4096];
            Arrays.fill(block, (byte) 0x5a);
            for (long i = 0; !stop.get(); i++) {
                out.writeInt(0x25609513);
                out.writeShort(0);
                out.writeShort(1); // NBD_CMD_WRITE
                out.writeLong(i);
                out.writeLong(i * block.length % size);
                out.writeInt(block.length);
                out.write(block);
                out.flush();
                if (in.readInt() != 0x67446698 || in.readInt() != 0 || in.readLong() != i) {
                    throw new IOException("write " + i + " failed");
                }
                written.incrementAndGet();
            }
        } catch (IOException e) {
            if (!stop.get()) {
                throw new IllegalStateException("writing to " + device + ": " + e, e);
            }
        }
    }

    private static void await(BooleanSupplier condition, String what, Supplier<String> context) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 30 s waiting for " + what + "\n" + context.get());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
