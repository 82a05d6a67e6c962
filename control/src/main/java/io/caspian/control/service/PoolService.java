package io.caspian.control.service;

import io.caspian.control.entity.Reply;
import io.caspian.control.entity.pool.PoolCommand;
import io.caspian.control.entity.pool.PoolSpec;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineClient;
import io.caspian.control.readmodel.ReadModel;
import io.caspian.events.Health;
import io.caspian.events.ioengine.PoolInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Pool operations: the entity records the user's intent, the io-engine makes or removes the pool. */
public final class PoolService {
    private static final Logger LOG = LoggerFactory.getLogger(PoolService.class);

    private final Entities entities;
    private final ReadModel model;
    private final Inventory inventory;
    private final IoEngineClient io;
    private final Duration ioTimeout;

    public PoolService(Entities entities, ReadModel model, Inventory inventory, IoEngineClient io,
                       Duration ioTimeout) {
        this.entities = entities;
        this.model = model;
        this.inventory = inventory;
        this.io = io;
        this.ioTimeout = ioTimeout;
    }

    /**
     * Creates a pool on a node. {@code overwrite} (the user's explicit say-so) lets the io-engine format a disk that
     * holds data; it is not part of the pool's spec, so no later re-creation ever overwrites.
     */
    public synchronized PoolState create(String node, String pool, List<String> disks, Map<String, String> labels,
            boolean overwrite) {
        if (disks == null || disks.size() != 1 || disks.get(0) == null || disks.get(0).isBlank()) {
            throw new ControlException(Reply.Kind.INVALID, "pool '" + pool + "' needs exactly one disk URI in "
                    + "\"disks\", got " + disks);
        }
        if (inventory.node(node).isEmpty()) {
            throw new ControlException(Reply.Kind.NOT_FOUND, "node '" + node + "' does not exist");
        }
        PoolSpec spec = new PoolSpec(node, disks.get(0), labels == null ? Map.of() : labels);
        boolean existed = entities.pool(pool).isPresent();
        PoolState state = entities.pool(pool, r -> new PoolCommand.Create(spec, r));
        inventory.poolSpec(pool, spec);
        PoolInfo info;
        try {
            info = Await.result(io.createPool(node, pool, UUID.nameUUIDFromBytes(pool.getBytes()).toString(),
                    spec.disk(), overwrite), ioTimeout.plusSeconds(1), "create pool " + pool);
        } catch (RuntimeException e) {
            if (!existed) {
                // The io-engine could not make it: forget the intent, so the user can fix the request and retry.
                entities.pool(pool, PoolCommand.Destroy::new);
                inventory.poolSpec(pool, null);
            }
            throw e;
        }
        return state.status() == info.status() && state.reason().equals(info.reason()) ? state
                : entities.pool(pool, r -> new PoolCommand.SetStatus(info.status(), info.reason(), r));
    }

    public synchronized PoolState destroy(String node, String pool) {
        PoolState state = entities.pool(pool).orElseThrow(() ->
                new ControlException(Reply.Kind.NOT_FOUND, "pool '" + pool + "' does not exist"));
        if (!state.spec().node().equals(node)) {
            throw new ControlException(Reply.Kind.NOT_FOUND, "pool '" + pool + "' is on node '"
                    + state.spec().node() + "', not on '" + node + "'");
        }
        // Count what the journal says lives there, as `get replicas` lists them (the read model, caught up with
        // every replica journaled before this call); a replica the io-engine still holds without an entity is an
        // orphan and goes with the pool.
        List<String> replicas = model.replicasInPool(pool);
        if (!replicas.isEmpty()) {
            throw new ControlException(Reply.Kind.CONFLICT, "pool '" + pool + "' still holds " + replicas.size()
                    + " replica(s) " + replicas + "; destroy or move their volumes first");
        }
        Await.result(io.destroyPool(node, pool), ioTimeout.plusSeconds(1), "destroy pool " + pool);
        inventory.poolSpec(pool, null);
        return entities.pool(pool, PoolCommand.Destroy::new);
    }

    /**
     * Brings one pool closer to its entity: asks its io-engine to create or import it when an Online node does not
     * list it, and journals its status and reason as observed. Serialized with {@link #create} and {@link #destroy}
     * (and reading the entity afresh under that lock), so that a sweep that listed a pool just before the user
     * deleted it cannot bring it back.
     */
    public synchronized void reconcile(String id) {
        Optional<PoolState> found = entities.pool(id);
        if (found.isEmpty()) {
            return;
        }
        PoolState pool = found.get();
        inventory.poolSpec(id, pool.spec());
        boolean online = inventory.online(pool.spec().node());
        Optional<PoolInfo> observed = inventory.pool(pool.spec().node(), id);
        if (online && observed.isEmpty()) {
            // Same name, uuid and disk: the io-engine imports the pool if the disk already holds it.
            LOG.info("pool {} is missing from node {}; asking its io-engine to create or import it", id,
                    pool.spec().node());
            Await.result(io.createPool(pool.spec().node(), id, UUID.nameUUIDFromBytes(id.getBytes()).toString(),
                    pool.spec().disk()), ioTimeout.plusSeconds(1), "create pool " + id);
        }
        Health status = online ? observed.map(PoolInfo::status).orElse(Health.UNKNOWN) : Health.UNKNOWN;
        String reason = !online ? "node " + pool.spec().node() + " is " + inventory.describe(pool.spec().node())
                : observed.map(PoolInfo::reason).orElse("not reported by its io-engine yet");
        if (status != pool.status() || !reason.equals(pool.reason())) {
            entities.pool(id, r -> new PoolCommand.SetStatus(status, reason, r));
        }
    }
}
