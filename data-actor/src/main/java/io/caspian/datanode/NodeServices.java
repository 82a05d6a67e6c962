package io.caspian.datanode;

import io.caspian.bdev.DeviceOpener;
import io.caspian.datanode.bus.BusPublisher;
import io.caspian.datanode.metrics.NodeObjects;
import io.caspian.nbd.NbdServer;
import io.caspian.nvmf.target.NvmfTarget;
import io.caspian.rebuild.RebuildOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a DataNode shares with its pool and nexus actors.
 *
 * @param blocking runs storage calls that block, off the actors' threads
 * @param rebuilds runs the rebuild jobs of every nexus on this node
 * @param rebuild how hard those jobs may push
 * @param opener opens pool disks ({@code nvmf://} disks wait out the Linux host's I/O timeout)
 * @param childOpener opens nexus children: local replicas ({@code bdev://}) and remote ones over
 *     NVMe/TCP, whose I/Os fail after the node's child I/O timeout
 * @param host the address put in the URIs this node reports
 * @param bus publishes every nexus's events to Kafka; null when no Kafka is configured
 * @param errorCountsInterval how often each nexus publishes its children's error counts
 * @param objects the pools and nexuses open now, for the metrics scrape
 * @param countIo whether the pools and nexuses it opens count their reads and writes
 * @param intentLogs where the nexuses keep their write-intent logs ({@code <data dir>/nexus})
 */
record NodeServices(Executor blocking, ScheduledExecutorService rebuilds, RebuildOptions rebuild,
    DeviceOpener opener, DeviceOpener childOpener, LocalReplicas replicas, PoolRegistry registry,
    NvmfTarget nvmf, NbdServer nbd, String host, BusPublisher bus, Duration errorCountsInterval,
    NodeObjects objects, boolean countIo, Path intentLogs) {

  static final String NQN_PREFIX = "nqn.2019-05.io.caspian:";
  /** The model number (Identify Controller) of a replica's subsystem, as hosts see it. */
  static final String REPLICA_MODEL = "Caspian Replica";
  /** The model number of a published volume's subsystem (a nexus). */
  static final String VOLUME_MODEL = "Caspian Volume";

  String replicaNqn(String uuid) {
    return NQN_PREFIX + uuid;
  }

  /**
   * The uuid a volume's or replica's namespace reports (NGUID, UUID descriptor): its id when that
   * is a uuid, as a host looking for it expects, else one derived from the id.
   */
  static UUID namespaceUuid(String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The write-intent log of nexus {@code uuid}. The uuid is the file name when it is a plain name;
   * anything else (a separator, a leading dot) is replaced by a uuid derived from it, so no id can
   * name a file outside the directory.
   */
  Path intentLog(String uuid) {
    String name = uuid.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*") ? uuid
        : UUID.nameUUIDFromBytes(uuid.getBytes(StandardCharsets.UTF_8)).toString();
    return intentLogs.resolve(name + ".wil");
  }

  String nexusNqn(String uuid) {
    return NQN_PREFIX + "nexus-" + uuid;
  }

  String nvmfUri(String nqn) {
    return "nvmf://" + hostPort(nvmf.port()) + "/" + nqn;
  }

  String nbdUri(String name) {
    return "nbd://" + hostPort(nbd.port()) + "/" + name;
  }

  /** Where the control plane and other nodes reach this node's NVMe/TCP target. */
  String endpoint() {
    return hostPort(nvmf.port());
  }

  private String hostPort(int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
