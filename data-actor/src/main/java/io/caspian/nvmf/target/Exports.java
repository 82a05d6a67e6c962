package io.caspian.nvmf.target;

import io.caspian.bdev.BlockDevice;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a target exports and who is connected: subsystems by NQN and live controllers by id.
 * Shared by every queue of one target, on any event loop.
 */
final class Exports {

  /** How long {@link #disconnect} waits for the connections to close. */
  private static final long CLOSE_WAIT_MS = 2000;

  final TargetConfig config;
  private final Map<String, Subsystem> subsystems = new ConcurrentHashMap<>();
  private final Map<Integer, Controller> controllers = new ConcurrentHashMap<>();
  private final AtomicInteger nextCntlid = new AtomicInteger(1);
  private final AtomicLong genctr = new AtomicLong(1);
  /** The address and port hosts reach this target by, for discovery log entries. */
  volatile String traddr = "127.0.0.1";
  volatile int trsvcid = 4420;

  Exports(TargetConfig config) {
    this.config = config;
  }

  void add(String nqn, BlockDevice device, Set<String> allowedHosts) {
    add(Subsystem.of(nqn, device, allowedHosts));
  }

  void add(Subsystem s) {
    if (subsystems.putIfAbsent(s.nqn(), s) != null) {
      throw new IllegalArgumentException("subsystem " + s.nqn() + " is already exported");
    }
    genctr.incrementAndGet();
  }

  /**
   * Replaces the hosts allowed on {@code nqn} and drops the controllers of hosts no longer on
   * the list, so that a host taken off it cannot keep writing through a connection it already
   * had. Returns the controllers dropped, or -1 when {@code nqn} is not exported.
   */
  int allow(String nqn, Set<String> hosts) {
    Subsystem s = subsystems.get(nqn);
    if (s == null) {
      return -1;
    }
    s.allowedHosts(hosts);
    genctr.incrementAndGet();
    int n = 0;
    List<ChannelFuture> closing = new ArrayList<>();
    for (Controller c : controllers.values()) {
      if (c.subsystem == s && !s.allows(c.hostNqn)) {
        closing.addAll(drop(c));
        n++;
      }
    }
    awaitClosed(closing);
    return n;
  }

  boolean remove(String nqn) {
    Subsystem s = subsystems.remove(nqn);
    if (s == null) {
      return false;
    }
    genctr.incrementAndGet();
    for (Controller c : controllers.values()) {
      if (c.subsystem == s) {
        drop(c);
      }
    }
    return true;
  }

  /**
   * Drops the controllers of {@code nqn}; off the event loops, returns once their connections
   * are closed, so that no command that arrives later still runs.
   */
  int disconnect(String nqn) {
    int n = 0;
    List<ChannelFuture> closing = new ArrayList<>();
    for (Controller c : controllers.values()) {
      if (c.subsystem != null && c.subsystem.nqn().equals(nqn)) {
        closing.addAll(drop(c));
        n++;
      }
    }
    awaitClosed(closing);
    return n;
  }

  /** Off the event loops (where waiting would deadlock), waits for the connections to close. */
  private static void awaitClosed(List<ChannelFuture> closing) {
    if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
      for (ChannelFuture f : closing) {
        f.awaitUninterruptibly(CLOSE_WAIT_MS);
      }
    }
  }

  Subsystem subsystem(String nqn) {
    return subsystems.get(nqn);
  }

  Set<String> nqns() {
    return Set.copyOf(subsystems.keySet());
  }

  /** Connections and commands in flight of every subsystem, from the live controllers. */
  List<SubsystemStats> stats() {
    Map<String, int[]> by = new TreeMap<>();
    for (String nqn : subsystems.keySet()) {
      by.put(nqn, new int[2]);
    }
    for (Controller c : controllers.values()) {
      int[] n = c.discovery() ? null : by.get(c.nqn());
      if (n == null) {
        continue;
      }
      n[0]++;
      for (Channel q : c.ioQueues.values()) {
        n[0]++;
        QueueHandler h = q.pipeline().get(QueueHandler.class);
        if (h != null) {
          n[1] += h.inFlight();
        }
      }
    }
    List<SubsystemStats> out = new ArrayList<>();
    by.forEach((nqn, n) -> out.add(new SubsystemStats(nqn, n[0], n[1])));
    return out;
  }

  /** The subsystems a host may see in the discovery log. */
  List<String> visibleTo(String hostNqn) {
    List<String> out = new ArrayList<>();
    for (Subsystem s : subsystems.values()) {
      if (s.allows(hostNqn)) {
        out.add(s.nqn());
      }
    }
    out.sort(null);
    return out;
  }

  long genctr() {
    return genctr.get();
  }

  Controller newController(Subsystem s, String hostNqn, java.util.UUID hostId, Channel admin,
      int katoMs) {
    int id;
    int min = cntlidMin;
    int span = cntlidMax - min + 1;
    do {
      id = min + Math.floorMod(nextCntlid.getAndIncrement() - 1, span);
    } while (controllers.containsKey(id));
    Controller c = new Controller(id, s, hostNqn, hostId, admin, katoMs, config.maxIoQueues());
    controllers.put(id, c);
    return c;
  }

  Controller controller(int cntlid) {
    return controllers.get(cntlid);
  }

  /** Forgets a controller and closes its queues. */
  List<ChannelFuture> drop(Controller c) {
    controllers.remove(c.cntlid, c);
    return c.destroy();
  }

  // ------------------------------------------------------------------ ANA

  /**
   * The controller ids this target hands out. A subsystem exported by several targets (one per
   * ANA path) needs ids unique across all of them: Linux refuses a second controller whose id
   * it already has in that subsystem.
   */
  private volatile int cntlidMin = 1;
  private volatile int cntlidMax = 0xFFEF;

  synchronized void cntlidRange(int min, int max) {
    cntlidRange(min, max, min);
  }

  /** As {@link #cntlidRange(int, int)}, handing out {@code first} next and counting up (wrapping) from it. */
  synchronized void cntlidRange(int min, int max, int first) {
    cntlidMin = min;
    cntlidMax = max;
    nextCntlid.set(first - min + 1);
  }

  /** The id the next controller gets unless it is in use (for tests). */
  int nextCntlid() {
    int min = cntlidMin;
    return min + Math.floorMod(nextCntlid.get() - 1, cntlidMax - min + 1);
  }

  /**
   * Sets the ANA state of {@code nqn} and, if it changed, tells every controller of it on its
   * admin queue's event loop. Returns false when {@code nqn} is not exported.
   */
  boolean ana(String nqn, AnaState state) {
    Subsystem s = subsystems.get(nqn);
    if (s == null) {
      return false;
    }
    if (s.ana(state)) {
      for (Controller c : controllers.values()) {
        QueueHandler h = c.subsystem == s ? c.admin.pipeline().get(QueueHandler.class) : null;
        if (h != null) {
          h.execute(h::anaChanged);
        }
      }
    }
    return true;
  }

  void dropAll() {
    for (Controller c : controllers.values()) {
      drop(c);
    }
  }
}
