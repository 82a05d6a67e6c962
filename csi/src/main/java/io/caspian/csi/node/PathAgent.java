package io.caspian.csi.node;

import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.csi.controller.CaspianApi;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the kernel's NVMe/TCP path of each staged volume to where the control plane failed its target over to.
 *
 * <p>While a volume is healthy the agent only reads sysfs (each controller's {@code state}), once a second: no
 * network. When no controller of the volume's subsystem is {@code live} any more, the path died; from then on it
 * asks the REST API for the volume's target every {@link #ASK_EVERY} until the target's address is not one of the
 * dead paths' (the control plane fails over once the nexus's io-engine has been Offline for its node timeout),
 * connects that address as one more controller of the same subsystem (native multipath keeps the namespace head,
 * so the block device and whatever is mounted stay; queued I/O resumes on the new path), and once a controller is
 * live deletes the controllers at other addresses. Nothing is persisted: sysfs says which volumes are attached and
 * with which host identity, the API where their targets are, so a restarted agent adopts every Caspian subsystem
 * it finds.
 */
public final class PathAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PathAgent.class);
    /** The subsystem NQN of a volume's nexus is this and the volume id. */
    static final String NQN_PREFIX = "nqn.2019-05.io.caspian:nexus-";
    private static final Pattern UUID_FORM = Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** sysfs reads while every path is live: cheap, local. */
    static final Duration HEALTHY_EVERY = Duration.ofSeconds(1);
    /** Checks while some volume has no live path: the failover is what the volume's I/O waits for. */
    static final Duration OUTAGE_EVERY = Duration.ofMillis(250);
    /** REST asks during an outage: the control plane needs its node timeout (seconds) anyway. */
    static final Duration ASK_EVERY = Duration.ofMillis(500);
    /**
     * How long one outage is worked on. Past it the agent stops asking (and says so): the kernel has given up on
     * the path by then in any configuration that is not ctrl_loss_tmo=off, and an API that has not moved the target
     * in that time will not by being asked more often. A path that comes back live ends the outage as usual.
     */
    static final Duration GIVE_UP_AFTER = Duration.ofMinutes(10);

    /** Where the control plane says a volume's NVMe/TCP target is now; empty when it is not published. */
    @FunctionalInterface
    interface Targets {
        Optional<Address> target(String volumeId);
    }

    /** A target's transport address. */
    record Address(String traddr, int port) {
        @Override
        public String toString() {
            return traddr + ":" + port;
        }
    }

    /** A volume watched: {@code options} null when adopted from sysfs (they are then read from its controllers). */
    record Watch(String volumeId, String nqn, NvmeFabrics.ConnectOptions options) {
    }

    /** What one check of a volume did: for the log, the tests and nothing else. */
    sealed interface Outcome {
        record Healthy(List<String> dropped) implements Outcome {
        }

        record NoController() implements Outcome {
        }

        record Waiting(String why) implements Outcome {
        }

        record Connected(Address to) implements Outcome {
        }

        record GaveUp() implements Outcome {
        }
    }

    /** In-memory state of one outage of one volume; none while it is healthy. */
    private static final class Outage {
        final long since;
        final Set<Address> dead = new LinkedHashSet<>();
        long lastAsk = Long.MIN_VALUE;
        String lastWhy = "";
        boolean gaveUp;

        Outage(long since) {
            this.since = since;
        }
    }

    private final NvmeFabrics nvme;
    private final Targets targets;
    private final LongSupplier clock;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final Map<String, Outage> outages = new ConcurrentHashMap<>();
    private final Map<String, Object> volumeLocks = new ConcurrentHashMap<>();
    private final Set<String> reportedGone = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService loop;

    private final Runnable warmUp;

    /** {@code clock}: nanoseconds, {@link System#nanoTime} but in tests. */
    PathAgent(NvmeFabrics nvme, Targets targets, LongSupplier clock) {
        this(nvme, targets, clock, () -> { });
    }

    /** {@code warmUp}: one call made when the agent starts, so that the first ask of an outage is not a cold one. */
    PathAgent(NvmeFabrics nvme, Targets targets, LongSupplier clock, Runnable warmUp) {
        this.nvme = nvme;
        this.targets = targets;
        this.clock = clock;
        this.warmUp = warmUp;
    }

    /**
     * The agent of the real kernel, asking {@code api}. It warms the HTTP client up once at start: the first request
     * of a JVM loads and compiles the client (seconds on a slow or emulated CPU; 3.4 s in the VM test), and that
     * must not be added to a failover.
     */
    static PathAgent of(NvmeFabrics nvme, CaspianApi api) {
        return new PathAgent(nvme, id -> api.volume(id).flatMap(PathAgent::nvmfTarget), System::nanoTime,
                api::reachable);
    }

    /** The address of an NVMe/TCP target in a volume of the REST API ({@code target.device_uri}). */
    static Optional<Address> nvmfTarget(JsonNode volume) {
        String uri = volume.path("target").path("device_uri").asText("");
        if (!uri.startsWith("nvmf://")) {
            return Optional.empty();
        }
        URI u = URI.create(uri);
        return u.getHost() == null || u.getPort() < 0 ? Optional.empty()
                : Optional.of(new Address(u.getHost(), u.getPort()));
    }

    /** Adopts the Caspian subsystems sysfs shows (an agent restarted), then checks every volume on its own thread. */
    public synchronized void start() {
        adopt();
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "csi-path-agent");
            t.setDaemon(true);
            return t;
        });
        loop.execute(() -> {
            try {
                warmUp.run();
            } catch (RuntimeException e) {
                LOG.debug("path agent: warm-up call failed: {}", e.toString());
            }
        });
        loop.schedule(this::run, 0, TimeUnit.MILLISECONDS);
    }

    /** Watches every Caspian subsystem with a controller here (options then come from sysfs). */
    void adopt() {
        for (String nqn : nvme.subsystems()) {
            if (nqn.startsWith(NQN_PREFIX) && UUID_FORM.matcher(nqn.substring(NQN_PREFIX.length())).matches()) {
                if (watches.putIfAbsent(nqn, new Watch(nqn.substring(NQN_PREFIX.length()), nqn, null)) == null) {
                    LOG.info("path agent: watching volume {} (found attached, {})", nqn.substring(
                            NQN_PREFIX.length()), nqn);
                }
            }
        }
    }

    private void run() {
        try {
            checkAll();
        } catch (RuntimeException e) {
            LOG.warn("path agent: check failed: {}", e.toString());
        }
        Duration next = outages.isEmpty() ? HEALTHY_EVERY : OUTAGE_EVERY;
        ScheduledExecutorService l = loop;
        if (l != null && !l.isShutdown()) {
            l.schedule(this::run, next.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Watches a volume just staged over NVMe/TCP; new paths are connected with the stage's options. */
    void watch(String volumeId, String nqn, NvmeFabrics.ConnectOptions options) {
        watches.put(nqn, new Watch(volumeId, nqn, options));
        reportedGone.remove(nqn);
    }

    /**
     * Stops watching (before an unstage deletes the controllers, which the agent would otherwise take for a dead
     * path); waits for a check of that volume in progress.
     */
    void unwatch(String nqn) {
        watches.remove(nqn);
        synchronized (lock(nqn)) {
            outages.remove(nqn);
        }
    }

    Set<String> watched() {
        return Set.copyOf(watches.keySet());
    }

    /** One check of every watched volume. */
    void checkAll() {
        for (Watch w : List.copyOf(watches.values())) {
            check(w);
        }
    }

    /** One check of one volume: the decisions are here. */
    Outcome check(Watch w) {
        synchronized (lock(w.nqn())) {
            if (!watches.containsKey(w.nqn())) {
                return new Outcome.Waiting("no longer watched");
            }
            List<NvmeFabrics.Ctrl> paths = nvme.paths(w.nqn());
            long now = clock.getAsLong();
            Set<Address> live = new LinkedHashSet<>();
            for (NvmeFabrics.Ctrl c : paths) {
                if (c.live()) {
                    live.add(new Address(c.traddr(), c.trsvcid()));
                }
            }
            if (!live.isEmpty()) {
                return healthy(w, paths, live, now);
            }
            if (paths.isEmpty()) {
                // Unstaged behind our back, or the kernel gave up (ctrl_loss_tmo): the namespace is gone with the
                // last controller, so a new path would not bring the mounted device back. Said once.
                if (reportedGone.add(w.nqn())) {
                    LOG.warn("path agent: volume {} has no controller of {} any more (the kernel gave up on it, or "
                            + "it was disconnected outside the plugin); nothing to fail over", w.volumeId(), w.nqn());
                }
                outages.remove(w.nqn());
                return new Outcome.NoController();
            }
            return outage(w, paths, now);
        }
    }

    private Outcome healthy(Watch w, List<NvmeFabrics.Ctrl> paths, Set<Address> live, long now) {
        List<String> dropped = new java.util.ArrayList<>();
        for (NvmeFabrics.Ctrl c : paths) {
            // A path at another address than every live one is a dead target's: the control plane fenced it off
            // its replicas when it failed over, so it must not come back as a path that would be used.
            if (!c.live() && !c.state().startsWith("deleting")
                    && !live.contains(new Address(c.traddr(), c.trsvcid()))) {
                try {
                    nvme.deleteController(c.name());
                    dropped.add(c.name());
                    LOG.info("path agent: volume {}: dropped dead path {} ({}, {}); live: {}", w.volumeId(),
                            c.name(), c.address(), c.state(), live);
                } catch (RuntimeException e) {
                    LOG.warn("path agent: volume {}: cannot drop dead path {}: {}", w.volumeId(), c.name(),
                            e.getMessage());
                }
            }
        }
        Outage o = outages.remove(w.nqn());
        if (o != null) {
            LOG.info("path agent: volume {}: live again at {} after {} ms without a live path", w.volumeId(), live,
                    TimeUnit.NANOSECONDS.toMillis(now - o.since));
        }
        return new Outcome.Healthy(dropped);
    }

    private Outcome outage(Watch w, List<NvmeFabrics.Ctrl> paths, long now) {
        Outage o = outages.get(w.nqn());
        if (o == null) {
            o = new Outage(now);
            outages.put(w.nqn(), o);
            LOG.warn("path agent: volume {}: no live path ({}); asking the control plane where its target is",
                    w.volumeId(), paths.stream().map(c -> c.name() + " " + c.state() + " " + c.address()).toList());
        }
        for (NvmeFabrics.Ctrl c : paths) {
            o.dead.add(new Address(c.traddr(), c.trsvcid()));
        }
        if (o.gaveUp) {
            return new Outcome.GaveUp();
        }
        if (now - o.since > GIVE_UP_AFTER.toNanos()) {
            o.gaveUp = true;
            LOG.error("path agent: volume {}: no live path for {} min; the control plane has not moved its target "
                    + "off {}; no longer asking (a path that comes back live is still noticed)", w.volumeId(),
                    GIVE_UP_AFTER.toMinutes(), o.dead);
            return new Outcome.GaveUp();
        }
        if (o.lastAsk != Long.MIN_VALUE && now - o.lastAsk < ASK_EVERY.toNanos()) {
            return new Outcome.Waiting(o.lastWhy);
        }
        o.lastAsk = now;
        Optional<Address> target;
        long asked = System.nanoTime();
        try {
            target = targets.target(w.volumeId());
        } catch (RuntimeException e) {
            return waiting(w, o, "the REST API did not answer: " + e.getMessage());
        }
        if (target.isEmpty()) {
            return waiting(w, o, "the volume has no NVMe/TCP target");
        }
        Address to = target.get();
        if (o.dead.contains(to)) {
            // Either the control plane has not failed over yet (node timeout), or the kernel is already
            // reconnecting to the new address (connecting): either way the kernel's own retries go on.
            return waiting(w, o, "the control plane still names " + to + " (no failover yet, or the kernel is "
                    + "reconnecting there)");
        }
        long t0 = System.nanoTime();
        try {
            NvmeFabrics.ConnectOptions opts = w.options() != null ? w.options() : fromSysfs(paths.get(0).name());
            nvme.addPath(w.nqn(), to.traddr(), to.port(), opts);
        } catch (RuntimeException e) {
            // E.g. the host still holds a controller with the id the new target gave ("Duplicate cntlid"): the
            // next ask connects again and gets the next id.
            return waiting(w, o, "connecting " + to + " failed: " + e.getMessage());
        }
        LOG.info("path agent: volume {}: connected new path {} in {} ms (REST answer {} ms; {} ms after the path "
                + "died); dead: {}", w.volumeId(), to, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                TimeUnit.NANOSECONDS.toMillis(t0 - asked), TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - o.since),
                o.dead);
        o.dead.add(to); // not connected twice: from now on the kernel's reconnects cover it
        return new Outcome.Connected(to);
    }

    private static Outcome waiting(Watch w, Outage o, String why) {
        if (!why.equals(o.lastWhy)) {
            LOG.info("path agent: volume {}: waiting: {}", w.volumeId(), why);
            o.lastWhy = why;
        }
        return new Outcome.Waiting(why);
    }

    /** The host identity and timeouts of an adopted volume's existing controller. */
    private NvmeFabrics.ConnectOptions fromSysfs(String ctrl) {
        String hostNqn = nvme.attribute(ctrl, "hostnqn").orElseThrow(() -> new IllegalStateException(
                "no hostnqn in sysfs for " + ctrl));
        UUID hostId = UUID.fromString(nvme.attribute(ctrl, "hostid").orElseThrow(() -> new IllegalStateException(
                "no hostid in sysfs for " + ctrl)));
        return new NvmeFabrics.ConnectOptions(hostNqn, hostId, seconds(nvme.attribute(ctrl, "ctrl_loss_tmo")),
                seconds(nvme.attribute(ctrl, "kato")), OptionalInt.empty());
    }

    /** A sysfs seconds attribute; "off" (ctrl_loss_tmo: never give up) is -1 to the connect string. */
    private static OptionalInt seconds(Optional<String> v) {
        if (v.isEmpty()) {
            return OptionalInt.empty();
        }
        if (v.get().equals("off")) {
            return OptionalInt.of(-1);
        }
        try {
            return OptionalInt.of(Integer.parseInt(v.get()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private Object lock(String nqn) {
        return volumeLocks.computeIfAbsent(nqn, k -> new Object());
    }

    @Override
    public synchronized void close() {
        if (loop != null) {
            loop.shutdownNow();
            loop = null;
        }
    }
}
