package io.caspian.control.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.control.entity.EntityTestKits;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class HealthyVolumesTest {
    private static final ActorTestKit KIT = EntityTestKits.system();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    /** A published 3-replica volume on node-1..3, reconciled once so that its record says Online. */
    private static String healthy(Fixture f) {
        String volume = f.publishedOnThreeNodes();
        assertEquals(Health.ONLINE, f.volumeReconciler().reconcile(volume).orElseThrow().status());
        return volume;
    }

    private static Set<String> judged(Fixture f, String volume, Projected projected) {
        return new HealthyVolumes(f.inventory, projected).of(List.of(volume));
    }

    @Test
    void aVolumeOnlineByItsRecordAndEveryReportIsLeftAlone() {
        Fixture f = new Fixture(KIT);
        String volume = healthy(f);
        assertEquals(Set.of(volume), judged(f, volume, f.projected(Set.of())));
    }

    @Test
    void anyDoubtSendsTheVolumeThroughTheFullPass() {
        Map<String, BiConsumer<Fixture, String>> doubts = new LinkedHashMap<>();
        doubts.put("a replica missing from its node's report", (f, v) -> {
            f.at("node-3").replicas.clear();
            f.report("node-3");
        });
        doubts.put("a replica reported Degraded", (f, v) -> {
            f.at("node-2").replicas.replaceAll(r -> new io.caspian.events.ioengine.ReplicaInfo(r.uuid(), r.pool(),
                    r.size(), r.thin(), r.share(), r.uri(), Health.DEGRADED));
            f.report("node-2");
        });
        doubts.put("a replica's node offline", (f, v) -> f.offline("node-2"));
        doubts.put("the nexus's node offline", (f, v) -> f.offline("node-1"));
        doubts.put("a child being rebuilt", (f, v) -> {
            f.at("node-1").nexuses.replaceAll(n -> withChildren(n, c -> new ChildInfo(c.uri(), c.state(), "", 10)));
            f.report("node-1");
        });
        doubts.put("a child reported Faulted", (f, v) -> {
            f.at("node-1").nexuses.replaceAll(n -> withChildren(n,
                    c -> new ChildInfo(c.uri(), ChildState.FAULTED, "io errors", -1)));
            f.report("node-1");
        });
        doubts.put("the nexus not running", (f, v) -> {
            f.at("node-1").nexuses.clear();
            f.report("node-1");
        });
        for (var doubt : doubts.entrySet()) {
            Fixture f = new Fixture(KIT);
            String volume = healthy(f);
            doubt.getValue().accept(f, volume);
            assertEquals(Set.of(), judged(f, volume, f.projected(Set.of())), doubt.getKey());
        }
    }

    @Test
    void aVolumeTheReadModelHasNotProjectedIsNotJudged() {
        Fixture f = new Fixture(KIT);
        String volume = healthy(f);
        assertEquals(Set.of(), judged(f, volume, Fixture.NOTHING_PROJECTED));
    }

    @Test
    void aPageThatWrappedAroundIsTwoRuns() {
        assertEquals(List.of(List.of("c", "d"), List.of("a", "b")), HealthyVolumes.runs(List.of("c", "d", "a", "b")));
        assertEquals(List.of(List.of("a", "b")), HealthyVolumes.runs(List.of("a", "b")));
        assertEquals(List.of(), HealthyVolumes.runs(List.of()));
    }

    private static NexusInfo withChildren(NexusInfo n, java.util.function.UnaryOperator<ChildInfo> change) {
        return new NexusInfo(n.uuid(), n.size(), n.status(), n.protocol(), n.deviceUri(),
                n.children().stream().map(change).toList(), n.errorThreshold(), n.rebuildBytesPerSecond());
    }
}
