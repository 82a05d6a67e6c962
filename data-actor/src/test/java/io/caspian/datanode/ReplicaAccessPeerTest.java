package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.nvmf.PeerScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replica and volume access against hosts the project did not write: the peer scripts' Python
 * NVMe/TCP probe and the Linux 6.1 kernel host (nvme-tcp, nvme-cli) in a VM. A replica shared to
 * one node's host NQN is invisible in discovery and refused to any other host, the allowed host
 * connects and does I/O, and the kernel reports the uuid, NGUID, model and serial we set.
 */
class ReplicaAccessPeerTest {
  private static final long TIMEOUT_S = 420;
  private static final String INTRUDER = "nqn.2014-08.org.nvmexpress:uuid:0badc0de-0000-4000-8000-00000000cafe";
  private static final String NEXUS_HOST = IoEngineProtocol.hostNqn("peer-b");
  private static final String VOLUME_HOST = "nqn.2014-08.org.nvmexpress:uuid:5ca1ab1e-0000-4000-8000-000000000001";

  @TempDir
  Path dir;
  private Nodes nodes;
  private String replica;
  private String replicaNqn;
  private String volume;
  private String volumeNqn;
  private int port;

  @BeforeEach
  void start() {
    PeerScript.peersDir();
    nodes = new Nodes();
    ActorRef<IoEngineCommand> a = nodes.start(DataNodeSettings.local("peer-a", dir.resolve("a")));
    nodes.expect(a, r -> new CreatePool("pp", "", "malloc:///access-peer?size_mb=96", r), PoolDone.class);
    replica = UUID.randomUUID().toString();
    nodes.expect(a, r -> new CreateReplica(replica, "pp", 32L << 20, false, r), ReplicaDone.class);
    String uri = nodes.expect(a, r -> new ShareReplica(replica, Protocol.NVMF, Set.of(NEXUS_HOST), r),
        ReplicaDone.class).replica().uri();
    port = Integer.parseInt(uri.replaceAll("^nvmf://127\\.0\\.0\\.1:(\\d+)/.*$", "$1"));
    replicaNqn = uri.substring(uri.lastIndexOf('/') + 1);

    String local = UUID.randomUUID().toString();
    nodes.expect(a, r -> new CreateReplica(local, "pp", 32L << 20, false, r), ReplicaDone.class);
    volume = UUID.randomUUID().toString();
    nodes.expect(a, r -> new CreateNexus(volume, 32L << 20, java.util.List.of("bdev:///" + local), r),
        NexusDone.class);
    String target = nodes.expect(a, r -> new PublishNexus(volume, Protocol.NVMF, Set.of(VOLUME_HOST), r),
        NexusDone.class).nexus().deviceUri();
    volumeNqn = target.substring(target.lastIndexOf('/') + 1);
  }

  @AfterEach
  void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  private static boolean discoveryLists(PeerScript p, String nqn) {
    return p.lines().stream().anyMatch(l -> (l.contains("subnqn") || l.contains(" disc ")) && l.contains(nqn));
  }

  @Test
  void pythonProbeSeesAndReachesTheReplicaOnlyAsTheNexusNode() throws Exception {
    try (PeerScript p = PeerScript.start(Map.of("BP_HOSTNQN", INTRUDER), "nvmf-vm.sh", "probe",
        "127.0.0.1:" + port, replicaNqn)) {
      assertNotEquals(0, p.await(120), "an unrelated host connected: " + p.verdict());
      assertTrue(p.printed("numrec=0"), "discovery must list nothing to an unrelated host");
      assertTrue(p.printed("PROBE-FAIL") && p.printed("Connect("), p.verdict());
    }
    try (PeerScript p = PeerScript.start(Map.of("BP_HOSTNQN", NEXUS_HOST), "nvmf-vm.sh", "probe",
        "127.0.0.1:" + port, replicaNqn, "--io")) {
      assertEquals(0, p.await(120), p.verdict());
      assertTrue(p.printed("numrec=1"), "discovery lists the replica to its nexus's node");
      assertTrue(discoveryLists(p, replicaNqn));
      assertTrue(p.printed("mn='Caspian Replica'"), "model number");
    }
  }

