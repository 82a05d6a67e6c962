package io.caspian.control.service;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.node.NodeCommand;
import io.caspian.control.entity.node.NodeEntity;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.pool.PoolCommand;
import io.caspian.control.entity.pool.PoolEntity;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaCommand;
import io.caspian.control.entity.replica.ReplicaEntity;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeEntity;
import io.caspian.control.entity.volume.VolumeState;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Blocking access to the sharded entities: send a command, get the state or a {@link ControlException} carrying
 * the rejection. Listings read the read model ({@link io.caspian.control.readmodel.ReadModel}), not these.
 */
public final class Entities {
    /** Where an entity is reached: through sharding in a control plane, spawned locally in a reconciler's tests. */
    public interface Refs {
        <C> RecipientRef<C> ref(EntityTypeKey<C> key, String id);
    }

    private final Refs refs;
    private final Scheduler scheduler;
    private final Duration timeout;

    public Entities(ActorSystem<?> system, Duration timeout) {
        this(system, shardedOn(ClusterSharding.get(system)), timeout);
    }

    public Entities(ActorSystem<?> system, Refs refs, Duration timeout) {
        this.refs = refs;
        this.scheduler = system.scheduler();
        this.timeout = timeout;
    }

    private static Refs shardedOn(ClusterSharding sharding) {
        return new Refs() {
            @Override
            public <C> RecipientRef<C> ref(EntityTypeKey<C> key, String id) {
                return sharding.entityRefFor(key, id);
            }
        };
    }

    public VolumeState volume(String id, Function<ActorRef<Reply>, VolumeCommand> command) {
        return ask(VolumeEntity.TYPE_KEY, id, command, VolumeState.class);
    }

    public NodeState node(String id, Function<ActorRef<Reply>, NodeCommand> command) {
        return ask(NodeEntity.TYPE_KEY, id, command, NodeState.class);
    }

    public PoolState pool(String id, Function<ActorRef<Reply>, PoolCommand> command) {
        return ask(PoolEntity.TYPE_KEY, id, command, PoolState.class);
    }

    public ReplicaState replica(String id, Function<ActorRef<Reply>, ReplicaCommand> command) {
        return ask(ReplicaEntity.TYPE_KEY, id, command, ReplicaState.class);
    }

    public NexusState nexus(String id, Function<ActorRef<Reply>, NexusCommand> command) {
        return ask(NexusEntity.TYPE_KEY, id, command, NexusState.class);
    }

    /** The state if the entity is active; empty if it does not exist or was destroyed. */
    public Optional<VolumeState> volume(String id) {
        return found(() -> volume(id, VolumeCommand.Get::new));
    }

    public Optional<NodeState> node(String id) {
        return found(() -> node(id, NodeCommand.Get::new));
    }

    public Optional<PoolState> pool(String id) {
        return found(() -> pool(id, PoolCommand.Get::new));
    }

    public Optional<ReplicaState> replica(String id) {
        return found(() -> replica(id, ReplicaCommand.Get::new));
    }

    public Optional<NexusState> nexus(String id) {
        return found(() -> nexus(id, NexusCommand.Get::new)).filter(EntityState::active);
    }

    private static <S> Optional<S> found(java.util.function.Supplier<S> get) {
        try {
            return Optional.of(get.get());
        } catch (ControlException e) {
            if (e.kind() == Reply.Kind.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private <C, S extends EntityState> S ask(EntityTypeKey<C> key, String id,
                                              Function<ActorRef<Reply>, C> command, Class<S> type) {
        Reply reply = Await.result(AskPattern.ask(refs.ref(key, id), command::apply, timeout, scheduler), timeout,
                key.name() + " '" + id + "'");
        if (reply instanceof Reply.Rejected r) {
            throw new ControlException(r.kind(), r.message());
        }
        return type.cast(((Reply.Ok) reply).state());
    }
}
