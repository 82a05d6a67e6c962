package io.caspian.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountsTest {
    @TempDir
    Path dir;

    @Test
    void readsMountinfoWithEscapesBindsAndDeviceNodes() throws Exception {
        Path info = dir.resolve("mountinfo");
        Files.writeString(info, String.join("\n",
                "22 1 0:21 / /proc rw,nosuid - proc proc rw",
                "40 22 259:1 / /var/lib/kubelet/plugins/csi/v1/globalmount rw,relatime - ext4 /dev/nvme0n1 rw",
                "41 22 259:1 / /var/lib/kubelet/pods/a\\040b/mount ro,relatime shared:5 - ext4 /dev/nvme0n1 rw",
                "42 22 0:5 /nvme1n1 /var/lib/kubelet/pods/c/dev rw,nosuid - devtmpfs udev rw",
                "") + "\n");
        Mounts m = new Mounts(info);
        assertEquals(4, m.all().size());
        Mounts.Mount bind = m.at(Path.of("/var/lib/kubelet/pods/a b/mount")).orElseThrow();
        assertEquals("259:1", bind.device());
        assertTrue(bind.readOnly());
        assertEquals("/dev/nvme0n1", bind.source());
        Mounts.Mount staged = m.at(Path.of("/var/lib/kubelet/plugins/csi/v1/globalmount")).orElseThrow();
        assertFalse(staged.readOnly());
        Mounts.Mount block = m.at(Path.of("/var/lib/kubelet/pods/c/dev")).orElseThrow();
        assertEquals("/nvme1n1", block.root());
        assertEquals("devtmpfs", block.fsType());
        assertTrue(m.at(Path.of("/var/lib/kubelet")).isEmpty());
    }
}
