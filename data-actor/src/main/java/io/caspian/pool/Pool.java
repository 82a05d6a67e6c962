package io.caspian.pool;

import static io.caspian.pool.PoolException.Kind.ALREADY_FORMATTED;
import static io.caspian.pool.PoolException.Kind.CLOSED;
import static io.caspian.pool.PoolException.Kind.IO;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.SyncIo;
import io.caspian.pool.MetaCommand.Abandon;
import io.caspian.pool.MetaCommand.CreateReplica;
import io.caspian.pool.MetaCommand.DestroyReplica;
import io.caspian.pool.MetaCommand.PlanCreate;
import io.caspian.pool.MetaCommand.PlanResize;
import io.caspian.pool.MetaCommand.ResizeReplica;
import io.caspian.pool.MetaCommand.Stop;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A storage pool: one disk formatted with the Caspian pool format, holding replicas.
 *
 * <p>Control operations are synchronous and return once the change is durable on the disk; call
 * them from a thread that may block (never an I/O event loop). Once {@link #create} or {@link
 * #importFrom} succeeds the pool owns the disk and {@link #export()} or {@link #destroy()} close
 * it; when they fail the caller keeps it.
 */
public final class Pool {

  public static final long DEFAULT_CLUSTER_SIZE = 4L << 20;

  private final BlockDevice disk;
  private final Superblock sb;
  private final MetaWriter writer;
  private volatile boolean closed;

  private Pool(BlockDevice disk, Superblock sb, MetaStore store, PoolState state) {
    this.disk = disk;
    this.sb = sb;
    this.writer = new MetaWriter(disk, sb, store, state);
  }

  /**
   * Formats {@code disk} as a new, empty pool. Refused with ALREADY_FORMATTED when the
   * superblock area (the first 4 KiB) holds a pool or any non-zero byte, unless {@code overwrite}.
   */
  public static Pool create(BlockDevice disk, String name, UUID uuid, long clusterSize,
      boolean overwrite) throws PoolException {
    return create(disk, name, uuid, clusterSize, overwrite, Superblock.DEFAULT_LOG_BLOCKS);
  }

  /** As {@link #create(BlockDevice, String, UUID, long, boolean)} with a chosen log length. */
  static Pool create(BlockDevice disk, String name, UUID uuid, long clusterSize,
      boolean overwrite, int logBlocks) throws PoolException {
    String uri = disk.uri();
    Superblock sb = Superblock.layout(uri, uuid, name, clusterSize, disk.blockSize(), disk.size(),
        logBlocks);
    ByteBuffer b = DirectMemory.allocate(Superblock.BLOCK);
    try {
      SyncIo.read(disk, 0, b, 0, Superblock.BLOCK);
    } catch (BdevException e) {
      throw PoolException.of(IO, uri, "cannot read the superblock area", e);
    }
    if (!overwrite) {
      refuseIfInUse(uri, b, disk);
    }
    try {
      // Zero the old superblock first: a crash part way leaves no pool rather than an old
      // superblock over half-new metadata.
      if (overwrite) {
        SyncIo.writeZeroes(disk, 0, Superblock.BLOCK);
        SyncIo.flush(disk);
      }
      SyncIo.writeZeroes(disk, Superblock.BLOCK, sb.metadataEnd() - Superblock.BLOCK);
      MetaStore store = MetaStore.format(disk, sb);
      sb.encode(b);
      SyncIo.write(disk, 0, b, 0, Superblock.BLOCK);
      SyncIo.flush(disk);
      return new Pool(disk, sb, store, new PoolState(sb));
    } catch (BdevException e) {
      throw PoolException.of(IO, uri, "formatting pool '" + name + "' failed", e);
    }
  }

  private static void refuseIfInUse(String uri, ByteBuffer b, BlockDevice disk)
      throws PoolException {
    if (Superblock.hasMagic(b)) {
      String which;
      try {
        Superblock old = Superblock.decode(uri, b, disk.blockSize(), disk.size());
        which = "pool '" + old.name() + "' (" + old.uuid() + ")";
      } catch (PoolException e) {
        which = "a damaged pool superblock";
      }
      throw PoolException.of(ALREADY_FORMATTED, uri, "disk already holds Caspian " + which
          + "; create with overwrite to replace it");
    }
    for (int i = 0; i < Superblock.BLOCK; i++) {
      if (b.get(i) != 0) {
        throw PoolException.of(ALREADY_FORMATTED, uri, "disk holds data where the pool superblock"
            + " goes (non-zero byte at offset " + i + "); create with overwrite to format it");
      }
    }
  }

  /**
   * Opens the pool on {@code disk} from the disk alone, with all its replicas. Reads only: a disk
   * that is not a pool, or whose superblock or metadata is damaged, fails with NOT_A_POOL or
   * CORRUPT and is left exactly as it was.
   */
  public static Pool importFrom(BlockDevice disk) throws PoolException {
    String uri = disk.uri();
    if (disk.size() < Superblock.BLOCK) {
      throw PoolException.of(PoolException.Kind.NOT_A_POOL, uri, "disk of " + disk.size()
          + " bytes is too small to hold a pool");
    }
    ByteBuffer b = DirectMemory.allocate(Superblock.BLOCK);
    try {
      SyncIo.read(disk, 0, b, 0, Superblock.BLOCK);
    } catch (BdevException e) {
      throw PoolException.of(IO, uri, "cannot read the pool superblock", e);
    }
    Superblock sb = Superblock.decode(uri, b, disk.blockSize(), disk.size());
    MetaStore.Loaded loaded = MetaStore.load(disk, sb);
    return new Pool(disk, sb, loaded.store(), loaded.state());
  }

  public String name() {
    return sb.name();
  }

  public UUID uuid() {
    return sb.uuid();
  }

  public String diskUri() {
    return disk.uri();
  }

  public long clusterSize() {
    return sb.clusterSize();
  }

  /** The layout, for tests that damage metadata on purpose. */
  Superblock superblock() {
    return sb;
  }

  /** Metadata changes queued behind the one being written (tests use it to line up races). */
  int queuedChanges() {
    return writer.queued();
  }

  public PoolStats stats() {
    return writer.stats();
  }

  /** The replicas, by name. */
  public List<Replica> replicas() {
    List<Replica> out = new ArrayList<>(writer.replicas());
    out.sort(Comparator.comparing(Replica::name));
    return out;
  }

  public Optional<Replica> replica(UUID uuid) {
    return Optional.ofNullable(writer.replica(uuid));
  }

  /**
   * Creates a replica of {@code size} bytes (a multiple of the disk block size). A thick replica
   * gets all its clusters now, zeroed on the calling thread (NO_SPACE when they are not free); a
   * thin one on first write. Creating an existing uuid with the same name, size and kind returns
   * it; a different spec, or a name another replica has, is a CONFLICT; the 1025th replica is
   * TOO_MANY_REPLICAS.
   */
  public Replica createReplica(UUID uuid, String name, long size, boolean thin)
      throws PoolException {
    CompletableFuture<Replica> f = new CompletableFuture<>();
    if (thin) {
      return call(new CreateReplica(uuid, name, size, true, null, f), f);
    }
    CompletableFuture<Plan> planned = new CompletableFuture<>();
    Plan plan = call(new PlanCreate(uuid, name, size, planned), planned);
    if (plan.existing() != null) {
      return plan.existing();
    }
    zero(plan);
    return call(new CreateReplica(uuid, name, size, false, plan, f), f);
  }

  /** Destroys a replica: its I/O fails with CLOSED from now on and its clusters are freed. */
  public void destroyReplica(UUID uuid) throws PoolException {
    CompletableFuture<Void> f = new CompletableFuture<>();
    call(new DestroyReplica(uuid, f), f);
  }

  /**
   * Grows or shrinks a replica. Growing a thick replica allocates and zeroes the new clusters;
   * shrinking frees the clusters past the new end.
   */
  public void resizeReplica(UUID uuid, long size) throws PoolException {
    CompletableFuture<Plan> planned = new CompletableFuture<>();
    Plan plan = call(new PlanResize(uuid, size, planned), planned);
    if (plan == Plan.DONE) {
      return;
    }
    zero(plan);
    CompletableFuture<Void> f = new CompletableFuture<>();
    call(new ResizeReplica(uuid, size, plan, f), f);
  }

  /**
   * Zeroes what a plan sets aside, on the caller's thread, and flushes, so the zeroes are durable
   * before the record that commits the plan.
   */
  private void zero(Plan plan) throws PoolException {
    try {
      Zeroing.zeroAndFlush(disk, plan.zero());
    } catch (BdevException e) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      writer.submit(new Abandon(plan, f));
      f.join();
      throw PoolException.of(IO, disk.uri(), "zeroing space for replica " + plan.uuid()
          + " failed", e);
    }
  }

  /** Closes the replicas and the disk, leaving the pool on the disk for a later import. */
  public void export() throws PoolException {
    shutDown();
    disk.close();
  }

  /**
   * Destroys the pool with all its replicas: zeroes the superblock, so the disk is no longer a
   * pool, then the metadata area, and closes the disk. Replica data is left on the disk.
   */
  public void destroy() throws PoolException {
    shutDown();
    try {
      SyncIo.writeZeroes(disk, 0, Superblock.BLOCK);
      SyncIo.flush(disk);
      SyncIo.writeZeroes(disk, Superblock.BLOCK, sb.metadataEnd() - Superblock.BLOCK);
      SyncIo.flush(disk);
    } catch (BdevException e) {
      throw PoolException.of(IO, disk.uri(), "wiping pool '" + sb.name() + "' failed", e);
    } finally {
      disk.close();
    }
  }

  private void shutDown() throws PoolException {
    synchronized (this) {
      if (closed) {
        throw PoolException.of(CLOSED, disk.uri(), "pool '" + sb.name() + "' is already closed");
      }
      closed = true;
    }
    for (Replica r : writer.replicas()) {
      r.close();
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    writer.submit(new Stop(f));
    f.join();
    writer.join();
  }

  private <T> T call(MetaCommand c, CompletableFuture<T> f) throws PoolException {
    if (closed) {
      throw PoolException.of(CLOSED, disk.uri(), "pool '" + sb.name() + "' is exported");
    }
    writer.submit(c);
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw PoolException.of(IO, disk.uri(), "interrupted waiting for a metadata change; it may"
          + " still happen", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof PoolException p) {
        throw PoolException.rethrown(p);
      }
      throw PoolException.of(IO, disk.uri(), "metadata writer failed", e.getCause());
    }
  }

  @Override
  public String toString() {
    return "Pool['" + sb.name() + "' " + sb.uuid() + " on " + disk.uri() + "]";
  }
}
