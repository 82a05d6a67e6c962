package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.replica.ReplicaCommand;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.observed.IoEngineException;
import io.caspian.control.service.Await;
import io.caspian.control.service.Entities;
import io.caspian.events.Protocol;
import io.caspian.events.ioengine.IoEngineProtocol;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import io.caspian.events.ioengine.ReplicaInfo;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The steps on a volume's replicas that user operations and reconcilers share: reach a replica from a nexus's node,
 * take one out of its volume, destroy one. Each writes the journal and asks the io-engine in the order that leaves
 * something the next pass can finish if the control node dies in between.
 */
public final class ReplicaOps {
    private final Entities entities;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final Duration ioTimeout;

    public ReplicaOps(Entities entities, Inventory inventory, IoEngineClient io, Duration ioTimeout) {
        this.entities = entities;
        this.inventory = inventory;
        this.io = io;
        this.ioTimeout = ioTimeout;
    }

    /**
     * How the nexus on {@code nexusNode} reaches replica {@code r}. A remote replica is shared to that node's host
     * NQN only, every time: shared already, the share may still admit the node of an earlier nexus, and sharing
     * again with the new host replaces the list (and disconnects the old node). A local replica that an earlier
     * nexus elsewhere reached over NVMe/TCP is narrowed the same way: opened locally, its share would otherwise
     * still admit that node (a failed-over nexus resumed after SIGSTOP overwrote a block through it).
     */
    public String childUri(ReplicaState r, String nexusNode) {
        if (r.spec().node().equals(nexusNode)) {
            if (r.share() == Protocol.NVMF) {
                await(io.shareReplica(nexusNode, r.id(), Protocol.NVMF, Set.of(IoEngineProtocol.hostNqn(nexusNode))),
                        "narrow the share of replica " + r.id() + " to node " + nexusNode);
            }
            return "bdev:///" + r.id();
        }
        ReplicaInfo shared = await(io.shareReplica(r.spec().node(), r.id(), Protocol.NVMF,
                Set.of(IoEngineProtocol.hostNqn(nexusNode))), "share replica " + r.id() + " to node " + nexusNode);
        if (r.share() != Protocol.NVMF || !r.uri().equals(shared.uri())) {
            entities.replica(r.id(), x -> new ReplicaCommand.Share(Protocol.NVMF, shared.uri(), x));
        }
        return shared.uri();
    }

    /** Takes a replica out of the volume: out of its nexus, off its io-engine, out of the journal. */
    public void drop(VolumeState v, ReplicaState r) {
        if (v.published()) {
            entities.nexus(v.nexus()).ifPresent(n -> {
                Child c = n.children().stream().filter(x -> x.replica().equals(r.id())).findFirst().orElse(null);
                if (c != null) {
                    if (nodeOnline(n.node()) && inventory.nexus(n.node(), n.id()).isPresent()) {
                        ignoreUnavailable(() -> await(io.removeChild(n.node(), n.id(), c.uri()), "remove child"));
                    }
                    entities.nexus(n.id(), x -> new NexusCommand.RemoveChild(c.uri(), x));
                }
            });
        }
        destroy(r);
        entities.volume(v.id(), x -> new VolumeCommand.RemoveReplica(r.id(), x));
    }

    /** Destroys a replica on its io-engine if reachable (the orphan sweep finishes the job otherwise). */
    public void destroy(ReplicaState r) {
        // A pool that is not Online cannot record the change (a failed metadata write faults it until imported):
        // leave the replica there; once the pool is back, the orphan sweep destroys it on this entity's evidence.
        if (inventory.poolOnline(r.spec().node(), r.spec().pool())) {
            ignoreUnavailable(() -> await(io.destroyReplica(r.spec().node(), r.id(), r.spec().pool()),
                    "destroy replica " + r.id()));
        }
        entities.replica(r.id(), ReplicaCommand.Destroy::new);
    }

    /** The volume's replicas that have a live entity, in the volume's order. */
    public List<ReplicaState> states(VolumeState v) {
        return v.replicas().stream().map(entities::replica).flatMap(Optional::stream).toList();
    }

    /** The nodes the volume's replicas are on. */
    public Set<String> nodes(VolumeState v) {
        Set<String> nodes = new HashSet<>();
        states(v).forEach(r -> nodes.add(r.spec().node()));
        return nodes;
    }

    public boolean nodeOnline(String node) {
        return inventory.online(node);
    }

    /** Waits for an io-engine's answer a second longer than the io-engine's own timeout. */
    public <T> T await(CompletionStage<T> stage, String what) {
        return Await.result(stage, ioTimeout.plusSeconds(1), what);
    }

    /** Runs a step whose target may be gone: an io-engine that is unavailable has nothing to undo. */
    public static void ignoreUnavailable(Runnable r) {
        try {
            r.run();
        } catch (IoEngineException e) {
            if (e.kind() != FailureKind.UNAVAILABLE) {
                throw e;
            }
        }
    }
}
