package io.caspian.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The path agent's decisions against a fake sysfs tree and a fake control plane; no kernel, no cluster. */
class PathAgentTest {
    private static final String VOL = "0b5e6c3a-1d2f-4e5a-9b8c-7d6e5f4a3b2c";
    private static final String NQN = PathAgent.NQN_PREFIX + VOL;
    private static final UUID HOST_ID = UUID.fromString("11111111-2222-3333-4444-555555555555");
    private static final NvmeFabrics.ConnectOptions OPTS = new NvmeFabrics.ConnectOptions("nqn.host:vm", HOST_ID,
            OptionalInt.of(30), OptionalInt.of(5), OptionalInt.empty());

    @TempDir
    Path tmp;
    Path sys;
    Path dev;
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final AtomicReference<PathAgent.Address> target = new AtomicReference<>();
    final List<String> asked = new ArrayList<>();
    PathAgent agent;

    @BeforeEach
    void setUp() throws IOException {
        sys = tmp.resolve("sys");
        dev = tmp.resolve("dev");
        Files.createDirectories(sys.resolve("class/nvme"));
        Files.createDirectories(dev);
        Files.writeString(dev.resolve("nvme-fabrics"), "");
        agent = new PathAgent(new NvmeFabrics(sys, dev), id -> {
            asked.add(id);
            return Optional.ofNullable(target.get());
        }, now::get);
    }

    private void controller(String name, String state, String traddr, int port) throws IOException {
        Path c = sys.resolve("class/nvme").resolve(name);
        Files.createDirectories(c);
        Files.writeString(c.resolve("subsysnqn"), NQN + "\n");
        Files.writeString(c.resolve("state"), state + "\n");
        Files.writeString(c.resolve("address"), "traddr=" + traddr + ",trsvcid=" + port + ",src_addr=10.0.2.15\n");
        Files.writeString(c.resolve("hostnqn"), "nqn.host:adopted\n");
        Files.writeString(c.resolve("hostid"), HOST_ID + "\n");
        Files.writeString(c.resolve("ctrl_loss_tmo"), "off\n");
        Files.writeString(c.resolve("kato"), "5\n");
        Files.writeString(c.resolve("delete_controller"), "");
    }

    private String connects() throws IOException {
        return Files.readString(dev.resolve("nvme-fabrics"));
    }

    private boolean deleted(String name) throws IOException {
        return Files.readString(sys.resolve("class/nvme").resolve(name).resolve("delete_controller")).equals("1");
    }

    private void tick(long ms) {
        now.addAndGet(ms * 1_000_000L);
    }

    private PathAgent.Outcome check() {
        return agent.check(new PathAgent.Watch(VOL, NQN, OPTS));
    }

    @Test
    void aHealthyVolumeCostsNoRequest() throws IOException {
        controller("nvme0", "live", "127.0.0.1", 4420);
        agent.watch(VOL, NQN, OPTS);
        for (int i = 0; i < 10; i++) {
            assertEquals(new PathAgent.Outcome.Healthy(List.of()), check());
            tick(1000);
        }
        assertTrue(asked.isEmpty(), "no REST call while a path is live");
        assertEquals("", connects());
    }

    @Test
    void aDeadPathIsMovedToTheFailedOverTargetAndThenDropped() throws IOException {
        controller("nvme0", "live", "127.0.0.1", 4420);
        agent.watch(VOL, NQN, OPTS);
        check();
        controller("nvme0", "connecting", "127.0.0.1", 4420);
        target.set(new PathAgent.Address("127.0.0.1", 4420));
        // The control plane has not failed over yet: asked, nothing connected, not asked more than every 500 ms.
        assertInstanceOf(PathAgent.Outcome.Waiting.class, check());
        assertEquals(1, asked.size());
        tick(250);
        check();
        assertEquals(1, asked.size(), "asks are spaced");
        tick(250);
        check();
        assertEquals(2, asked.size());
        assertEquals("", connects());

        target.set(new PathAgent.Address("127.0.0.1", 4421));
        tick(500);
        assertEquals(new PathAgent.Outcome.Connected(new PathAgent.Address("127.0.0.1", 4421)), check());
        assertEquals("transport=tcp,traddr=127.0.0.1,trsvcid=4421,nqn=" + NQN + ",hostnqn=nqn.host:vm,hostid="
                + HOST_ID + ",ctrl_loss_tmo=30,keep_alive_tmo=5", connects(), "the stage's options");
        assertFalse(deleted("nvme0"), "the dead path stays until a new one is live");

        // The new controller is still connecting: not connected a second time.
        controller("nvme1", "connecting", "127.0.0.1", 4421);
        Files.writeString(dev.resolve("nvme-fabrics"), "");
        tick(500);
        assertInstanceOf(PathAgent.Outcome.Waiting.class, check());
        assertEquals("", connects());

        controller("nvme1", "live", "127.0.0.1", 4421);
        tick(250);
        assertEquals(new PathAgent.Outcome.Healthy(List.of("nvme0")), check());
        assertTrue(deleted("nvme0"));
        assertFalse(deleted("nvme1"));
    }

