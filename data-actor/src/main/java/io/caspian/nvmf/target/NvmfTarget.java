package io.caspian.nvmf.target;

import io.caspian.bdev.BlockDevice;
import io.caspian.nvmf.PduCodec;
import io.caspian.nvmf.PduFrameDecoder;
import io.caspian.nvmf.Transport;
import io.caspian.nvmf.WireState;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An NVMe/TCP target: one listening address, any number of exported devices (one subsystem with
 * namespace 1 each), and the discovery subsystem listing them.
 *
 * <pre>
 * try (NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0)) {
 *   t.addSubsystem(Nvme.nqnFor(uuid), device, Set.of());   // empty: any host may connect
 *   ... t.port() ...
 * }
 * </pre>
 */
public final class NvmfTarget implements AutoCloseable {

  private final Exports exports;
  private final EventLoopGroup group;
  private final Channel server;
  private final InetSocketAddress address;

  private NvmfTarget(Exports exports, EventLoopGroup group, Channel server) {
    this.exports = exports;
    this.group = group;
    this.server = server;
    this.address = (InetSocketAddress) server.localAddress();
    exports.traddr = address.getAddress().getHostAddress();
    exports.trsvcid = address.getPort();
    exports.cntlidRange(1, MAX_CNTLID, randomFirstControllerId(ThreadLocalRandom.current()));
  }

  /** The highest controller id; 0xFFF0..0xFFFF are reserved by the NVMe base specification. */
  public static final int MAX_CNTLID = 0xFFEF;

  /**
   * Where a new target starts handing out controller ids: anywhere in {@code 1..0xFFEF}, counting up (and
   * wrapping) from there, skipping ids in use.
   *
   * <p>Why random rather than 1: when a volume's target fails over, the new io-engine exports the SAME subsystem
   * NQN, and the Linux host still holds the dead controller (connecting, until ctrl_loss_tmo) in that subsystem;
   * it refuses a new controller with an id it already has there ("Duplicate cntlid"). Every target starting at 1
   * would make the first failover path collide. Why random rather than a range derived from the node id: a node
   * id hashed into a range can still collide with another node's, ranges would cap controllers per node, and a
   * restarted io-engine (same node id) would reuse exactly the ids of its own previous, possibly still
   * remembered, controllers; a random start differs per target instance. Two targets of one subsystem clash only
   * if their runs of ids overlap: with k controllers each, about 2k/65519 (a few hosts: well under 0.1 %), and a
   * refused connect is retried by the path agent, which then gets the next id. {@link #controllerIds} still
   * pins disjoint ranges where they must be certain (tests, an operator's config).
   */
  static int randomFirstControllerId(java.util.random.RandomGenerator random) {
    return 1 + random.nextInt(MAX_CNTLID);
  }

  /** The controller id the next host gets unless that id is in use by then. */
  public int nextControllerId() {
    return exports.nextCntlid();
  }

  /** Listens on {@code host:port} (port 0 picks a free one) with default limits. */
  public static NvmfTarget bind(String host, int port) throws IOException {
    return bind(host, port, TargetConfig.defaults(), 0);
  }

