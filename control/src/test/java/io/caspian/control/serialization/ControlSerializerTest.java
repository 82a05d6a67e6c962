package io.caspian.control.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.caspian.control.entity.Lifecycle;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.pool.PoolSpec;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaSpec;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import io.caspian.events.proto.pub.EventEnvelope;
import java.io.NotSerializableException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ControlSerializerTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void tearDown() {
        KIT.shutdownTestKit();
    }

    private static Object roundTrip(Object message) throws NotSerializableException {
        Serialization s = SerializationExtension.get(Adapter.toClassic(KIT.system()));
        var serializer = s.findSerializerFor(message);
        assertInstanceOf(ControlSerializer.class, serializer);
        return s.deserialize(s.serialize(message).get(), serializer.identifier(),
                Serializers.manifestFor(serializer, message)).get();
    }

    @Test
    void everyReplyCrossesJvms() throws Exception {
        List<Reply> replies = List.of(
                Reply.ok(new NodeState("n", Lifecycle.ACTIVE, "h:1", Map.of("zone", "a"), true, false)),
                Reply.ok(new PoolState("p", Lifecycle.DESTROYED, new PoolSpec("n", "/dev/sdb", Map.of()),
                        Health.FAULTED, "disk lost")),
                Reply.ok(new ReplicaState("r", Lifecycle.ACTIVE, new ReplicaSpec("p", "n", 10, true, "v"),
                        Protocol.NVMF, "nvmf://h/r", Health.ONLINE)),
                Reply.ok(new NexusState("x", Lifecycle.ACTIVE, "n", 10, "v",
                        List.of(new Child("bdev:///r", "r", ChildState.DEGRADED, "rebuilding")), Protocol.NBD,
                        "nbd://h/x", Health.DEGRADED)),
                Reply.ok(new NexusState("x", Lifecycle.ACTIVE, "n", 10, "v",
                        List.of(new Child("bdev:///r", "r", ChildState.DEGRADED, "rebuilding")), Protocol.NONE, "",
                        Health.ONLINE, Map.of("node|caspian.io.faults", new BusMark("node", "caspian.io.faults",
                        "node/1", 7, 1234)), Set.of("bdev:///r"), 3)),
                Reply.ok(new VolumeState("v", Lifecycle.ACTIVE, new VolumeSpec(10, 2, false, Map.of(),
                        Map.of("t", "x")), List.of("r"), "", "", Protocol.NONE, "", List.of(), Health.FAULTED,
                        "no replica reachable")),
                Reply.ok(new VolumeState("v", Lifecycle.ACTIVE, new VolumeSpec(10, 2, false, Map.of(), Map.of()),
                        List.of("r"), "v", "n", Protocol.NVMF, "nvmf://h/x", List.of("nqn.2014-08.org.nvmexpress:uuid:a",
                        "nqn.2014-08.org.nvmexpress:uuid:b"), Health.ONLINE, "")));
        for (Reply r : replies) {
            assertEquals(r, roundTrip(r));
        }
        for (Reply.Kind kind : Reply.Kind.values()) {
            Reply r = new Reply.Rejected(kind, "because");
            assertEquals(r, roundTrip(r));
        }
    }

    @Test
    void journaledManifestsAreTheProtobufMessageNames() {
        var serializer = new ControlSerializer(null);
        assertEquals("VolumeEvent", serializer.manifest(new VolumeEvent.VolumeDestroyed()));
        assertEquals("Reply", serializer.manifest(new Reply.Rejected(Reply.Kind.CONFLICT, "x")));
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[0], "Nonsense"));
    }

    @Test
    void publicEnvelopeNamesTheEntityAndEvent() {
        EventEnvelope e = PublicEvents.envelope("Volume|v1", 7, 1234, new VolumeEvent.ReplicaCountChanged(3));
        assertEquals("Volume|v1|7", e.getEventId());
        assertEquals("Volume", e.getEntityType());
        assertEquals("v1", e.getEntityId());
        assertEquals("ReplicaCountChanged", e.getEventType());
        assertEquals(3, e.getVolume().getReplicaCountChanged().getReplicas());
        assertThrows(IllegalArgumentException.class, () -> PublicEvents.envelope("nobar", 1, 1,
                new VolumeEvent.VolumeDestroyed()));
    }
}
