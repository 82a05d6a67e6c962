package io.caspian.it;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.nvmf.target.NvmfTarget;
import io.caspian.nvmf.target.TargetConfig;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * A pool disk on the network, for tests that take a disk away: one file exported as one NVMe/TCP subsystem by
 * Caspian's target, in a JVM of its own ({@link RoleProcess#startMain}). SIGKILL takes the disk away at once, as a
 * pulled cable or a dead disk shelf would (its connections reset, new ones refused); starting it again on the same
 * port, file and NQN brings the same disk back with its data. Prints {@link #READY} once it listens.
 *
 * <p>Arguments: {@code PORT NQN FILE SIZE_MB}.
 */
public final class DiskTarget {
    static final String READY = "disk-target: READY";

    private DiskTarget() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: DiskTarget PORT NQN FILE SIZE_MB");
        }
        BlockDevice disk = DeviceOpener.standard().open("file://" + args[2] + "?size_mb=" + args[3]);
        NvmfTarget target = NvmfTarget.bind("127.0.0.1", Integer.parseInt(args[0]), TargetConfig.defaults(), 1);
        target.addSubsystem(args[1], disk, Set.of());
        System.out.println(READY);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