  /**
   * @param threads event-loop threads, 0 for one per core
   */
  public static NvmfTarget bind(String host, int port, TargetConfig config, int threads)
      throws IOException {
    Exports exports = new Exports(config);
    EventLoopGroup group = Transport.group(threads, "nvmf-target");
    try {
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(Transport.serverChannel())
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .childHandler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              pipeline(ch, exports);
            }
          })
          .bind(host, port).sync().channel();
      return new NvmfTarget(exports, group, server);
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
      throw new IOException("NVMe/TCP target cannot listen on " + host + ":" + port + ": "
          + e.getMessage(), e);
    }
  }

  /** The handlers of one target-side connection, in order. */
  static void pipeline(Channel ch, Exports exports) {
    WireState wire = new WireState(true, io.caspian.nvmf.Wire.IC_LEN);
    ch.pipeline().addLast(new FlushConsolidationHandler(256, false), new PduFrameDecoder(wire),
        new PduCodec(wire), new QueueHandler(exports, wire));
  }

  public int port() {
    return address.getPort();
  }

  public String host() {
    return address.getAddress().getHostAddress();
  }

  /**
   * Exports {@code device} as subsystem {@code nqn}.
   *
   * @param allowedHosts host NQNs that may connect; empty lets any host connect
   * @throws IllegalArgumentException when the NQN is already exported or malformed
   */
  public void addSubsystem(String nqn, BlockDevice device, Set<String> allowedHosts) {
    checkNqn(nqn);
    exports.add(nqn, device, allowedHosts);
  }

  /**
   * Exports {@code device} as subsystem {@code nqn} whose namespace reports {@code uuid} (as its
   * NGUID and UUID descriptor, so that a host finds it by that uuid) and whose controller reports
   * {@code model} and a serial number derived from the uuid.
   *
   * @param allowedHosts host NQNs that may connect; empty lets any host connect
   * @throws IllegalArgumentException when the NQN is already exported or malformed, or the model
   *     is not 1..40 printable ASCII characters
   */
  public void addSubsystem(String nqn, BlockDevice device, Set<String> allowedHosts, UUID uuid,
      String model) {
    checkNqn(nqn);
    if (model == null || model.isEmpty() || model.length() > 40
        || !model.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F)) {
      throw new IllegalArgumentException("a model number is 1..40 printable ASCII characters, not '"
          + model + "'");
    }
    exports.add(new Subsystem(nqn, device, allowedHosts, uuid, model));
  }

  /**
   * Exports {@code device} as {@link #addSubsystem(String, BlockDevice, Set, UUID, String)} does,
   * with reservations that persist: the namespace starts from {@code restored} (what {@code
   * store} saved before a restart, or {@link Reservations#NONE}) before any host can connect,
   * and every change is saved to {@code store} before it takes effect.
   */
  public void addSubsystem(String nqn, BlockDevice device, Set<String> allowedHosts, UUID uuid,
      String model, ReservationStore store, Reservations restored) {
    checkNqn(nqn);
    if (model == null || model.isEmpty() || model.length() > 40
        || !model.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F)) {
      throw new IllegalArgumentException("a model number is 1..40 printable ASCII characters, not '"
          + model + "'");
    }
    Subsystem s = new Subsystem(nqn, device, allowedHosts, uuid, model);
    s.persistReservations(store, restored == null ? Reservations.NONE : restored);
    exports.add(s);
  }

  /** The reservation state of {@code nqn}'s namespace, or null when it is not exported. */
  public Reservations reservations(String nqn) {
    Subsystem s = exports.subsystem(nqn);
    return s == null ? null : s.reservations();
  }

  /**
   * Replaces the hosts allowed on {@code nqn} (empty: any host); connected hosts no longer on the
   * list are disconnected before this returns, and discovery shows the change at once.
   *
   * @return false if {@code nqn} is not exported
   */
  public boolean allowHosts(String nqn, Set<String> allowedHosts) {
    return exports.allow(nqn, allowedHosts) >= 0;
  }

  /** The hosts allowed on {@code nqn} (empty: any host), or null when it is not exported. */
  public Set<String> allowedHosts(String nqn) {
    Subsystem s = exports.subsystem(nqn);
    return s == null ? null : s.allowedHosts();
  }

  private static void checkNqn(String nqn) {
    if (nqn == null || !nqn.startsWith("nqn.") || nqn.length() > 223
        || nqn.equals(io.caspian.nvmf.Nvme.DISCOVERY_NQN)) {
      throw new IllegalArgumentException("not a valid subsystem NQN: " + nqn);
    }
  }

  /** Stops exporting {@code nqn} and disconnects its hosts; false if it was not exported. */
  public boolean removeSubsystem(String nqn) {
    return exports.remove(nqn);
  }

  /**
   * Drops every connection of the hosts connected to {@code nqn} (they may reconnect) and
   * returns once they are closed, so no command arriving later is executed; returns the number
   * of controllers closed.
   */
  public int disconnectHosts(String nqn) {
    return exports.disconnect(nqn);
  }

  public Set<String> subsystems() {
    return exports.nqns();
  }

  /**
   * Connections and commands in flight of every subsystem, by NQN; read from the live queues, so
   * the I/O path does nothing for it.
   */
  public List<SubsystemStats> subsystemStats() {
    return exports.stats();
  }

  // ------------------------------------------------------------------ ANA

  /**
   * Sets the ANA state this target reports for {@code nqn}'s namespace, i.e. of this path to it.
   * A change bumps the ANA change count and sends an ANA change notice to every controller of
   * {@code nqn} that enabled it (at once on an outstanding Async Event Request, else on the
   * next). I/O commands already running finish normally; later ones get the state's path error
   * while it is INACCESSIBLE, PERSISTENT_LOSS or CHANGE.
   *
   * @return false if {@code nqn} is not exported
   */
  public boolean setAnaState(String nqn, AnaState state) {
    return exports.ana(nqn, java.util.Objects.requireNonNull(state));
  }

  /** The ANA state of {@code nqn} on this target, or null when it is not exported. */
  public AnaState anaState(String nqn) {
    Subsystem s = exports.subsystem(nqn);
    return s == null ? null : s.ana().state();
  }

  /**
   * Restricts the controller ids this target hands out to {@code min..max}; call before hosts
   * connect. Targets exporting the same subsystem NQN (ANA paths of one volume) need disjoint
   * ranges, because the Linux host refuses a second controller with an id it already has in a
   * subsystem.
   */
  public void controllerIds(int min, int max) {
    if (min < 1 || max > MAX_CNTLID || min > max) {
      throw new IllegalArgumentException("controller ids must be 1 <= min <= max <= 0xFFEF, not "
          + min + ".." + max);
    }
    exports.cntlidRange(min, max);
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    exports.dropAll();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Override
  public String toString() {
    return "NvmfTarget[" + host() + ":" + port() + ", " + Transport.name() + "]";
  }
}
