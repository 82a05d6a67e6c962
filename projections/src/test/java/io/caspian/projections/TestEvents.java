package io.caspian.projections;

import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.replica.ReplicaSpec;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.control.entity.volume.VolumeSpec;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.testkit.javadsl.TestSourceProvider;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.projection.eventsourced.EventEnvelope;

/** A volume's story as journal envelopes: created, replicas placed, published, a child faulted and rebuilt. */
final class TestEvents {
    private TestEvents() {
    }

    /** Starts after the stored offset, as eventsByTag does. */
    static TestSourceProvider<Offset, EventEnvelope<Object>> source(List<EventEnvelope<Object>> events) {
        return TestSourceProvider.<Offset, EventEnvelope<Object>>create(Source.from(events), EventEnvelope::offset)
                .withStartSourceFrom((stored, offset) -> ((Sequence) offset).value() <= ((Sequence) stored).value());
    }

    static List<EventEnvelope<Object>> volumeStory() {
        List<Object[]> events = List.of(
                new Object[] {"Node|node-a", 1L, new NodeEvent.NodeRegistered("127.0.0.1:1", Map.of())},
                new Object[] {"Volume|vol-1", 1L, new VolumeEvent.VolumeCreated(new VolumeSpec(1 << 20, 2, false,
                        Map.of(), Map.of()))},
                new Object[] {"Replica|rep-1", 1L, new ReplicaEvent.ReplicaCreated(new ReplicaSpec("pool-a",
                        "node-a", 1 << 20, false, "vol-1"))},
                new Object[] {"Replica|rep-2", 1L, new ReplicaEvent.ReplicaCreated(new ReplicaSpec("pool-b",
                        "node-b", 1 << 20, false, "vol-1"))},
                new Object[] {"Nexus|nex-1", 1L, new NexusEvent.NexusCreated(new NexusSpec("node-a", 1 << 20,
                        "vol-1", List.of(new Child("bdev:///rep-1", "rep-1", ChildState.ONLINE, ""),
                        new Child("nvmf://node-b/rep-2", "rep-2", ChildState.ONLINE, ""))))},
                new Object[] {"Volume|vol-1", 2L, new VolumeEvent.VolumePublished("nex-1", "node-a", Protocol.NVMF,
                        "nvmf://node-a/nex-1", List.of("nqn.2019-05.io.caspian:node:node-c"))},
                new Object[] {"Nexus|nex-1", 2L, new NexusEvent.ChildFaulted("nvmf://node-b/rep-2", "I/O error", BusMark.NONE)},
                new Object[] {"Nexus|nex-1", 3L, new NexusEvent.NexusStatusChanged(Health.DEGRADED)},
                new Object[] {"Replica|rep-2", 2L, new ReplicaEvent.ReplicaStatusChanged(Health.FAULTED)},
                new Object[] {"Volume|vol-1", 3L, new VolumeEvent.VolumeStatusChanged(Health.DEGRADED, "one replica short")},
                new Object[] {"Nexus|nex-1", 4L, new NexusEvent.ChildDegraded("nvmf://node-b/rep-2", "rebuild", BusMark.NONE)},
                new Object[] {"Nexus|nex-1", 5L, new NexusEvent.ChildOnline("nvmf://node-b/rep-2",
                        new BusMark("node-a", "caspian.nexus.events", "inc-7", 12, 1_700_000_000_000L))});
        List<EventEnvelope<Object>> out = new ArrayList<>();
        long ordering = 0;
        for (Object[] e : events) {
            ordering++;
            out.add(EventEnvelope.create(Offset.sequence(ordering), (String) e[0], (Long) e[1], e[2],
                    1_700_000_000_000L + ordering * 1000));
        }
        return out;
    }
}
