package io.caspian.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding a volume's namespace in a sysfs laid out as the 6.1 kernel lays it out (native multipath heads). */
class NvmeFabricsTest {
    private static final String VOLUME = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    private static final String NQN = "nqn.2019-05.io.caspian:" + VOLUME;

    @TempDir
    Path sys;

    private void namespace(String name, String nqn, String uuid, String nguid) throws Exception {
        Path b = sys.resolve("block").resolve(name);
        Files.createDirectories(b.resolve("device"));
        Files.writeString(b.resolve("device/subsysnqn"), nqn + "\n");
        if (uuid != null) {
            Files.writeString(b.resolve("uuid"), uuid + "\n");
        }
        if (nguid != null) {
            Files.writeString(b.resolve("nguid"), nguid + "\n");
        }
    }

    private void controller(String name, String nqn) throws Exception {
        Path c = sys.resolve("class/nvme").resolve(name);
        Files.createDirectories(c);
        Files.writeString(c.resolve("subsysnqn"), nqn + "\n");
    }

    @Test
    void findsTheNamespaceByUuidBeforeTheSubsystem() throws Exception {
        namespace("nvme0n1", NQN, "00000000-0000-0000-0000-000000000000", null);
        namespace("nvme1n1", "nqn.other", VOLUME, null);
        namespace("nvme1c1n1", "nqn.other", VOLUME, null);
        NvmeFabrics f = new NvmeFabrics(sys, Path.of("/dev"));
        assertEquals(Optional.of(Path.of("/dev/nvme1n1")), f.find(VOLUME, NQN));
    }

    @Test
    void findsItByNguidThenFallsBackToTheSubsystemNqn() throws Exception {
        NvmeFabrics f = new NvmeFabrics(sys, Path.of("/dev"));
        namespace("nvme2n1", NQN, null, null);
        assertEquals(Optional.of(Path.of("/dev/nvme2n1")), f.find(VOLUME, NQN), "a target that reports no UUID");
        namespace("nvme3n1", "nqn.x", null, VOLUME.toUpperCase());
        assertEquals(Optional.of(Path.of("/dev/nvme3n1")), f.find(VOLUME, NQN));
        assertTrue(f.find("11111111-2222-3333-4444-555555555555", "nqn.none").isEmpty());
    }

    @Test
    void listsTheControllersOfASubsystem() throws Exception {
        controller("nvme0", NQN);
        controller("nvme1", "nqn.other");
        controller("nvme-fabrics", NQN);
        NvmeFabrics f = new NvmeFabrics(sys, Path.of("/dev"));
        assertEquals(List.of(sys.resolve("class/nvme/nvme0")), f.controllers(NQN));
        namespace("nvme0n1", NQN, null, null);
        assertEquals(Optional.of(NQN), f.subsystemOf(Path.of("/dev/nvme0n1")));
    }
}
