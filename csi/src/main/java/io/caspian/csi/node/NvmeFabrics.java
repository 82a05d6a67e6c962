package io.caspian.csi.node;

import io.grpc.Status;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The kernel's NVMe over Fabrics host, driven through {@code /dev/nvme-fabrics} and sysfs (no nvme-cli fork: under
 * an emulated CPU every fork costs a tenth of a second, and sysfs is the kernel's own answer anyway).
 */
final class NvmeFabrics {
    private static final Pattern NAMESPACE = Pattern.compile("nvme\\d+n\\d+");
    private static final Pattern CONTROLLER = Pattern.compile("nvme\\d+");
    static final Duration WAIT = Duration.ofSeconds(30);

    private final Path sys;
    private final Path dev;

    /** {@code sys}: normally {@code /sys}; {@code dev}: normally {@code /dev}. */
    NvmeFabrics(Path sys, Path dev) {
        this.sys = sys;
        this.dev = dev;
    }

    /**
     * Connects (unless a controller of the subsystem is already there, as after a plugin killed mid-stage) and
     * returns the namespace's block device.
     */
    Path connect(Attachment.Nvmf a, String volumeId, String hostNqn, UUID hostId) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Path> existing = controllers(a.nqn());
        if (existing.isEmpty()) {
            StringBuilder opts = new StringBuilder("transport=tcp,traddr=").append(a.address())
                    .append(",trsvcid=").append(a.port()).append(",nqn=").append(a.nqn())
                    .append(",hostnqn=").append(hostNqn).append(",hostid=").append(hostId);
            a.ctrlLossTmo().ifPresent(v -> opts.append(",ctrl_loss_tmo=").append(v));
            a.keepAliveTmo().ifPresent(v -> opts.append(",keep_alive_tmo=").append(v));
            a.nrIoQueues().ifPresent(v -> opts.append(",nr_io_queues=").append(v));
            write(dev.resolve("nvme-fabrics"), opts.toString());
        }
        Path device = null;
        while (device == null) {
            device = find(volumeId, a.nqn()).orElse(null);
            if (device == null) {
                if (System.nanoTime() > deadline) {
                    throw Status.DEADLINE_EXCEEDED.withDescription("connected to " + a.nqn() + " at " + a.address()
                            + ":" + a.port() + " but no namespace of volume " + volumeId + " appeared within "
                            + WAIT.toSeconds() + " s").asRuntimeException();
                }
                sleep(100);
            }
        }
        if (a.ioTimeout().isPresent()) {
            Path t = sys.resolve("block").resolve(device.getFileName().toString()).resolve("queue/io_timeout");
            if (Files.exists(t)) {
                writeOnly(t, Integer.toString(a.ioTimeout().getAsInt() * 1000));
            }
        }
        return device;
    }

    /**
     * The block device of the volume's namespace: the one whose UUID or NGUID is the volume's, else the one in the
     * subsystem {@code nqn} (for targets that do not report the volume's UUID).
     */
    Optional<Path> find(String volumeId, String nqn) {
        String want = volumeId.replace("-", "").toLowerCase(Locale.ROOT);
        Path bySubsystem = null;
        for (Path b : list(sys.resolve("block"))) {
            String name = b.getFileName().toString();
            if (!NAMESPACE.matcher(name).matches()) {
                continue;
            }
            if (want.equals(id(b.resolve("uuid"))) || want.equals(id(b.resolve("nguid")))) {
                return Optional.of(dev.resolve(name));
            }
            if (nqn != null && nqn.equals(read(b.resolve("device/subsysnqn")))) {
                bySubsystem = dev.resolve(name);
            }
        }
        return Optional.ofNullable(bySubsystem);
    }

    /** The subsystem NQN of an attached namespace device, if it is one. */
    Optional<String> subsystemOf(Path device) {
        String s = read(sys.resolve("block").resolve(device.getFileName().toString()).resolve("device/subsysnqn"));
        return Optional.ofNullable(s);
    }

    /** The controllers (sysfs directories) connected to subsystem {@code nqn}. */
    List<Path> controllers(String nqn) {
        List<Path> out = new ArrayList<>();
        for (Path c : list(sys.resolve("class/nvme"))) {
            if (CONTROLLER.matcher(c.getFileName().toString()).matches() && nqn.equals(read(c.resolve("subsysnqn")))) {
                out.add(c);
            }
        }
        return out;
    }

    /** One controller (path) of a subsystem as sysfs shows it: {@code state} is e.g. live, connecting, resetting. */
    record Ctrl(String name, String state, String traddr, int trsvcid) {
        boolean live() {
            return "live".equals(state);
        }

        String address() {
            return traddr + ":" + trsvcid;
        }
    }

    /** The paths of subsystem {@code nqn}, by controller name; only sysfs reads. */
    List<Ctrl> paths(String nqn) {
        List<Ctrl> out = new ArrayList<>();
        for (Path c : controllers(nqn)) {
            String state = read(c.resolve("state"));
            String addr = read(c.resolve("address"));
            String traddr = null;
            int port = -1;
            if (addr != null) {
                for (String kv : addr.split(",")) {
                    int eq = kv.indexOf('=');
                    if (eq < 0) {
                        continue;
                    }
                    String k = kv.substring(0, eq).strip();
                    String v = kv.substring(eq + 1).strip();
                    if (k.equals("traddr")) {
                        traddr = v;
                    } else if (k.equals("trsvcid")) {
                        try {
                            port = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            port = -1;
                        }
                    }
                }
            }
            out.add(new Ctrl(c.getFileName().toString(), state == null ? "gone" : state, traddr, port));
        }
        out.sort(java.util.Comparator.comparing(Ctrl::name));
        return out;
    }

    /** Subsystem NQNs that have at least one controller here. */
    java.util.Set<String> subsystems() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Path c : list(sys.resolve("class/nvme"))) {
            if (CONTROLLER.matcher(c.getFileName().toString()).matches()) {
                String n = read(c.resolve("subsysnqn"));
                if (n != null) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /** A sysfs attribute of controller {@code name} (e.g. hostnqn, hostid, ctrl_loss_tmo), if readable. */
    Optional<String> attribute(String name, String attribute) {
        return Optional.ofNullable(read(sys.resolve("class/nvme").resolve(name).resolve(attribute)));
    }

    /**
     * Adds one more controller (path) of subsystem {@code nqn} at {@code traddr:port}, whatever controllers it
     * already has: the kernel's native multipath puts it under the same namespace head, so the block device and
     * what is mounted on it stay. Blocks for as long as the kernel's connect takes (bounded by the kernel).
     */
    void addPath(String nqn, String traddr, int port, ConnectOptions o) {
        StringBuilder opts = new StringBuilder("transport=tcp,traddr=").append(traddr)
                .append(",trsvcid=").append(port).append(",nqn=").append(nqn)
                .append(",hostnqn=").append(o.hostNqn()).append(",hostid=").append(o.hostId());
        o.ctrlLossTmo().ifPresent(v -> opts.append(",ctrl_loss_tmo=").append(v));
        o.keepAliveTmo().ifPresent(v -> opts.append(",keep_alive_tmo=").append(v));
        o.nrIoQueues().ifPresent(v -> opts.append(",nr_io_queues=").append(v));
        write(dev.resolve("nvme-fabrics"), opts.toString());
    }

    /** What a connect says besides the address: the stage's host identity and timeouts, kept for new paths. */
    record ConnectOptions(String hostNqn, UUID hostId, java.util.OptionalInt ctrlLossTmo,
                          java.util.OptionalInt keepAliveTmo, java.util.OptionalInt nrIoQueues) {
        static ConnectOptions of(Attachment.Nvmf a, String hostNqn, UUID hostId) {
            return new ConnectOptions(hostNqn, hostId, a.ctrlLossTmo(), a.keepAliveTmo(), a.nrIoQueues());
        }
    }

    /** Asks the kernel to delete one controller (a dead path); returns at once (the kernel deletes in the back). */
    void deleteController(String name) {
        Path delete = sys.resolve("class/nvme").resolve(name).resolve("delete_controller");
        if (Files.exists(delete)) {
            writeOnly(delete, "1");
        }
    }

    /** Deletes every controller of subsystem {@code nqn} and waits until the kernel has let them go. */
    void disconnect(String nqn) {
        String failure = "";
        for (Path c : controllers(nqn)) {
            Path delete = c.resolve("delete_controller");
            if (Files.exists(delete)) {
                try {
                    writeOnly(delete, "1");
                } catch (RuntimeException e) {
                    // Already being deleted (a retried unstage): the wait below decides, and says why if not.
                    failure = " (" + e.getMessage() + ")";
                }
            }
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!controllers(nqn).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw Status.DEADLINE_EXCEEDED.withDescription("the controllers of " + nqn + " were still there "
                        + WAIT.toSeconds() + " s after delete_controller" + failure).asRuntimeException();
            }
            sleep(100);
        }
    }

    /** A write answered by the kernel; {@code /dev/nvme-fabrics} reports the new controller on the same fd. */
    private static void write(Path file, String text) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(text.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("writing '" + text + "' to " + file + " failed: " + e.getMessage()
                    + " (is nvme-tcp loaded, and the target reachable and admitting this host?)")
                    .asRuntimeException();
        }
    }

    /** A sysfs attribute: opened write-only, since sysfs refuses a read-write open of a write-only attribute. */
    private static void writeOnly(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("writing '" + text + "' to " + file + " failed: " + e.getMessage())
                    .asRuntimeException();
        }
    }

    private static String id(Path p) {
        String s = read(p);
        return s == null ? null : s.replace("-", "").toLowerCase(Locale.ROOT);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }
}
