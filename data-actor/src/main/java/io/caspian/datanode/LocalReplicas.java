package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceFactory;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import io.caspian.pool.Replica;
import java.nio.ByteBuffer;
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
  private static final class View implements BlockDevice {
    private final Replica r;

    View(Replica r) {
      this.r = r;
    }

    @Override
    public String uri() {
      return r.uri();
    }

    @Override
    public int blockSize() {
      return r.blockSize();
    }

    @Override
    public long blockCount() {
      return r.blockCount();
    }

    @Override
    public int bufferAlignment() {
      return r.bufferAlignment();
    }

    @Override
    public boolean supports(IoType type) {
      return r.supports(type);
    }

    @Override
    public boolean mayHoldData(long offset, long length) {
      return r.mayHoldData(offset, length);
    }

    @Override
    public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
      r.read(offset, buf, bufOffset, length, done);
    }

    @Override
    public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
      r.write(offset, buf, bufOffset, length, done);
    }

    @Override
    public void flush(IoCompletion done) {
      r.flush(done);
    }

    @Override
    public void unmap(long offset, long length, IoCompletion done) {
      r.unmap(offset, length, done);
    }

    @Override
    public void writeZeroes(long offset, long length, IoCompletion done) {
      r.writeZeroes(offset, length, done);
    }

    @Override
    public void close() {
      // The pool closes the replica when it is destroyed or the pool is exported.
    }
  }
}
