package io.caspian.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.ProjectionDatabase;
import io.caspian.events.ChildState;
import io.caspian.kafka.BusTopics;
import io.caspian.kafka.KafkaBroker;
import io.caspian.kafka.TopicAdmin;
import io.caspian.projections.Projections;
import io.caspian.projections.audit.AuditQueries;
import io.caspian.projections.audit.AuditRow;
import io.caspian.projections.audit.AuditStore;
import io.caspian.projections.audit.EventQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.javadsl.ProjectionManagement;

/**
 * bench/projections. A journal (H2 file) holding {@code --events} nexus events is projected from scratch into Kafka
 * (real single-node broker) and into the audit table; throughput is events over the time each projection takes to
 * reach the journal's end. Then events are journaled at a steady rate while the lag of both projections (events
 * journaled but not yet projected) is sampled. Last, the audit table is filled to {@code --rows} rows and one
 * volume's newest 100 events are asked for with random volumes; p99 of those queries.
 */
public final class ProjectionsBench {
    private static final int ENTITIES = 200;
    private static final int VOLUMES = 1000;
    private static final int BATCH = 100;

    private ProjectionsBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        // Without a logback configuration everything logs at DEBUG, which would measure the logger.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        int events = Integer.parseInt(o.getOrDefault("events", "100000"));
        int rows = Integer.parseInt(o.getOrDefault("rows", "1000000"));
        int live = Integer.parseInt(o.getOrDefault("live", "5000"));
        int liveRate = Integer.parseInt(o.getOrDefault("live-rate", "500"));
        Path dir = Files.createTempDirectory(Path.of(o.getOrDefault("dir", System.getProperty("java.io.tmpdir"))),
                "caspian-projections-bench");
        try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
            try (TopicAdmin topics = new TopicAdmin(broker.bootstrapServers())) {
                topics.ensure(BusTopics.all((short) 1), Duration.ofSeconds(60));
            }
            JournalSettings journal = JournalSettings.h2(dir.resolve("h2"));
            JournalSchema.ensure(journal);
            Config config = config(journal, broker.bootstrapServers());

            ActorSystem<Void> filler = system(config);
            long t = System.nanoTime();
            int[] next = new int[ENTITIES];
            fill(filler, fillers(filler), next, events, BATCH);
            System.out.printf("journaled %d events in %.1f s%n", events, (System.nanoTime() - t) / 1e9);
            filler.terminate();
            filler.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

            ActorSystem<Void> system = system(config);
            try {
                Projections projections = Projections.start(system, config);
                DataSource ds = projections.database().dataSource();
                double[] rates = catchUp(system, ds, events);
                long[] lag = liveLag(system, ds, next, live, liveRate);
                double p99 = historyP99(projections.database(), journal, rows);
                System.out.printf("RESULT kafka_events_per_s=%.0f audit_events_per_s=%.0f history_query_p99_ms=%.2f"
                        + " kafka_lag_max_events=%d audit_lag_max_events=%d%n", rates[0], rates[1], p99, lag[0],
                        lag[1]);
            } finally {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("usage: projections [--events N] [--rows N] [--live N] "
                        + "[--live-rate N] [--dir DIR]; bad argument '" + args[i] + "'");
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    private static Config config(JournalSettings journal, String bootstrap) {
        return ConfigFactory.parseString(String.join("\n",
                        "pekko.actor.provider = cluster",
                        "pekko.remote.artery.canonical.hostname = 127.0.0.1",
                        "pekko.remote.artery.canonical.port = 0",
                        "pekko.cluster.roles = [control]",
                        "pekko.loglevel = WARNING",
                        "caspian.projections.kafka.bootstrap-servers = \"" + bootstrap + "\"",
                        "caspian.projections.kafka.save-offset-after = 100ms"))
                .withFallback(journal.pekkoConfig())
                .withFallback(ConfigFactory.parseMap(Map.of("caspian.journal.kind", "h2",
                        "caspian.journal.url", journal.url())))
                .withFallback(ConfigFactory.load());
    }

    private static ActorSystem<Void> system(Config config) {
        ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "caspian", config);
        Cluster c = Cluster.get(s);
        c.manager().tell(Join.create(c.selfMember().address()));
        return s;
    }

    private static List<ActorRef<JournalFiller.Append>> fillers(ActorSystem<Void> system) {
        List<ActorRef<JournalFiller.Append>> refs = new ArrayList<>();
        for (int e = 0; e < ENTITIES; e++) {
            refs.add(system.systemActorOf(JournalFiller.create("bench-" + e), "filler-" + e, Props.empty()));
        }
        return refs;
    }

