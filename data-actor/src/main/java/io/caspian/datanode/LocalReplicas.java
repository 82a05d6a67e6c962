package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceFactory;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.pool.Replica;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's replicas by uuid: the {@code bdev:///<uuid>} scheme through which a local nexus and
 * the NVMe/TCP target reach them. Users get a view whose {@code close()} leaves the replica open,
 * because the replica belongs to its pool: a nexus dropping a child must not take the replica
 * away from the pool or from another user.
 */
final class LocalReplicas {

  private final Map<String, Replica> byUuid = new ConcurrentHashMap<>();

  void add(Replica r) {
    byUuid.put(r.uuid().toString(), r);
  }

  void remove(String uuid) {
    byUuid.remove(uuid);
  }

  /** A view of the replica for a user that may close it. */
  BlockDevice view(String uuid) throws BdevException {
    Replica r = byUuid.get(uuid);
    if (r == null) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, "bdev:///" + uuid,
          "no replica " + uuid + " on this node");
    }
    return new View(r);
  }

  DeviceFactory factory() {
    return u -> view(u.name());
  }

  /** Delegates everything but close. */
  private static final class View extends ForwardingDevice {
    View(Replica r) {
      super(r);
    }

    @Override
    public void close() {
      // The pool closes the replica when it is destroyed or the pool is exported.
    }
  }
}
