package io.caspian.nvmf.target;

import io.caspian.nvmf.Nvme;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One NVMe controller: created by an admin-queue Connect, joined by the I/O queues that name its
 * controller id, and destroyed with its admin queue (or when its keep-alive timer expires), at
 * which point all of its queues are closed.
 *
 * <p>Registers and features are touched only on the admin queue's event loop; the queue map is
 * concurrent because I/O queues connect on other event loops.
 */
final class Controller {

  final int cntlid;
  /** null for a discovery controller. */
  final Subsystem subsystem;
  final String hostNqn;
  /** The Host Identifier of the Connect data: whom reservations know this controller as. */
  final java.util.UUID hostId;
  final Channel admin;
  final Map<Integer, Channel> ioQueues = new ConcurrentHashMap<>();
  final int maxIoQueues;

  volatile int cc;
  volatile int csts;
  int asyncEventConfig;
  volatile int grantedIoQueues;
  boolean volatileWriteCache = true;
  /** Keep-alive timeout in ms; 0 disables it. */
  volatile int katoMs;
  volatile long lastKeepAliveNanos = System.nanoTime();
  /** An ANA change happened that the host has not been sent a notice of (admin loop only). */
  boolean anaEventPending;
  /** A notice was sent and the host has not read the ANA log since (admin loop only). */
  boolean anaEventMasked;

  Controller(int cntlid, Subsystem subsystem, String hostNqn, java.util.UUID hostId,
      Channel admin, int katoMs, int maxIoQueues) {
    this.hostId = hostId;
    this.cntlid = cntlid;
    this.subsystem = subsystem;
    this.hostNqn = hostNqn;
    this.admin = admin;
    this.katoMs = katoMs;
    this.maxIoQueues = maxIoQueues;
    this.grantedIoQueues = maxIoQueues;
  }

  boolean discovery() {
    return subsystem == null;
  }

  String nqn() {
    return subsystem == null ? Nvme.DISCOVERY_NQN : subsystem.nqn();
  }

  boolean ready() {
    return (csts & 1) != 0;
  }

  /** Registers I/O queue {@code qid}; false when the id is out of range or taken. */
  boolean attach(int qid, Channel ch) {
    if (qid < 1 || qid > grantedIoQueues || !ready()) {
      return false;
    }
    return ioQueues.putIfAbsent(qid, ch) == null;
  }

  void detach(int qid, Channel ch) {
    ioQueues.remove(qid, ch);
  }

  void keepAlive() {
    lastKeepAliveNanos = System.nanoTime();
  }

  boolean keepAliveExpired(long now) {
    int kato = katoMs;
    return kato > 0 && now - lastKeepAliveNanos > kato * 1_000_000L;
  }

  /** Writes CC and applies what the host asked for: enable, reset or shutdown. */
  void writeCc(int value) {
    boolean en = (value & 1) != 0;
    int shn = (value >>> 14) & 3;
    if (shn != 0) {
      csts = (csts & ~0xC) | (2 << 2);
    } else if (en) {
      csts = (csts & ~0xC) | 1;
    } else {
      csts = 0;
    }
    if (!en) {
      csts &= ~1;
    }
    cc = value;
  }

  /** Closes every queue of this controller. */
  /** Closes every queue; the futures complete once each is closed. */
  List<ChannelFuture> destroy() {
    List<ChannelFuture> closing = new ArrayList<>();
    for (Channel ch : ioQueues.values()) {
      closing.add(ch.close());
    }
    closing.add(admin.close());
    return closing;
  }}
