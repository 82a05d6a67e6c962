package io.caspian.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.csi.Filesystem;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class VolumeParametersTest {
    @Test
    void defaultsAreOneThickReplicaOverNvmfWithExt4() {
        VolumeParameters p = VolumeParameters.parse(Map.of());
        assertEquals(1, p.replicas());
        assertFalse(p.thin());
        assertEquals(Protocol.NVMF, p.protocol());
        assertEquals(Filesystem.EXT4, p.fsType());
        assertEquals(OptionalInt.empty(), p.nvmeIoTimeout());
    }

    @Test
    void everyParameterIsReadAndSurvivesTheVolumeContext() {
        VolumeParameters p = VolumeParameters.parse(Map.of("repl", "3", "thin", "true", "protocol", "nbd",
                "fsType", "xfs", "nvmeIoTimeout", "30", "nvmeCtrlLossTmo", "-1", "nvmeKeepAliveTmo", "5",
                "nvmeNrIoQueues", "4", "csi.storage.k8s.io/pvc/name", "data"));
        assertEquals(3, p.replicas());
        assertTrue(p.thin());
        assertEquals(Protocol.NBD, p.protocol());
        assertEquals(Filesystem.XFS, p.fsType());
        assertEquals(OptionalInt.of(-1), p.nvmeCtrlLossTmo());
        assertEquals(p, VolumeParameters.parse(p.context()));
    }

    @Test
    void unknownAndMalformedParametersAreRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("replicas",
                "3"))).getMessage().contains("'replicas'"));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("repl", "three")));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("repl", "0")));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("thin", "maybe")));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("protocol", "iscsi")));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("fsType", "btrfs")));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("nvmeNrIoQueues", "0")));
        assertThrows(IllegalArgumentException.class, () -> VolumeParameters.parse(Map.of("nvmeCtrlLossTmo",
                "-2")));
    }
}