    /** Journals {@code count} events, up to {@code batch} per entity at a time; returns when all are stored. */
    private static void fill(ActorSystem<Void> system, List<ActorRef<JournalFiller.Append>> refs, int[] next,
                             int count, int batch) throws Exception {
        int written = 0;
        while (written < count) {
            List<CompletableFuture<Done>> round = new ArrayList<>();
            for (int e = 0; e < ENTITIES && written < count; e++) {
                int n = Math.min(batch, count - written);
                List<NexusEvent> events = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    events.add(event(e, next[e]++));
                }
                written += n;
                round.add(AskPattern.<JournalFiller.Append, Done>ask(refs.get(e),
                        r -> new JournalFiller.Append(events, r), Duration.ofSeconds(60), system.scheduler())
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(round.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
        }
    }

    private static NexusEvent event(int entity, int index) {
        String uri = "nvmf://node-b/bench-" + entity;
        if (index == 0) {
            return new NexusEvent.NexusCreated(new NexusSpec("node-" + entity % 8, 1 << 30,
                    "vol-" + entity % VOLUMES, List.of(new Child(uri, "rep-" + entity, ChildState.ONLINE, ""))));
        }
        return index % 2 == 1 ? new NexusEvent.ChildFaulted(uri, "bench", BusMark.NONE)
                : new NexusEvent.ChildOnline(uri, BusMark.NONE);
    }

    /** Events/s of the Kafka and the audit projection from an empty start to the journal's end. */
    private static double[] catchUp(ActorSystem<Void> system, DataSource ds, long events) throws Exception {
        long end = scalar(ds, "SELECT MAX(ordering) FROM event_journal");
        long start = System.nanoTime();
        long kafkaDone = 0;
        long auditDone = 0;
        long deadline = start + TimeUnit.MINUTES.toNanos(30);
        while ((kafkaDone == 0 || auditDone == 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            if (kafkaDone == 0 && offset(system, Projections.PUBLIC_EVENTS) >= end) {
                kafkaDone = System.nanoTime();
            }
            if (auditDone == 0 && offset(system, Projections.AUDIT) >= end) {
                auditDone = System.nanoTime();
            }
        }
        if (kafkaDone == 0 || auditDone == 0) {
            throw new IllegalStateException("the projections did not catch up within 30 minutes");
        }
        double kafka = events / ((kafkaDone - start) / 1e9);
        double audit = events / ((auditDone - start) / 1e9);
        System.out.printf("catch-up of %d events: kafka %.0f events/s, audit %.0f events/s%n", events, kafka, audit);
        return new double[] {kafka, audit};
    }

    /** Journals {@code count} more events at {@code rate}/s; the largest lag of each projection seen meanwhile. */
    private static long[] liveLag(ActorSystem<Void> system, DataSource ds, int[] next, int count, int rate)
            throws Exception {
        long base = scalar(ds, "SELECT COUNT(*) FROM audit_events");
        List<ActorRef<JournalFiller.Append>> refs = fillers(system);
        // One event per entity per step, so the rate holds within a fraction of a second.
        int step = ENTITIES;
        long[] max = new long[2];
        Thread writer = new Thread(() -> {
            try {
                long t0 = System.nanoTime();
                for (int done = 0; done < count; done += step) {
                    fill(system, refs, next, Math.min(step, count - done), 1);
                    long due = t0 + (long) ((done + step) * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "live-writer");
        writer.start();
        while (writer.isAlive()) {
            long journaled = scalar(ds, "SELECT MAX(ordering) FROM event_journal");
            max[0] = Math.max(max[0], journaled - offset(system, Projections.PUBLIC_EVENTS));
            max[1] = Math.max(max[1], journaled - offset(system, Projections.AUDIT));
            Thread.sleep(50);
        }
        writer.join();
        System.out.printf("live: %d events at %d/s over %d already audited; largest lag kafka %d, audit %d events%n",
                count, rate, base, max[0], max[1]);
        return max;
    }

    /**
     * The stored offset of a projection of the nexus tag: the journal ordering it has processed up to. The audit's is
     * committed with its rows, so it reaches the journal's end exactly when the table holds every event; counting the
     * table instead took 15-35 ms a sample and a quarter of the bench's CPU while the projections caught up.
     */
    private static long offset(ActorSystem<Void> system, String projection) throws Exception {
        Optional<Object> o = ProjectionManagement.get(system).getOffset(ProjectionId.of(projection, "nexus"))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        return o.map(x -> ((Sequence) x).value()).orElse(0L);
    }

    /** Fills {@code audit_events} to {@code rows} rows, then times one volume's newest page with random volumes. */
    private static double historyP99(ProjectionDatabase db, JournalSettings journal, int rows) throws Exception {
        long have = scalar(db.dataSource(), "SELECT COUNT(*) FROM audit_events");
        AuditStore store = new AuditStore(journal.kind());
        long t = System.nanoTime();
        long time = System.currentTimeMillis() - rows;
        try (Connection c = db.dataSource().getConnection()) {
            List<AuditRow> batch = new ArrayList<>();
            for (long i = have; i < rows; i++) {
                String vol = "vol-" + (i % VOLUMES);
                batch.add(new AuditRow("Nexus|fill-" + i + "|1", "Nexus", "fill-" + (i % 5000), vol,
                        "node-" + (i % 8), i % 3 == 0 ? "ChildFaulted" : "ChildOnline", time + i, 1,
                        "{\"uri\":\"nvmf://node-b/x\",\"reason\":\"bench\"}"));
                if (batch.size() == 5000) {
                    store.insert(c, batch);
                    c.commit();
                    batch.clear();
                }
            }
            store.insert(c, batch);
            c.commit();
        }
        System.out.printf("audit table filled to %d rows in %.1f s%n", rows, (System.nanoTime() - t) / 1e9);
        AuditQueries q = new AuditQueries(db.dataSource());
        Random r = new Random(1);
        int warm = 200;
        int runs = 2000;
        double[] ms = new double[runs];
        for (int i = 0; i < warm + runs; i++) {
            EventQuery query = new EventQuery("vol-" + r.nextInt(VOLUMES), null, null, List.of(), null, null, 100,
                    true, null);
            long s = System.nanoTime();
            int n = q.find(query).events().size();
            if (n == 0) {
                throw new IllegalStateException("a volume's history came back empty");
            }
            if (i >= warm) {
                ms[i - warm] = (System.nanoTime() - s) / 1e6;
            }
        }
        Arrays.sort(ms);
        double p99 = ms[(int) Math.ceil(runs * 0.99) - 1];
        System.out.printf("volume history (newest 100 of one volume) on %d rows: p50 %.2f ms, p99 %.2f ms%n", rows,
                ms[runs / 2], p99);
        return p99;
    }

    private static long scalar(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            long v = r.next() ? r.getLong(1) : 0;
            c.rollback();
            return v;
        }
    }
}
