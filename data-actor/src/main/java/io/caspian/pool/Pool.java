package io.caspian.pool;

import static io.caspian.pool.PoolException.Kind.ALREADY_FORMATTED;
import static io.caspian.pool.PoolException.Kind.CLOSED;
import static io.caspian.pool.PoolException.Kind.IO;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoStats;
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
   * Formats {@code disk} as a new, empty pool. Unless {@code overwrite}, refused with
   * ALREADY_FORMATTED, before anything is written, when the disk holds a pool, a known signature
   * (partition table, file system, LVM, swap) or any non-zero byte in the area the format writes.
   */
  public static Pool create(BlockDevice disk, String name, UUID uuid, long clusterSize,
      boolean overwrite) throws PoolException {
    return create(disk, name, uuid, clusterSize, overwrite, Superblock.DEFAULT_LOG_BLOCKS);
  }

  /** As {@link #create(BlockDevice, String, UUID, long, boolean)} with a chosen log length. */
  static Pool create(BlockDevice disk, String name, UUID uuid, long clusterSize,
      boolean overwrite, int logBlocks) throws PoolException {
    String uri = disk.uri();
    requireBlockAlignedBuffers(disk);
    Superblock sb = Superblock.layout(uri, uuid, name, clusterSize, disk.blockSize(), disk.size(),
        logBlocks);
    if (!overwrite) {
      try {
        refuseIfInUse(uri, disk, sb);
      } catch (BdevException e) {
        throw PoolException.of(IO, uri, "cannot read the disk to check it is blank", e);
      }
    }
    ByteBuffer b = DirectMemory.allocate(Superblock.BLOCK);
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

  private static final String OVERWRITE_HINT = "; create the pool with overwrite (REST"
      + " \"overwrite\": true, CLI --overwrite) to format it and lose what it holds";
  private static final int SCAN_CHUNK = 1 << 20;

  /**
   * Refuses a disk that holds anything: a signature at its start or end, or a non-zero byte
   * anywhere the format writes (superblock and metadata area). Only reads.
   */
  private static void refuseIfInUse(String uri, BlockDevice disk, Superblock sb)
      throws PoolException, BdevException {
    long size = disk.size();
    int headLen = (int) Math.min(size, Math.max(DiskSignatures.HEAD, Superblock.BLOCK));
    ByteBuffer head = DirectMemory.allocate(headLen);
    SyncIo.read(disk, 0, head, 0, headLen);
    if (Superblock.hasMagic(head)) {
      String which;
      try {
        Superblock old = Superblock.decode(uri, head, disk.blockSize(), size);
        which = "pool '" + old.name() + "' (" + old.uuid() + ")";
      } catch (PoolException e) {
        which = "a damaged pool superblock";
      }
      throw PoolException.of(ALREADY_FORMATTED, uri, "disk already holds Caspian " + which
          + OVERWRITE_HINT);
    }
    Optional<String> found = DiskSignatures.atStart(head);
    if (found.isEmpty() && size >= 2L * Superblock.BLOCK) {
      ByteBuffer tail = DirectMemory.allocate(Superblock.BLOCK);
      SyncIo.read(disk, size - Superblock.BLOCK, tail, 0, Superblock.BLOCK);
      found = DiskSignatures.atEnd(tail);
    }
    if (found.isPresent()) {
      throw PoolException.of(ALREADY_FORMATTED, uri, "disk holds " + found.get() + OVERWRITE_HINT);
    }
    long end = sb.metadataEnd();
    ByteBuffer chunk = DirectMemory.allocate(SCAN_CHUNK);
    for (long at = 0; at < end; at += SCAN_CHUNK) {
      int n = (int) Math.min(SCAN_CHUNK, end - at);
      SyncIo.read(disk, at, chunk, 0, n);
      for (int i = 0; i < n; i += 8) {
        if (chunk.getLong(i) != 0) {
          long off = at + i;
          while (chunk.get((int) (off - at)) == 0) {
            off++;
          }
          throw PoolException.of(ALREADY_FORMATTED, uri, "disk holds data where the pool format"
              + " writes (non-zero byte at offset " + off + " of the first " + end + " bytes)"
              + OVERWRITE_HINT);
        }
      }
    }
  }

  /**
   * A replica splits an I/O that crosses clusters into pieces that start at block multiples of the
   * caller's buffer, so its disk must take buffers aligned to no more than one block.
   */
  private static void requireBlockAlignedBuffers(BlockDevice disk) throws PoolException {
    if (disk.bufferAlignment() > disk.blockSize()) {
      throw PoolException.of(PoolException.Kind.INVALID, disk.uri(), "the disk needs buffers aligned to "
          + disk.bufferAlignment() + " bytes, more than its " + disk.blockSize() + "-byte block");
    }
  }

  /**
   * Opens the pool on {@code disk} from the disk alone, with all its replicas. Reads only: a disk
   * that is not a pool, or whose superblock or metadata is damaged, fails with NOT_A_POOL or
   * CORRUPT and is left exactly as it was.
   */
  public static Pool importFrom(BlockDevice disk) throws PoolException {
    String uri = disk.uri();
    requireBlockAlignedBuffers(disk);
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

  /**
   * Registers the one watcher told, as it happens, when the disk becomes unreachable, fails or
   * returns, and when a metadata write fails (after which the pool refuses metadata changes
   * until it is imported again).
   */
  public void watch(PoolWatcher w) {
    writer.watch(w);
    disk.watch(w);
  }

  /** Why the pool refuses metadata changes (a metadata write failed), if it does. */
  public Optional<String> metadataFailure() {
    BdevException f = writer.failure();
    return f == null ? Optional.empty() : Optional.of(f.getMessage());
  }

  /**
   * Reads the superblock and the metadata back from the disk and checks them against this
   * pool: how a pool whose disk went away learns that the disk that came back is its own and
   * intact. Reads only; blocks, so never on an I/O thread.
   */
  public void verify() throws PoolException {
    ByteBuffer b = DirectMemory.allocate(Superblock.BLOCK);
    try {
      SyncIo.read(disk, 0, b, 0, Superblock.BLOCK);
    } catch (BdevException e) {
      throw PoolException.of(IO, disk.uri(), "cannot read the pool superblock back", e);
    }
    Superblock now = Superblock.decode(disk.uri(), b, disk.blockSize(), disk.size());
    if (!now.equals(sb)) {
      throw PoolException.of(PoolException.Kind.CORRUPT, disk.uri(), "the disk now holds "
          + now.name() + " (" + now.uuid() + "), not this pool's superblock");
    }
    MetaStore.load(disk, sb);
  }

  public PoolStats stats() {
    return writer.stats();
  }

  /**
   * The reads and writes its replicas served since the pool was opened, those of replicas
   * destroyed since included (Mayastor's diskpool_* I/O figures); metadata I/O is not counted.
   */
  public IoStats ioStats() {
    return writer.ioStats();
  }

  /**
   * Turns the counting of its replicas' reads and writes on or off (on when opened); off, an I/O
   * costs nothing for the metrics and the counts stand still.
   */
  public void countIo(boolean on) {
    writer.countIo = on;
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