  @Test
  void linuxKernelHostIsRefusedUnlessItIsTheNexusNode() throws Exception {
    try (PeerScript p = PeerScript.start(Map.of("BP_HOSTNQN", INTRUDER), "nvmf-vm.sh", "initiator",
        "127.0.0.1:" + port, replicaNqn)) {
      assertNotEquals(0, p.await(TIMEOUT_S), "the kernel connected as an unrelated host: " + p.verdict());
      assertTrue(p.printed("connect FAILED"), p.verdict());
      assertTrue(p.printed("discovery ok (0 entries)") || !discoveryLists(p, replicaNqn),
          "discovery showed the replica to an unrelated host");
    }
    try (PeerScript p = PeerScript.start(Map.of("BP_HOSTNQN", NEXUS_HOST), "nvmf-vm.sh", "initiator",
        "127.0.0.1:" + port, replicaNqn)) {
      assertEquals(0, p.await(TIMEOUT_S), p.verdict());
      assertTrue(discoveryLists(p, replicaNqn), "discovery lists the replica to its nexus's node");
      assertTrue(p.printed("model=Caspian Replica"), "the kernel's model for the replica");
    }
  }

  /** The serial the target reports for a namespace uuid. */
  private static String serial(String uuid) {
    UUID u = UUID.fromString(uuid);
    return Long.toHexString(u.getMostSignificantBits() ^ u.getLeastSignificantBits());
  }

  @Test
  void linuxKernelReportsTheUuidNguidModelAndSerialWeSet() throws Exception {
    Path work = Files.createDirectories(Path.of("target").toAbsolutePath().resolve("access-peer"));
    Path script = work.resolve("identify.sh");
    // In the guest: connect to both subsystems as the hosts they admit, print what sysfs says.
    Files.writeString(script, String.join("\n",
        "set -u",
        "p=$1",
        "nvme connect -t tcp -a 127.0.0.1 -s $p -n $2 -q $3 || exit 2",
        "nvme connect -t tcp -a 127.0.0.1 -s $p -n $4 -q $5 || exit 3",
        "for i in $(seq 1 100); do [ $(ls -d /sys/block/nvme*n* 2>/dev/null | wc -l) -ge 2 ] && break; sleep 0.1; done",
        "for b in /sys/block/nvme*n*; do",
        "  t() { sed 's/ *$//' \"$1\"; }",
        "  echo \"IDENT nqn=$(t $b/device/subsysnqn) uuid=$(t $b/uuid) nguid=$(t $b/nguid) wwid=$(t $b/wwid)"
            + " model=$(t $b/device/model) serial=$(t $b/device/serial)\"",
        "done",
        "nvme disconnect-all",
        ""));
    try (PeerScript p = PeerScript.start(Map.of(), "java-vm.sh", "run", "--share", work.toString(),
        "--host-ports", Integer.toString(port), "--", "bash", script.toString(), Integer.toString(port),
        replicaNqn, NEXUS_HOST, volumeNqn, VOLUME_HOST)) {
      assertEquals(0, p.await(TIMEOUT_S), p.verdict());
      assertTrue(p.printed("IDENT nqn=" + replicaNqn + " uuid=" + replica + " nguid=" + replica
          + " wwid=uuid." + replica + " model=Caspian Replica serial=" + serial(replica)),
          "the replica's identity as the kernel reports it");
      assertTrue(p.printed("IDENT nqn=" + volumeNqn + " uuid=" + volume + " nguid=" + volume
          + " wwid=uuid." + volume + " model=Caspian Volume serial=" + serial(volume)),
          "the volume's identity as the kernel reports it");
    }
  }
}
