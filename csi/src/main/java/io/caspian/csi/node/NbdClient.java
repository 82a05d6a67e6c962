package io.caspian.csi.node;

import io.caspian.csi.ExternalCommand;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The kernel's nbd driver through {@code nbd-client}. An nbd device does not say which export it serves, so the
 * plugin notes the device of each volume in its state directory (a tmpfs such as {@code /run}: like the kernel's
 * attachment, the note does not outlive a reboot).
 */
final class NbdClient {
    private static final Pattern NBD = Pattern.compile("nbd\\d+");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Path sys;
    private final Path dev;
    private final Path state;

    NbdClient(Path sys, Path dev, Path state) {
        this.sys = sys;
        this.dev = dev;
        this.state = state;
    }

    Path attach(Attachment.Nbd a, String volumeId) {
        Optional<Path> known = find(volumeId);
        if (known.isPresent()) {
            return known.get();
        }
        Path device = free().orElseThrow(() -> Status.RESOURCE_EXHAUSTED.withDescription("every nbd device is in "
                + "use (modprobe nbd nbds_max=N for more)").asRuntimeException());
        ExternalCommand.check(TIMEOUT, List.of("nbd-client", a.address(), Integer.toString(a.port()),
                device.toString(), "-N", a.export(), "-b", "4096", "-t", "30"));
        try {
            Files.createDirectories(state);
            Files.writeString(state.resolve(volumeId), device.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot note " + device + " of volume " + volumeId, e);
        }
        return device;
    }

    /** The nbd device noted for the volume, if it is still connected. */
    Optional<Path> find(String volumeId) {
        Path note = state.resolve(volumeId);
        if (!Files.exists(note)) {
            return Optional.empty();
        }
        try {
            Path device = Path.of(Files.readString(note).strip());
            return connected(device.getFileName().toString()) ? Optional.of(device) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void detach(String volumeId) {
        Optional<Path> device = find(volumeId);
        if (device.isPresent()) {
            ExternalCommand.check(TIMEOUT, List.of("nbd-client", "-d", device.get().toString()));
        }
        try {
            Files.deleteIfExists(state.resolve(volumeId));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the note of volume " + volumeId, e);
        }
    }

    private Optional<Path> free() {
        try (Stream<Path> s = Files.list(sys.resolve("block"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> NBD.matcher(n).matches())
                    .filter(n -> !connected(n)).sorted().findFirst().map(dev::resolve);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private boolean connected(String name) {
        return Files.exists(sys.resolve("block").resolve(name).resolve("pid"));
    }
}
