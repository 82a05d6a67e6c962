package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.csi.v1.VolumeCapability;
import io.caspian.csi.v1.VolumeCapability.AccessMode.Mode;
import org.junit.jupiter.api.Test;

class AccessModesTest {
    private static VolumeCapability mount(String fs, Mode mode) {
        return VolumeCapability.newBuilder().setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fs))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode)).build();
    }

    @Test
    void singleNodeModesAreSupported() {
        for (Mode m : new Mode[] {Mode.SINGLE_NODE_WRITER, Mode.SINGLE_NODE_SINGLE_WRITER,
                Mode.SINGLE_NODE_MULTI_WRITER, Mode.SINGLE_NODE_READER_ONLY}) {
            assertNull(AccessModes.problem(mount("ext4", m)), m.toString());
            assertNull(AccessModes.problem(VolumeCapability.newBuilder().setBlock(VolumeCapability.BlockVolume
                    .getDefaultInstance()).setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(m))
                    .build()), m.toString());
        }
        assertNull(AccessModes.problem(mount("", Mode.SINGLE_NODE_WRITER)), "no fsType means ext4");
        assertNull(AccessModes.problem(mount("xfs", Mode.SINGLE_NODE_WRITER)));
        assertTrue(AccessModes.singleWriterOnly(mount("ext4", Mode.SINGLE_NODE_SINGLE_WRITER)));
        assertTrue(AccessModes.readOnly(mount("ext4", Mode.SINGLE_NODE_READER_ONLY)));
    }

    @Test
    void multiNodeModesUnknownModesAndOtherFilesystemsAreRefused() {
        for (Mode m : new Mode[] {Mode.MULTI_NODE_READER_ONLY, Mode.MULTI_NODE_SINGLE_WRITER,
                Mode.MULTI_NODE_MULTI_WRITER, Mode.UNKNOWN}) {
            assertNotNull(AccessModes.problem(mount("ext4", m)), m.toString());
        }
        assertNotNull(AccessModes.problem(mount("btrfs", Mode.SINGLE_NODE_WRITER)));
        assertNotNull(AccessModes.problem(VolumeCapability.newBuilder().setAccessMode(VolumeCapability.AccessMode
                .newBuilder().setMode(Mode.SINGLE_NODE_WRITER)).build()), "no access type");
        assertNotNull(AccessModes.problem(VolumeCapability.newBuilder().setMount(VolumeCapability.MountVolume
                .getDefaultInstance()).build()), "no access mode");
    }
}
