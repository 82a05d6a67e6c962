package io.caspian.csi.node;

import io.caspian.csi.ExternalCommand;
import io.caspian.csi.Filesystem;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What a device holds (blkid) and making a filesystem. mkfs runs without its force flag, so even if the probe
 * missed a filesystem, mkfs's own check refuses to overwrite it: a device that holds data is never formatted.
 */
final class Filesystems {
    private static final Duration PROBE = Duration.ofSeconds(30);
    private static final Duration MKFS = Duration.ofMinutes(3);

    private Filesystems() {
    }

    /** The filesystem type on the device, or empty when blkid finds none (its exit status 2). */
    static Optional<String> probe(Path device) {
        ExternalCommand.Result r = ExternalCommand.run(PROBE, List.of("blkid", "-p", "-o", "value", "-s", "TYPE",
                device.toString()));
        if (r.exit() == 2) {
            return Optional.empty();
        }
        if (!r.ok()) {
            throw Status.INTERNAL.withDescription("blkid " + device + " exited " + r.exit() + ": " + r.err().strip())
                    .asRuntimeException();
        }
        String type = r.out().strip();
        return type.isEmpty() ? Optional.empty() : Optional.of(type);
    }

    /** Makes {@code fs} on an empty device; discards are skipped (a new volume reads zeroes already). */
    static void make(Filesystem fs, Path device) {
        List<String> argv = switch (fs) {
            case EXT4 -> List.of("mkfs.ext4", "-q", "-E", "nodiscard", device.toString());
            case XFS -> List.of("mkfs.xfs", "-q", "-K", device.toString());
        };
        ExternalCommand.check(MKFS, argv);
    }
}
