package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreateNexus;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineCommand.PublishNexus;
import io.caspian.events.ioengine.IoEngineCommand.ShareReplica;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.IoEngineReply.NexusDone;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NodeStateReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DataNode in its own actor system (role io-engine) found by another (role control) through
 * the cluster Receptionist; every command, reply, report and actor ref crosses Artery on
 * 127.0.0.1 through the io-engine protobuf serializer, as between JVMs.
 */
class DataNodeClusterTest {

  @TempDir
  Path dir;

  private static Config cluster(String role) {
    return ConfigFactory.parseMap(Map.of(
        "pekko.actor.provider", "cluster",
        "pekko.cluster.roles", List.of(role),
        "pekko.remote.artery.canonical.hostname", "127.0.0.1",
        "pekko.remote.artery.canonical.port", 0,
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
        "pekko.loglevel", "WARNING")).withFallback(ConfigFactory.load());
  }

  @Test
  void controlPlaneFindsAndDrivesARemoteDataNode() throws Exception {
    ActorTestKit control = ActorTestKit.create("caspian", cluster("control"));
    ActorTestKit engine = ActorTestKit.create("caspian", cluster("io-engine"));
    try {
      var seed = Cluster.get(control.system()).selfMember().address();
      Cluster.get(control.system()).manager().tell(Join.create(seed));
      Cluster.get(engine.system()).manager().tell(Join.create(seed));
      engine.spawn(DataNode.create(DataNodeSettings.local("far", dir)), "data-node");

      TestProbe<Receptionist.Listing> listings = control.createTestProbe();
      control.system().receptionist().tell(Receptionist.subscribe(IoEngineProtocol.DATA_NODE,
          listings.getRef()));
      ActorRef<IoEngineCommand> node = null;
      long deadline = System.nanoTime() + Nodes.TIMEOUT.toNanos();
      while (node == null && System.nanoTime() < deadline) {
        var found = listings.receiveMessage(Nodes.TIMEOUT)
            .getServiceInstances(IoEngineProtocol.DATA_NODE);
        node = found.isEmpty() ? null : found.iterator().next();
      }
      assertTrue(node != null, "DataNode not listed by the control system's receptionist");
      ActorRef<IoEngineCommand> dataNode = node;

      TestProbe<NodeStateReport> reports = control.createTestProbe();
      dataNode.tell(new IoEngineCommand.SubscribeState(reports.getRef()));
      NodeStateReport first = reports.receiveMessage(Nodes.TIMEOUT);
      assertEquals("far", first.node());
      assertEquals(dataNode, first.dataNode());

      Function<Function<ActorRef<IoEngineReply>, IoEngineCommand>, IoEngineReply> ask = c -> {
        TestProbe<IoEngineReply> p = control.createTestProbe();
        dataNode.tell(c.apply(p.getRef()));
        return p.receiveMessage(Nodes.TIMEOUT);
      };
      assertInstanceOf(PoolDone.class, ask.apply(r -> new CreatePool("cp", "",
          "malloc:///cluster?size_mb=32", r)));
      String rep = UUID.randomUUID().toString();
      assertInstanceOf(ReplicaDone.class, ask.apply(r -> new CreateReplica(rep, "cp", 4L << 20,
          true, r)));
      String shared = assertInstanceOf(ReplicaDone.class, ask.apply(r -> new ShareReplica(rep,
          Protocol.NVMF, r))).replica().uri();
      String vol = UUID.randomUUID().toString();
      assertInstanceOf(NexusDone.class, ask.apply(r -> new CreateNexus(vol, 4L << 20,
          List.of(shared), r)));
      String nbd = assertInstanceOf(NexusDone.class, ask.apply(r -> new PublishNexus(vol,
          Protocol.NBD, r))).nexus().deviceUri();
      try (NbdClient c = new NbdClient(nbd)) {
        Data.write(c, 5, 4, 1L << 20);
        Data.verify(c, 5, 4, 1L << 20);
      }
      NodeStateReport last = Nodes.await(reports, s -> s.nexuses().size() == 1
          && s.nexuses().get(0).protocol() == Protocol.NBD);
      assertEquals(shared, last.nexuses().get(0).children().get(0).uri());
      assertEquals(Protocol.NVMF, last.replicas().get(0).share());
    } finally {
      engine.shutdownTestKit();
      control.shutdownTestKit();
    }
  }
}