    @Test
    void aPathThatComesBackBeforeAFailoverIsKept() throws IOException {
        controller("nvme0", "resetting", "127.0.0.1", 4420);
        agent.watch(VOL, NQN, OPTS);
        target.set(new PathAgent.Address("127.0.0.1", 4420));
        check();
        controller("nvme0", "live", "127.0.0.1", 4420);
        tick(1000);
        assertEquals(new PathAgent.Outcome.Healthy(List.of()), check());
        assertFalse(deleted("nvme0"));
        assertEquals("", connects());
    }

    @Test
    void anUnreachableApiIsAskedAgainAndAFailedConnectRetried() throws IOException {
        controller("nvme0", "connecting", "127.0.0.1", 4420);
        PathAgent flaky = new PathAgent(new NvmeFabrics(sys, dev), id -> {
            asked.add(id);
            if (asked.size() < 3) {
                throw new IllegalStateException("connection refused");
            }
            return Optional.of(new PathAgent.Address("127.0.0.1", 4421));
        }, now::get);
        flaky.watch(VOL, NQN, OPTS);
        PathAgent.Watch w = new PathAgent.Watch(VOL, NQN, OPTS);
        assertInstanceOf(PathAgent.Outcome.Waiting.class, flaky.check(w));
        tick(500);
        assertInstanceOf(PathAgent.Outcome.Waiting.class, flaky.check(w));
        // The kernel refuses the connect (e.g. Duplicate cntlid): a directory cannot be opened for writing.
        Files.delete(dev.resolve("nvme-fabrics"));
        Files.createDirectories(dev.resolve("nvme-fabrics"));
        tick(500);
        PathAgent.Outcome o = flaky.check(w);
        assertInstanceOf(PathAgent.Outcome.Waiting.class, o);
        assertTrue(((PathAgent.Outcome.Waiting) o).why().startsWith("connecting 127.0.0.1:4421 failed"), o.toString());
        Files.delete(dev.resolve("nvme-fabrics"));
        Files.writeString(dev.resolve("nvme-fabrics"), "");
        tick(500);
        assertInstanceOf(PathAgent.Outcome.Connected.class, flaky.check(w), "retried");
    }

    @Test
    void anUnwatchedVolumeIsLeftAlone() throws IOException {
        controller("nvme0", "deleting", "127.0.0.1", 4420);
        agent.watch(VOL, NQN, OPTS);
        agent.unwatch(NQN);
        target.set(new PathAgent.Address("127.0.0.1", 4421));
        agent.checkAll();
        assertTrue(asked.isEmpty());
        assertEquals("", connects());
    }

    @Test
    void aRestartedAgentAdoptsAttachedVolumesWithTheirSysfsOptions() throws IOException {
        controller("nvme3", "connecting", "127.0.0.1", 4420);
        Path other = sys.resolve("class/nvme/nvme4");
        Files.createDirectories(other);
        Files.writeString(other.resolve("subsysnqn"), "nqn.2014-08.org.example:not-caspian\n");
        target.set(new PathAgent.Address("127.0.0.1", 4422));
        agent.adopt();
        assertEquals(java.util.Set.of(NQN), agent.watched());
        assertInstanceOf(PathAgent.Outcome.Connected.class, agent.check(new PathAgent.Watch(VOL, NQN, null)));
        assertEquals("transport=tcp,traddr=127.0.0.1,trsvcid=4422,nqn=" + NQN + ",hostnqn=nqn.host:adopted,hostid="
                + HOST_ID + ",ctrl_loss_tmo=-1,keep_alive_tmo=5", connects());
    }

    @Test
    void anOutageIsWorkedOnForABoundedTime() throws IOException {
        controller("nvme0", "connecting", "127.0.0.1", 4420);
        target.set(new PathAgent.Address("127.0.0.1", 4420));
        agent.watch(VOL, NQN, OPTS);
        check();
        tick(PathAgent.GIVE_UP_AFTER.toMillis() + 1);
        assertInstanceOf(PathAgent.Outcome.GaveUp.class, check());
        int n = asked.size();
        target.set(new PathAgent.Address("127.0.0.1", 4421));
        tick(1000);
        assertInstanceOf(PathAgent.Outcome.GaveUp.class, check());
        assertEquals(n, asked.size(), "no more asks");
        controller("nvme0", "live", "127.0.0.1", 4420);
        assertInstanceOf(PathAgent.Outcome.Healthy.class, check(), "a path back live ends it");
    }

    @Test
    void aVolumeWithoutControllersIsNotFailedOver() throws IOException {
        agent.watch(VOL, NQN, OPTS);
        target.set(new PathAgent.Address("127.0.0.1", 4421));
        assertEquals(new PathAgent.Outcome.NoController(), check());
        assertTrue(asked.isEmpty());
    }

    @Test
    void theTargetAddressIsReadFromTheVolumesDeviceUri() throws IOException {
        ObjectMapper json = new ObjectMapper();
        assertEquals(Optional.of(new PathAgent.Address("127.0.0.1", 40123)), PathAgent.nvmfTarget(json.readTree(
                "{\"target\":{\"node\":\"node-2\",\"protocol\":\"nvmf\",\"device_uri\":\"nvmf://127.0.0.1:40123/"
                        + NQN + "\"}}")));
        assertEquals(Optional.empty(), PathAgent.nvmfTarget(json.readTree("{\"target\":null}")));
        assertEquals(Optional.empty(), PathAgent.nvmfTarget(json.readTree(
                "{\"target\":{\"device_uri\":\"nbd://127.0.0.1:10809/x\"}}")));
    }
}
