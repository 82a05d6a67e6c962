package io.caspian.events.ioengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineCommand.RebuildAction;
import java.io.NotSerializableException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class IoEngineSerializerTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void tearDown() {
        KIT.shutdownTestKit();
    }

    private static Object roundTrip(Object message) throws NotSerializableException {
        Serialization s = SerializationExtension.get(Adapter.toClassic(KIT.system()));
        var serializer = s.findSerializerFor(message);
        assertInstanceOf(IoEngineSerializer.class, serializer, "bound to the protobuf serializer");
        byte[] bytes = s.serialize(message).get();
        return s.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, message)).get();
    }

    @Test
    void everyCommandSurvivesTheWire() throws Exception {
        ActorRef<IoEngineReply> r = KIT.<IoEngineReply>createTestProbe().ref();
        TestProbe<NodeStateReport> sub = KIT.createTestProbe();
        List<IoEngineCommand> all = List.of(
                new IoEngineCommand.CreatePool("p", "u", "malloc:///p?size_mb=8", r),
                new IoEngineCommand.CreatePool("p", "u", "/dev/sdb", true, r),
                new IoEngineCommand.ImportPool("p", "u", "/dev/sdb", r),
                new IoEngineCommand.DestroyPool("p", r),
                new IoEngineCommand.CreateReplica("r", "p", 1 << 20, true, r),
                new IoEngineCommand.DestroyReplica("r", "p", r),
                new IoEngineCommand.ShareReplica("r", Protocol.NVMF, r),
                new IoEngineCommand.ShareReplica("r", Protocol.NVMF, Set.of(IoEngineProtocol.hostNqn("node-b"),
                        "nqn.2014-08.org.nvmexpress:uuid:1"), r),
                new IoEngineCommand.CreateNexus("n", 1 << 20, List.of("bdev:///r", "nvmf://h:4420/x"), r),
                new IoEngineCommand.CreateNexus("n", 1 << 20, List.of("bdev:///r"), 7, r),
                new IoEngineCommand.DestroyNexus("n", r),
                new IoEngineCommand.PublishNexus("n", Protocol.NBD, r),
                new IoEngineCommand.PublishNexus("n", Protocol.NVMF, Set.of("nqn.2014-08.org.nvmexpress:uuid:h"), r),
                new IoEngineCommand.UnpublishNexus("n", r),
                new IoEngineCommand.AddChild("n", "bdev:///c", r),
                new IoEngineCommand.RemoveChild("n", "bdev:///c", r),
                new IoEngineCommand.Rebuild("n", "bdev:///c", RebuildAction.PAUSE, r),
                new IoEngineCommand.SetErrorPolicy("n", 32, r),
                new IoEngineCommand.SetRebuildRate("n", 64L << 20, r),
                new IoEngineCommand.InjectFault("n", "bdev:///r", IoEngineCommand.FaultOp.WRITE, 4096, 8192, -1, r),
                new IoEngineCommand.ClearFaults("n", "bdev:///r", r),
                new IoEngineCommand.GetNexusStats("n", r),
                new IoEngineCommand.SubscribeState(sub.ref()));
        assertEveryTypeSampled(IoEngineCommand.class, all);
        for (IoEngineCommand c : all) {
            assertEquals(c, roundTrip(c));
        }
    }

    @Test
    void repliesAndReportsSurviveTheWire() throws Exception {
        PoolInfo pool = new PoolInfo("p", "u", "/dev/sdb", Health.ONLINE, 100, 10, 250);
        ReplicaInfo replica = new ReplicaInfo("r", "p", 10, false, Protocol.NVMF, "nvmf://h/x", Health.DEGRADED);
        NexusInfo nexus = new NexusInfo("n", 10, Health.DEGRADED, Protocol.NVMF, "nvmf://h/n",
                List.of(new ChildInfo("bdev:///r", ChildState.ONLINE, "", -1),
                        new ChildInfo("nvmf://h/x", ChildState.DEGRADED, "rebuilding", 42)), 64, 32L << 20);
        PoolInfo lost = new PoolInfo("q", "v", "nvmf://h:4420/nqn.x", Health.FAULTED, 100, 10, 250,
                "disk unreachable for 5000 ms");
        List<IoEngineReply> replies = List.of(new IoEngineReply.PoolDone(pool), new IoEngineReply.PoolDone(lost),
                new IoEngineReply.ReplicaDone(replica), new IoEngineReply.NexusDone(nexus),
                new IoEngineReply.Removed("r"),
                new IoEngineReply.Stats(new NexusStats("n", 3, 12288, 450, 1L << 40, Long.MAX_VALUE, 7)),
                new IoEngineReply.Failed(IoEngineReply.FailureKind.RESOURCE_EXHAUSTED, "pool p is full"));
        assertEveryTypeSampled(IoEngineReply.class, replies);
        for (IoEngineReply reply : replies) {
            assertEquals(reply, roundTrip(reply));
        }
        ActorRef<IoEngineCommand> dataNode = KIT.<IoEngineCommand>createTestProbe().ref();
        NodeStateReport report = new NodeStateReport("node-a", "i1", "127.0.0.1:4420", dataNode, 7,
                Map.of("zone", "a"), List.of(pool), List.of(replica), List.of(nexus), true);
        assertEquals(report, roundTrip(report));
    }

    /** Each kind has its own explicit wire value, so a new one must round-trip as itself. */
    @Test
    void everyFailureKindSurvivesTheWire() throws Exception {
        for (IoEngineReply.FailureKind k : IoEngineReply.FailureKind.values()) {
            IoEngineReply.Failed f = new IoEngineReply.Failed(k, "because " + k);
            assertEquals(f, roundTrip(f));
        }
    }

    /** A type added to the protocol without a sample here would go untested through the codec. */
    private static void assertEveryTypeSampled(Class<?> sealed, List<?> samples) {
        Set<Class<?>> sampled = new java.util.HashSet<>();
        samples.forEach(x -> sampled.add(x.getClass()));
        assertEquals(Set.of(sealed.getPermittedSubclasses()), sampled, "a sample of every " + sealed.getSimpleName());
    }

    @Test
    void unknownManifestIsRefusedWithItsName() {
        var e = assertThrows(NotSerializableException.class, () -> new IoEngineSerializer(
                (org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(KIT.system())).fromBinary(new byte[0],
                "Z"));
        assertEquals("unknown io-engine manifest 'Z'", e.getMessage());
    }
}
