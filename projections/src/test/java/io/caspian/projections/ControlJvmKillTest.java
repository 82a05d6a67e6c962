package io.caspian.projections;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a whole control-plane JVM while it journals events and its projections stream them, then a restart:
 * every event ends up in the audit table exactly once and on the topic in per-entity order, re-sent events only
 * with their own ids. On PostgreSQL and on an H2 file.
 */
class ControlJvmKillTest {
    private static final int NEXUSES = 8;

    @TempDir
    Path dir;

    @Test
    void onPostgres() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            killedMidStreamAndRestartedLosesAndDoublesNothing(pg.getJdbcUrl("postgres", "postgres"));
        }
    }

    /**
     * An H2 file belongs to one process at a time; AUTO_SERVER lets the first opener serve the others (this test's
     * checks), and a killed owner's stale lock is taken over by the next.
     */
    @Test
    void onH2() throws Exception {
        killedMidStreamAndRestartedLosesAndDoublesNothing("jdbc:h2:file:" + dir.resolve("journal")
                + ";DATABASE_TO_UPPER=false;AUTO_SERVER=TRUE");
    }

    static JournalSettings journal(String url) {
        return url.startsWith("jdbc:h2:") ? new JournalSettings(JournalSettings.Kind.H2, url, "sa", "")
                : new JournalSettings(JournalSettings.Kind.POSTGRES, url, "postgres", "");
    }

    private void killedMidStreamAndRestartedLosesAndDoublesNothing(String url) throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
            try (TopicAdmin topics = new TopicAdmin(broker.bootstrapServers())) {
                topics.ensure(BusTopics.all((short) 1), Duration.ofSeconds(60));
            }
            String prefix = "kill-";

            JournalSettings journal = journal(url);
            Process first = launch(url, broker.bootstrapServers(), prefix, 1000, true, 100);
            BlockingQueue<String> out = lines(first);
            try {
                // Mid-stream: the projections have written some rows while the JVM keeps journaling more.
                awaitLine(out, "journaled " + NEXUSES * 11, Duration.ofSeconds(90));
                awaitAuditRows(journal, prefix, Duration.ofSeconds(60));
                first.destroyForcibly();
                assertTrue(first.waitFor(10, TimeUnit.SECONDS));
            } finally {
                first.destroyForcibly();
            }

            Process second = launch(url, broker.bootstrapServers(), prefix, 6, false, 0);
            try {
                awaitLine(lines(second), "idle", Duration.ofSeconds(90));
                try (ProjectionDatabase db = new ProjectionDatabase(journal, 1)) {
                    List<String> journaled = StreamChecks.journaled(db.dataSource(), prefix);
                    assertTrue(journaled.size() >= NEXUSES * 11, "journaled " + journaled.size());
                    StreamChecks.auditTableHoldsExactly(db.dataSource(), prefix, journaled);
                    StreamChecks.topicHoldsInOrder(broker.bootstrapServers(), prefix, journaled);
                }
            } finally {
                second.destroyForcibly();
                second.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitAuditRows(JournalSettings journal, String prefix, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (ProjectionDatabase db = new ProjectionDatabase(journal, 1)) {
            while (System.nanoTime() < deadline) {
                if (!ProjectionTestSupport.rows(db.dataSource(), "SELECT event_id FROM audit_events WHERE entity_id "
                        + "LIKE '" + prefix + "%' LIMIT 1").isEmpty()) {
                    return;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("the projections wrote no audit row in " + timeout);
    }

    private static Process launch(String url, String bootstrap, String prefix, int toggles, boolean create,
                                  long pauseMillis) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ControlNodeMain.class.getName(), url, bootstrap, prefix, String.valueOf(NEXUSES),
                String.valueOf(toggles), String.valueOf(create), String.valueOf(pauseMillis)).redirectErrorStream(true).start();
    }

    /** The child's output lines; a reader thread keeps the pipe drained. */
    private static BlockingQueue<String> lines(Process p) {
        BlockingQueue<String> q = new ArrayBlockingQueue<>(100_000);
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    q.offer(line);
                }
            } catch (Exception e) {
                // The process was killed: its pipe closes.
            }
        }, "child-output");
        t.setDaemon(true);
        t.start();
        return q;
    }

    private static void awaitLine(BlockingQueue<String> q, String wanted, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        StringBuilder seen = new StringBuilder();
        while (System.nanoTime() < deadline) {
            String line = q.poll(200, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            if (line.equals(wanted)) {
                return;
            }
            if (!line.startsWith("journaled ")) {
                seen.append(line).append('\n');
            }
        }
        throw new AssertionError("the control JVM did not print '" + wanted + "' in " + timeout + "; it said:\n"
                + seen);
    }
}
