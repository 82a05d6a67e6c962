package io.caspian.nvmf.host;

import static io.caspian.nvmf.Nvme.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceFactory;
import io.caspian.bdev.DeviceWatcher;
import io.caspian.bdev.DeviceUri;
import io.caspian.bdev.IoChecks;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import io.caspian.nvmf.ConnectData;
import io.caspian.nvmf.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A remote NVMe namespace over NVMe/TCP as a {@link BlockDevice}: {@code
 * nvmf://host:port/nqn?io_queues=2&queue_depth=32} (see {@link HostOptions}).
 *
 * <p>I/O goes round-robin over the I/O queues; a queue has {@code queue_depth} I/Os on the wire
 * and holds up to {@value HostQueue#MAX_REQUESTS} in all (the rest wait their turn), and an I/O
 * that finds every queue full completes with {@link BdevException.Kind#QUEUE_FULL}. I/Os larger
 * than the controller's transfer limit are sent as consecutive commands.
 *
 * <p>Failures: an I/O not done within {@code io_timeout_ms} completes with {@link
 * BdevException.Kind#TIMED_OUT}, and its connection is reset so a late answer cannot reach a
 * reused command id. When any connection drops, the whole association (admin and I/O queues) is
 * re-established with backoff; I/Os in flight at the drop, and I/Os submitted meanwhile, are
 * kept and (re)sent once reconnected, unless their timeout passes first. Resending a write is
 * safe because a block write is idempotent and its caller has not been told it completed.
 *
 * <p>A reconnect the target's host refuses (no listener: the target's process is gone) or cannot
 * route to is positive evidence that waiting is useless: every I/O held then fails at once with
 * {@link BdevException.Kind#IO_ERROR}, and so does every I/O submitted until an association is
 * up again, like the Linux host's {@code fast_io_fail_tmo}. A nexus then faults the child within
 * one reconnect attempt instead of stalling its writes for the whole I/O timeout. A connect that
 * merely times out (a hung or unreachable host) proves nothing, and I/Os keep waiting for it.
 *
 * <p>Reservations: {@link #register}, {@link #acquire}, {@link #preempt}, {@link #release} and
 * {@link #reservationReport} send the NVMe reservation commands on the first I/O queue, keyed by
 * this host's identifier ({@code hostid=}); {@link #fence} combines them for a nexus generation.
 * A write refused with Reservation Conflict completes with {@link
 * BdevException.Kind#RESERVATION_CONFLICT} at once and is not resent: another host holds the
 * namespace, and that will not change by waiting.
 */
public final class NvmfDevice implements BlockDevice, io.caspian.bdev.Fenceable {

  private static final System.Logger LOG = System.getLogger(NvmfDevice.class.getName());
  private static final int ADMIN_DEPTH = 32;
  private static final long MAX_BACKOFF_MS = 2000;

  private static final class Loops {
    static final EventLoopGroup GROUP = Transport.group(0, "nvmf-host");
  }

  private final HostOptions opts;
  private final HostQueue admin;
  private final HostQueue[] io;
  private final ExecutorService control;
  private final AtomicInteger next = new AtomicInteger();
  /** True while no association is up; connection losses then start no new reconnect. */
  private final AtomicBoolean reconnecting = new AtomicBoolean(true);
  /** The last reconnect was refused: I/Os fail at once rather than wait for a target not there. */
  private volatile boolean refused;
  /**
   * What a refused reconnect fails I/Os with: {@link BdevException.Kind#RESERVATION_CONFLICT} when
   * the subsystem no longer admits this host (see {@link HostNotAllowed}), else IO_ERROR.
   */
  private volatile BdevException.Kind refusedKind = BdevException.Kind.IO_ERROR;
  private ScheduledFuture<?> keepAlive;
  private volatile boolean closed;
  private volatile DeviceWatcher watcher;
  /** Guards the health fields below and orders the watcher's calls. */
  private final Object health = new Object();
  private boolean lost;
  private long lostAt;
  private String lastError = "";
  private ScheduledFuture<?> faultTimer;
  private volatile Identity.Controller controller;
  private int blockSize;
  private long blockCount;
  private long connects;

  private NvmfDevice(HostOptions opts) {
    this.opts = opts;
    this.admin = new HostQueue(this, 0, Loops.GROUP.next(), ADMIN_DEPTH);
    this.io = new HostQueue[opts.ioQueues()];
    for (int i = 0; i < io.length; i++) {
      io[i] = new HostQueue(this, i + 1, Loops.GROUP.next(), opts.queueDepth());
    }
    this.control = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "nvmf-host-control " + opts.subNqn());
      t.setDaemon(true);
      return t;
    });
  }

  /** Opens {@code nvmf://host:port/nqn?...}: connects, identifies namespace 1, opens I/O queues. */
  public static NvmfDevice open(String uri) throws BdevException {
    return open(HostOptions.parse(DeviceUri.parse(uri)));
  }

  public static NvmfDevice open(HostOptions opts) throws BdevException {
    NvmfDevice d = new NvmfDevice(opts);
    try {
      d.associate();
    } catch (Exception e) {
      d.close();
      throw BdevException.of(BdevException.Kind.CANT_OPEN, opts.uri(), reason(e), e);
    }
    return d;
  }

  /** The factory for {@code DeviceOpener.with("nvmf", NvmfDevice.factory())}. */
  public static DeviceFactory factory() {
    return u -> open(HostOptions.parse(u));
  }

  /**
   * A factory whose connections present {@code hostNqn} (unless a URI names another): an
   * io-engine's, so that replica targets admit its nexuses and nobody else; its I/Os time out
   * after {@code ioTimeoutMs} unless a URI sets {@code io_timeout_ms}.
   */
  public static DeviceFactory factory(String hostNqn, long ioTimeoutMs) {
    return u -> open(HostOptions.parse(u, hostNqn, ioTimeoutMs));
  }

  HostOptions options() {
    return opts;
  }

  /** Model, serial and limits the controller reported at the last connect. */
  public String controllerInfo() {
    Identity.Controller c = controller;
    return c == null ? "not connected" : c.model() + " sn " + c.serial() + " fr " + c.firmware()
        + " cntlid " + c.cntlid() + " mdts " + c.mdtsBytes() + " in-capsule " + c.inCapsuleBytes();
  }

  /** How many times the association was established (1 after open, +1 per reconnect). */
  public synchronized long connects() {
    return connects;
  }

  // ------------------------------------------------------------------ association

  private static String reason(Throwable e) {
    Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  private <T> T await(CompletableFuture<T> f, String what) throws Exception {
    try {
      return f.get(opts.connectTimeoutMs(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new java.io.IOException(what + ": no answer within " + opts.connectTimeoutMs() + " ms");
    } catch (ExecutionException e) {
      throw new java.io.IOException(what + ": " + reason(e), e.getCause());
    }
  }

  private HostQueue.Reply command(HostQueue q, String what, int opcode, int nsid, int cdw10,
      int cdw11, int cdw12, int cdw13, io.netty.buffer.ByteBuf out, int in) throws Exception {
    HostQueue.Reply r = await(q.call(opcode, nsid, cdw10, cdw11, cdw12, cdw13, out, in), what);
    if (r.status() != 0) {
      throw new java.io.IOException(what + " failed: " + statusText(r.status()));
    }
    return r;
  }

  private HostQueue.Reply connectQueue(HostQueue q, int depth, int cntlid) throws Exception {
    await(q.connect(opts), "queue " + q.qid + " connect to " + opts.host() + ":" + opts.port());
    ConnectData data = new ConnectData(opts.hostId(), cntlid, opts.subNqn(), opts.hostNqn());
    HostQueue.Reply r = await(q.call(FABRICS, FCTYPE_CONNECT, q.qid << 16, depth - 1,
        q.qid == 0 ? opts.katoMs() : 0, 0, data.encode(ByteBufAllocator.DEFAULT), 0),
        "Fabrics Connect of queue " + q.qid);
    if (r.status() == (SC_CONNECT_INVALID_HOST | DNR) || r.status() == SC_CONNECT_INVALID_HOST) {
      throw new HostNotAllowed("Fabrics Connect of queue " + q.qid + " refused: host " + opts.hostNqn()
          + " is not allowed on " + opts.subNqn());
    }
    if (r.status() != 0) {
      throw new java.io.IOException("Fabrics Connect of queue " + q.qid + " refused: "
          + statusText(r.status()));
    }
    return r;
  }

  /** Connects the admin queue and every I/O queue; blocking, never on an event loop. */
  private void associate() throws Exception {
    int cntlid = (int) connectQueue(admin, ADMIN_DEPTH, 0xFFFF).result() & 0xFFFF;
    long cap = command(admin, "Property Get CAP", FABRICS, FCTYPE_PROPERTY_GET, 1, PROP_CAP, 0, 0,
        null, 0).result();
    int mqes = (int) (cap & 0xFFFF) + 1;
    command(admin, "Property Set CC", FABRICS, FCTYPE_PROPERTY_SET, 0, PROP_CC, 0x00460001, 0,
        null, 0);
    long deadline = System.nanoTime() + Math.max(500, ((cap >>> 24) & 0xFF) * 500) * 1_000_000L;
    while ((command(admin, "Property Get CSTS", FABRICS, FCTYPE_PROPERTY_GET, 0, PROP_CSTS, 0, 0,
        null, 0).result() & 1) == 0) {
      if (System.nanoTime() > deadline) {
        throw new java.io.IOException("controller never became ready (CSTS.RDY)");
      }
      Thread.sleep(10);
    }
    Identity.Controller c = Identity.Controller.parse(command(admin, "Identify Controller",
        ADMIN_IDENTIFY, 0, CNS_CONTROLLER, 0, 0, 0, null, 4096).data());
    Identity.Namespace ns = Identity.Namespace.parse(command(admin, "Identify Namespace 1",
        ADMIN_IDENTIFY, 1, CNS_NAMESPACE, 0, 0, 0, null, 4096).data());
    if (ns.blockSize() == 0 || ns.blocks() <= 0) {
      throw new java.io.IOException("namespace 1 has an unusable format (" + ns + ")");
    }
    synchronized (this) {
      if (connects > 0 && (ns.blockSize() != blockSize || ns.blocks() != blockCount)) {
        throw new java.io.IOException("namespace 1 changed from " + blockCount + " x " + blockSize
            + " to " + ns.blocks() + " x " + ns.blockSize() + " bytes");
      }
      blockSize = ns.blockSize();
      blockCount = ns.blocks();
    }
    int want = io.length - 1;
    long granted = command(admin, "Set Features (number of queues)", ADMIN_SET_FEATURES, 0,
        FEAT_NUM_QUEUES, want | want << 16, 0, 0, null, 0).result();
    int n = (int) Math.min(granted & 0xFFFF, granted >>> 16 & 0xFFFF) + 1;
    if (n < io.length) {
      throw new java.io.IOException("target grants " + n + " I/O queues, " + io.length
          + " wanted");
    }
    int depth = Math.min(opts.queueDepth(), Math.min(mqes, c.maxCmd() == 0 ? mqes : c.maxCmd()));
    for (HostQueue q : io) {
      if (connects == 0) {
        q.restrict(depth);
      }
      connectQueue(q, depth, cntlid);
    }
    controller = c;
    synchronized (this) {
      connects++;
    }
    int kato = opts.katoMs();
    if (kato > 0) {
      long every = Math.max(50, kato / 2);
      keepAlive = admin.loop.scheduleAtFixedRate(this::sendKeepAlive, every, every,
          TimeUnit.MILLISECONDS);
    }
    refused = false;
    reconnecting.set(false);
    for (HostQueue q : io) {
      q.loop.execute(() -> {
        q.limits(c.mdtsBytes(), c.inCapsuleBytes(), blockSize);
        q.ready();
      });
    }
    LOG.log(Level.INFO, "{0}: connected, cntlid {1}, {2} I/O queues of {3}, {4} blocks of {5}",
        opts.uri(), cntlid, io.length, depth, blockCount, blockSize);
  }

  private void sendKeepAlive() {
    admin.call(ADMIN_KEEP_ALIVE, 0, 0, 0, 0, 0, null, 0)
        .orTimeout(Math.max(1000, opts.katoMs()), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> {
          if (e != null || r.status() != 0) {
            LOG.log(Level.WARNING, "{0}: keep-alive failed: {1}", opts.uri(),
                e != null ? reason(e) : statusText(r.status()));
            admin.loop.execute(admin::disconnect);
          }
        });
  }

  /** Called on a queue's event loop when its connection ends. */
  void connectionLost(HostQueue q, Throwable why) {
    if (closed || !reconnecting.compareAndSet(false, true)) {
      return;
    }
    LOG.log(Level.WARNING, "{0}: queue {1} lost its connection; reconnecting", opts.uri(), q.qid);
    unreachable("queue " + q.qid + " lost its connection to " + opts.host() + ":" + opts.port()
        + (why == null ? "" : " (" + reason(why) + ")"));
    control.execute(this::reconnect);
  }

  @Override
  public void watch(DeviceWatcher w) {
    synchronized (health) {
      watcher = w;
    }
  }

  /** Tells the watcher at once, and arms the timer that fails the device if it stays away. */
  private void unreachable(String why) {
    synchronized (health) {
      lost = true;
      lostAt = System.nanoTime();
      lastError = why;
      if (faultTimer != null) {
        faultTimer.cancel(false);
      }
      faultTimer = admin.loop.schedule(this::failIfStillLost, opts.faultAfterMs(),
          TimeUnit.MILLISECONDS);
      DeviceWatcher w = watcher;
      if (w != null) {
        w.unreachable(why + "; reconnecting");
      }
    }
  }

  private void failIfStillLost() {
    synchronized (health) {
      DeviceWatcher w = watcher;
      if (!lost || closed || w == null) {
        return;
      }
      long ms = (System.nanoTime() - lostAt) / 1_000_000;
      w.failed("NVMe/TCP target " + opts.host() + ":" + opts.port() + " " + opts.subNqn()
          + " unreachable for " + ms + " ms (limit fault_after_ms=" + opts.faultAfterMs()
          + "): " + lastError);
    }
  }

  private void restored() {
    synchronized (health) {
      if (!lost) {
        return;
      }
      lost = false;
      if (faultTimer != null) {
        faultTimer.cancel(false);
        faultTimer = null;
      }
      DeviceWatcher w = watcher;
      if (w != null && !closed) {
        w.restored();
      }
    }
  }

  private void teardown() {
    if (keepAlive != null) {
      keepAlive.cancel(false);
    }
    admin.loop.execute(admin::disconnect);
    for (HostQueue q : io) {
      q.loop.execute(q::disconnect);
    }
  }

  private void reconnect() {
    long backoff = 50;
    while (!closed) {
      teardown();
      try {
        Thread.sleep(backoff);
        if (closed) {
          return;
        }
        associate();
        restored();
        return;
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        LOG.log(Level.INFO, "{0}: reconnect failed: {1}", opts.uri(), reason(e));
        synchronized (health) {
          lastError = reason(e);
        }
        if (refusedConnect(e)) {
          failHeld(reason(e), BdevException.Kind.IO_ERROR);
        } else if (hostNotAllowed(e)) {
          // Positive evidence this host was superseded: the subsystem's owner took it off the list
          // (a replica is shared to the node of a newer nexus), so a nexus must stop, not go on.
          failHeld(reason(e), BdevException.Kind.RESERVATION_CONFLICT);
        }
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }

  /** True when {@code e} says nobody listens at the target's address (see the class comment). */
  static boolean refusedConnect(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.netty.channel.ConnectTimeoutException) {
        return false;
      }
      if (t instanceof java.net.ConnectException || t instanceof java.net.NoRouteToHostException) {
        return true;
      }
    }
    return false;
  }

  /**
   * A Fabrics Connect the target refused because the subsystem does not admit this host NQN:
   * unlike a refused TCP connection, it says the target is there and will not take this host.
   */
  static final class HostNotAllowed extends java.io.IOException {
    HostNotAllowed(String message) {
      super(message);
    }
  }

  static boolean hostNotAllowed(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HostNotAllowed) {
        return true;
      }
    }
    return false;
  }

  /** Fails what the queues hold, and what is submitted until the next association is up. */
  private void failHeld(String why, BdevException.Kind kind) {
    refusedKind = kind;
    refused = true;
    for (HostQueue q : io) {
      q.loop.execute(() -> q.failAll(refusedError(why)));
    }
  }

  private BdevException refusedError(String why) {
    return BdevException.io(refusedKind, opts.uri(),
        "the target refused the connection, I/O failed without waiting: " + why);
  }

  BdevException statusError(IoType type, int status) {
    BdevException.Kind kind = switch (status & 0x7FF) {
      case SC_LBA_RANGE -> BdevException.Kind.OUT_OF_RANGE;
      case SC_INVALID_FIELD, SC_INVALID_OPCODE, SC_SGL_INVALID_DATA -> BdevException.Kind.INVALID;
      case SC_CAP_EXCEEDED -> BdevException.Kind.NO_SPACE;
      // Positive evidence that another host (a newer nexus) holds the namespace.
      case SC_RESERVATION_CONFLICT -> BdevException.Kind.RESERVATION_CONFLICT;
      default -> BdevException.Kind.IO_ERROR;
    };
    return BdevException.io(kind, opts.uri(), type + " failed: " + statusText(status));
  }

  static String statusText(int status) {
    return String.format("NVMe status SCT %d SC 0x%02x%s", (status >> 8) & 7, status & 0xFF,
        (status & DNR) != 0 ? " (DNR)" : "");
  }

  // ------------------------------------------------------------------ reservations

  /** One registered host of a Reservation Report. */
  public record Registrant(java.util.UUID hostId, long key, boolean holder) {}

  /**
   * The namespace's reservation status.
   *
   * @param type the reservation type held (RTYPE), 0 when none is held
   */
  public record ReservationReport(long generation, int type, java.util.List<Registrant> registrants) {

    /** The holder's registration, or null when nobody holds the reservation. */
    public Registrant holder() {
      for (Registrant r : registrants) {
        if (r.holder()) {
          return r;
        }
      }
      return null;
    }
  }

  /** This host's identifier, the one the target keys its registration by. */
  public java.util.UUID hostId() {
    return opts.hostId();
  }

  /** Registers {@code key} for this host (Reservation Register, RREGA 000b). */
  public CompletableFuture<Void> register(long key) {
    return reservation("Reservation Register", IO_RESV_REGISTER, 0, key, key);
  }

  /** Removes this host's registration, releasing what it holds (RREGA 001b). */
  public CompletableFuture<Void> unregister(long key) {
    return reservation("Reservation Unregister", IO_RESV_REGISTER, 1, key, 0);
  }

  /** Acquires a reservation of {@code type} (an {@code Nvme.RTYPE_*}) with {@code key}. */
  public CompletableFuture<Void> acquire(long key, int type) {
    return reservation("Reservation Acquire", IO_RESV_ACQUIRE, type << 8, key, 0);
  }

  /**
   * Preempts the registrants of {@code preemptKey} and takes their reservation (RACQA 001b).
   * Caspian's target refuses unless {@code key} is greater than {@code preemptKey}.
   */
  public CompletableFuture<Void> preempt(long key, long preemptKey, int type) {
    return reservation("Reservation Acquire (preempt " + preemptKey + ")", IO_RESV_ACQUIRE,
        type << 8 | 1, key, preemptKey);
  }

  /** Releases this host's reservation of {@code type} (Reservation Release, RRELA 000b). */
  public CompletableFuture<Void> release(long key, int type) {
    return reservation("Reservation Release", IO_RESV_RELEASE, type << 8, key, -1);
  }

  /** The namespace's reservation status (Reservation Report, extended data structure). */
  public CompletableFuture<ReservationReport> reservationReport() {
    int len = 64 + 64 * 32;
    return ioCall("Reservation Report", io[0].call(IO_RESV_REPORT, 1, len / 4 - 1, 1, 0, 0,
        null, len)).thenApply(r -> parseReport(r.data()));
  }

  /**
   * Report, register and acquire Write Exclusive with key {@code generation}, preempting a
   * holder with a lower key. A holder with an equal key and another host id is a second nexus
   * of the same generation, which the control plane never creates: refused as a conflict.
   */
  @Override
  public CompletableFuture<Void> fence(long generation) {
    Identity.Controller c = controller;
    if (c != null && (c.oncs() & ONCS_RESERVATIONS) == 0) {
      // A target without reservations (an older kernel's nvmet) cannot fence: say so plainly.
      return CompletableFuture.failedFuture(BdevException.io(BdevException.Kind.NOT_SUPPORTED,
          opts.uri(), "the target does not support reservations (ONCS bit 5 clear); cannot fence"
          + " with generation " + generation));
    }
    return reservationReport().thenCompose(rep -> {
      java.util.UUID me = opts.hostId();
      CompletableFuture<Void> registered = CompletableFuture.completedFuture(null);
      Registrant mine = null;
      for (Registrant r : rep.registrants()) {
        if (r.hostId().equals(me)) {
          mine = r;
        }
      }
      if (mine == null) {
        registered = register(generation);
      } else if (mine.key() != generation) {
        // This host once registered another generation (a nexus before this one, here).
        registered = reservation("Reservation Register (replace)", IO_RESV_REGISTER, 2,
            mine.key(), generation);
      }
      Registrant holder = rep.holder();
      return registered.thenCompose(v -> {
        if (holder == null) {
          return acquire(generation, RTYPE_WRITE_EXCLUSIVE);
        }
        if (holder.hostId().equals(me)) {
          return rep.type() == RTYPE_WRITE_EXCLUSIVE ? CompletableFuture.completedFuture(null)
              : preempt(generation, holder.key(), RTYPE_WRITE_EXCLUSIVE);
        }
        if (Long.compareUnsigned(holder.key(), generation) >= 0) {
          return CompletableFuture.failedFuture(BdevException.io(
              BdevException.Kind.RESERVATION_CONFLICT, opts.uri(), "generation " + generation
              + " is superseded: host " + holder.hostId() + " holds the reservation with key "
              + holder.key()));
        }
        return preempt(generation, holder.key(), RTYPE_WRITE_EXCLUSIVE);
      });
    });
  }

  private CompletableFuture<Void> reservation(String what, int opcode, int cdw10, long k1,
      long k2) {
    io.netty.buffer.ByteBuf keys = ByteBufAllocator.DEFAULT.heapBuffer(16);
    keys.writeLongLE(k1);
    if (opcode != IO_RESV_RELEASE) {
      keys.writeLongLE(k2);
    }
    return ioCall(what, io[0].call(opcode, 1, cdw10, 0, 0, 0, keys, 0)).thenApply(r -> null);
  }

  /** A reservation command's outcome: its reply, or a BdevException of the status's kind. */
  private CompletableFuture<HostQueue.Reply> ioCall(String what,
      CompletableFuture<HostQueue.Reply> call) {
    if (closed) {
      return CompletableFuture.failedFuture(closedError());
    }
    return call.orTimeout(opts.ioTimeoutMs(), TimeUnit.MILLISECONDS).handle((r, e) -> {
      if (e != null) {
        throw new java.util.concurrent.CompletionException(BdevException.io(
            e instanceof TimeoutException ? BdevException.Kind.TIMED_OUT
                : BdevException.Kind.IO_ERROR, opts.uri(), what + " failed: " + reason(e)));
      }
      if (r.status() != 0) {
        BdevException err = statusError(null, r.status());
        throw new java.util.concurrent.CompletionException(BdevException.io(err.kind(),
            opts.uri(), what + " failed: " + statusText(r.status())));
      }
      return r;
    });
  }

  static ReservationReport parseReport(byte[] b) {
    java.nio.ByteBuffer le = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    java.nio.ByteBuffer be = java.nio.ByteBuffer.wrap(b);
    long gen = le.getInt(0) & 0xFFFFFFFFL;
    int type = b[4] & 0xFF;
    int n = le.getShort(5) & 0xFFFF;
    java.util.List<Registrant> regs = new java.util.ArrayList<>();
    for (int i = 0; i < n && 64 + 64 * (i + 1) <= b.length; i++) {
      int e = 64 + 64 * i;
      regs.add(new Registrant(new java.util.UUID(be.getLong(e + 16), be.getLong(e + 24)),
          le.getLong(e + 8), (b[e + 2] & 1) != 0));
    }
    return new ReservationReport(gen, type, java.util.List.copyOf(regs));
  }

  // ------------------------------------------------------------------ BlockDevice

  @Override
  public String uri() {
    return opts.uri();
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public long blockCount() {
    return blockCount;
  }

  /** Write Zeroes and Deallocate as the controller reported them (ONCS). */
  @Override
  public boolean supports(IoType type) {
    Identity.Controller c = controller;
    return switch (type) {
      case WRITE_ZEROES -> c != null && (c.oncs() & 0x08) != 0;
      case UNMAP -> c != null && (c.oncs() & 0x04) != 0;
      default -> true;
    };
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = closed ? closedError() : IoChecks.data(this, IoType.READ, offset, buf,
        bufOffset, length);
    submit(err, IoType.READ, offset, length, buf, bufOffset, done);
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    BdevException err = closed ? closedError() : IoChecks.data(this, IoType.WRITE, offset, buf,
        bufOffset, length);
    submit(err, IoType.WRITE, offset, length, buf, bufOffset, done);
  }

  @Override
  public void flush(IoCompletion done) {
    submit(closed ? closedError() : null, IoType.FLUSH, 0, 0, null, 0, done);
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError() : IoChecks.range(this, IoType.UNMAP, offset, length);
    submit(err, IoType.UNMAP, offset, length, null, 0, done);
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    BdevException err = closed ? closedError() : IoChecks.range(this, IoType.WRITE_ZEROES, offset,
        length);
    submit(err, IoType.WRITE_ZEROES, offset, length, null, 0, done);
  }

  private void submit(BdevException err, IoType type, long offset, long length, ByteBuffer buf,
      int bufOffset, IoCompletion done) {
    if (err == null && refused) {
      err = refusedError("the last reconnect was refused");
    }
    if (err != null) {
      done.ioDone(err);
      return;
    }
    HostIo x = null;
    int start = next.getAndIncrement();
    for (int i = 0; i < io.length && x == null; i++) {
      x = io[Math.floorMod(start + i, io.length)].acquire();
    }
    if (x == null) {
      done.ioDone(BdevException.io(BdevException.Kind.QUEUE_FULL, opts.uri(), type
          + ": all " + io.length + " queues hold " + opts.queueDepth() + " I/Os"));
      return;
    }
    x.type = type;
    x.offset = offset;
    x.length = length;
    x.buf = buf;
    x.bufOffset = bufOffset;
    x.done = done;
    x.deadlineNanos = System.nanoTime() + opts.ioTimeoutMs() * 1_000_000L;
    if (x.queue.loop.inEventLoop()) {
      // A completion callback submitting the next I/O: send it now, in the same flush as the
      // other answers of this read, rather than after a trip through the task queue.
      x.run();
    } else {
      x.queue.loop.execute(x);
    }
  }

  private BdevException closedError() {
    return BdevException.io(BdevException.Kind.CLOSED, opts.uri(), "device is closed");
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!reconnecting.get()) {
      // A normal shutdown (CC.SHN) lets the controller finish cleanly before the queues go.
      try {
        admin.call(FABRICS, FCTYPE_PROPERTY_SET, 0, PROP_CC, 0x00464001, 0, null, 0)
            .get(1, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.DEBUG, "{0}: shutdown notification failed: {1}", opts.uri(), reason(e));
      }
    }
    control.shutdownNow();
    BdevException err = closedError();
    CompletableFuture<?>[] done = new CompletableFuture<?>[io.length + 1];
    for (int i = 0; i < io.length; i++) {
      HostQueue q = io[i];
      done[i] = CompletableFuture.runAsync(() -> {
        q.failAll(err);
        q.disconnect();
      }, q.loop);
    }
    if (keepAlive != null) {
      keepAlive.cancel(false);
    }
    done[io.length] = CompletableFuture.runAsync(admin::disconnect, admin.loop);
    try {
      CompletableFuture.allOf(done).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "{0}: close did not finish cleanly: {1}", opts.uri(), reason(e));
    }
  }

  @Override
  public String toString() {
    return "NvmfDevice[" + opts.uri() + "]";
  }
}
