package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.nvmf.CommandPdu;
import io.caspian.nvmf.ConnectData;
import io.caspian.nvmf.DataPdu;
import io.caspian.nvmf.Pdu;
import io.caspian.nvmf.PduException;
import io.caspian.nvmf.R2tPdu;
import io.caspian.nvmf.ResponsePdu;
import io.caspian.nvmf.Wire;
import io.caspian.nvmf.WireState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;

/**
 * One NVMe/TCP queue on the target side: the ICReq exchange, Fabrics Connect, then either the
 * admin command set (queue 0) or I/O commands mapped onto the subsystem's {@link BlockDevice}.
 * Runs on the channel's event loop; device completions come back to it through {@link
 * IoContext}. Commands and data arrive as the codec's reusable views, and responses, R2Ts and
 * read data go out through this handler's reusable PDUs, so an I/O allocates nothing here.
 */
final class QueueHandler extends ChannelInboundHandlerAdapter {

  private static final System.Logger LOG = System.getLogger(QueueHandler.class.getName());
  /** While the host has keep-alive off, how often to look whether a Set Features turned it on. */
  private static final long KEEP_ALIVE_OFF_CHECK_MS = 1000;

  private final Exports exports;
  private final TargetConfig cfg;
  private final WireState wire;
  private ChannelHandlerContext ctx;
  private Controller ctrl;
  private BlockDevice device;
  private int qid = -1;
  private int queueEntries = 1;
  private int sqhd;
  private boolean sqFlowDisabled;
  private IoContext[] slots;
  private int[] free;
  private int freeTop;
  private int outstandingAers;
  /** Command ids of the outstanding Async Event Requests (admin queue), oldest first. */
  private final int[] aerCids = new int[Pages.AER_LIMIT];
  private ScheduledFuture<?> keepAliveCheck;
  private final ResponsePdu resp = new ResponsePdu();
  private final R2tPdu r2t = new R2tPdu();
  private final DataPdu c2h = new DataPdu();

  QueueHandler(Exports exports, WireState wire) {
    this.exports = exports;
    this.cfg = exports.config;
    this.wire = wire;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /**
   * I/O commands received and not yet answered, for a metrics scrape on another thread. Only the
   * event loop writes these plain fields, so the I/O path pays nothing for the metric; a scrape's
   * racy read sees recent values, which is all a gauge needs.
   */
  int inFlight() {
    IoContext[] s = slots;
    return s == null ? 0 : Math.max(0, s.length - freeTop);
  }

  boolean inEventLoop() {
    return ctx.executor().inEventLoop();
  }

  void execute(Runnable task) {
    ctx.executor().execute(task);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws PduException {
    if (msg instanceof CommandPdu c) {
      command(c);
    } else if (msg instanceof DataPdu d && !d.fromController()) {
      h2cData(d);
    } else if (msg instanceof Pdu.IcReq r) {
      icReq(r);
    } else if (msg instanceof Pdu.TermReq t) {
      LOG.log(Level.INFO, "host {0} terminated the connection: FES {1}", ctx.channel().remoteAddress(), t.fes());
      ctx.close();
    } else {
      if (msg instanceof Pdu p) {
        Pdu.release(p);
      }
      throw new PduException(Wire.FES_SEQUENCE, 0, "unexpected " + msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable t = cause;
    while (t != null && !(t instanceof PduException)) {
      t = t.getCause();
    }
    if (t instanceof PduException p) {
      LOG.log(Level.WARNING, "closing {0}: {1}", ctx.channel().remoteAddress(), p.getMessage());
      ctx.writeAndFlush(new Pdu.TermReq(true, p.fes(), p.fei()))
          .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    } else {
      LOG.log(Level.WARNING, "closing " + ctx.channel().remoteAddress(), cause);
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (keepAliveCheck != null) {
      keepAliveCheck.cancel(false);
    }
    if (ctrl != null) {
      if (qid == 0) {
        exports.drop(ctrl);
      } else {
        ctrl.detach(qid, ctx.channel());
      }
    }
    ctx.fireChannelInactive();
  }

  private void icReq(Pdu.IcReq r) throws PduException {
    if (r.pfv() != 0) {
      throw new PduException(Wire.FES_UNSUPPORTED, 8, "unsupported PDU format version " + r.pfv());
    }
    if (r.hpda() > 31) {
      throw new PduException(Wire.FES_INVALID_HEADER, 10, "HPDA " + r.hpda() + " out of range");
    }
    boolean hd = r.hdgst() && cfg.headerDigest();
    boolean dd = r.ddgst() && cfg.dataDigest();
    ctx.writeAndFlush(new Pdu.IcResp(0, 0, hd, dd, cfg.maxH2cData()), ctx.voidPromise());
    wire.negotiated(hd, dd);
    wire.maxData(cfg.maxPduData());
  }

  // ------------------------------------------------------------------ commands

  private void command(CommandPdu c) {
    sqhd = (sqhd + 1) % queueEntries;
    if (ctrl == null) {
      if (c.opcode() == FABRICS && c.fctype() == FCTYPE_CONNECT) {
        connect(c);
      } else {
        respond(c.cid(), SC_CMD_SEQ_ERROR | DNR);
      }
    } else if (c.opcode() == FABRICS) {
      fabrics(c);
    } else if (qid == 0) {
      admin(c);
    } else {
      io(c);
    }
  }

  private void respond(int cid, int status) {
    respond(cid, status, 0, 0);
  }

  private void respond(int cid, int status, int dw0, int dw1) {
    ctx.writeAndFlush(resp.set(dw0, dw1, sqhd, Math.max(qid, 0), cid, status), ctx.voidPromise());
  }

  private void connect(CommandPdu c) {
    ConnectData d = c.connectData();
    int recfmt = c.cdw10() & 0xFFFF;
    int q = c.cdw10() >>> 16;
    int sqsize = c.cdw11() & 0xFFFF;
    int cattr = (c.cdw11() >>> 16) & 0xFF;
    int kato = c.cdw12();
    if (d == null || recfmt != 0) {
      respond(c.cid(), SC_CONNECT_INVALID_PARAM | DNR, d == null ? 24 : 40, 0);
      return;
    }
    if (sqsize < 1 || sqsize >= cfg.maxQueueEntries()) {
      respond(c.cid(), SC_CONNECT_INVALID_PARAM | DNR, 44, 0);
      return;
    }
    Subsystem s = null;
    if (!DISCOVERY_NQN.equals(d.subNqn())) {
      s = exports.subsystem(d.subNqn());
      if (s == null) {
        LOG.log(Level.INFO, "refused connect to unknown subsystem {0}", d.subNqn());
        respond(c.cid(), SC_CONNECT_INVALID_PARAM | DNR, (1 << 16) | ConnectData.SUBNQN_OFFSET, 0);
        return;
      }
      if (!s.allows(d.hostNqn())) {
        LOG.log(Level.WARNING, "refused host {0}: not allowed on {1}", d.hostNqn(), s.nqn());
        respond(c.cid(), SC_CONNECT_INVALID_HOST | DNR, (1 << 16) | ConnectData.HOSTNQN_OFFSET, 0);
        return;
      }
    } else if (q != 0) {
      respond(c.cid(), SC_CONNECT_INVALID_PARAM | DNR, 42, 0);
      return;
    }
    queueEntries = sqsize + 1;
    sqhd = 1 % queueEntries;
    sqFlowDisabled = (cattr & 0x04) != 0;
    if (q == 0) {
      ctrl = exports.newController(s, d.hostNqn(), d.hostId(), ctx.channel(), kato);
      qid = 0;
      armKeepAliveCheck();
      LOG.log(Level.INFO, "controller {0} for {1} on {2}, host {3}, kato {4} ms", ctrl.cntlid,
          ctrl.nqn(), ctx.channel().remoteAddress(), d.hostNqn(), kato);
    } else {
      Controller owner = exports.controller(d.cntlid());
      if (owner == null || owner.subsystem != s || !owner.hostNqn.equals(d.hostNqn())
          || !owner.attach(q, ctx.channel())) {
        respond(c.cid(), SC_CONNECT_INVALID_PARAM | DNR,
            (1 << 16) | ConnectData.CNTLID_OFFSET, 0);
        return;
      }
      ctrl = owner;
      qid = q;
      device = s.device();
      IoContext[] all = new IoContext[queueEntries];
      free = new int[queueEntries];
      for (int i = 0; i < queueEntries; i++) {
        all[i] = new IoContext(this, i);
        free[i] = queueEntries - 1 - i;
      }
      freeTop = queueEntries;
      // last, so a scrape that sees the slots sees them all free (see inFlight)
      slots = all;
    }
    respond(c.cid(), SC_SUCCESS, ctrl.cntlid, 0);
  }

  /**
   * One timer at the keep-alive deadline rather than a check every few hundred milliseconds: it
   * fires when the timeout would expire, and is armed again at the new deadline when a keep-alive
   * came meanwhile, so an idle controller wakes about once per keep-alive its host sends.
   */
  private void armKeepAliveCheck() {
    if (keepAliveCheck != null) {
      keepAliveCheck.cancel(false);
    }
    int kato = ctrl.katoMs;
    long delayNanos = kato <= 0 ? TimeUnit.MILLISECONDS.toNanos(KEEP_ALIVE_OFF_CHECK_MS)
        : Math.max(0, ctrl.lastKeepAliveNanos + TimeUnit.MILLISECONDS.toNanos(kato) - System.nanoTime())
            + TimeUnit.MILLISECONDS.toNanos(1);
    keepAliveCheck = ctx.executor().schedule(this::checkKeepAlive, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void checkKeepAlive() {
    if (!ctx.channel().isActive()) {
      return;
    }
    if (ctrl.keepAliveExpired(System.nanoTime())) {
      LOG.log(Level.WARNING, "controller {0} ({1}): keep-alive timeout of {2} ms expired",
          ctrl.cntlid, ctrl.hostNqn, ctrl.katoMs);
      exports.drop(ctrl);
    } else {
      armKeepAliveCheck();
    }
  }

  private void fabrics(CommandPdu c) {
    if (qid != 0) {
      respond(c.cid(), c.fctype() == FCTYPE_CONNECT ? SC_CMD_SEQ_ERROR | DNR : SC_INVALID_OPCODE | DNR);
      return;
    }
    int offset = c.cdw11();
    switch (c.fctype()) {
      case FCTYPE_PROPERTY_GET -> {
        long v;
        switch (offset) {
          case PROP_CAP -> v = (cfg.maxQueueEntries() - 1) | 1L << 16 | 15L << 24 | 1L << 37;
          case PROP_VS -> v = Pages.VERSION;
          case PROP_CC -> v = ctrl.cc & 0xFFFFFFFFL;
          case PROP_CSTS -> v = ctrl.csts & 0xFFFFFFFFL;
          default -> {
            respond(c.cid(), SC_INVALID_FIELD | DNR);
            return;
          }
        }
        respond(c.cid(), SC_SUCCESS, (int) v, (int) (v >>> 32));
      }
      case FCTYPE_PROPERTY_SET -> {
        if (offset != PROP_CC) {
          respond(c.cid(), SC_INVALID_FIELD | DNR);
          return;
        }
        ctrl.writeCc(c.cdw12());
        respond(c.cid(), SC_SUCCESS);
      }
      case FCTYPE_CONNECT -> respond(c.cid(), SC_CMD_SEQ_ERROR | DNR);
      default -> respond(c.cid(), SC_INVALID_OPCODE | DNR);
    }
  }

  // ------------------------------------------------------------------ admin

  private void admin(CommandPdu c) {
    switch (c.opcode()) {
      case ADMIN_IDENTIFY -> identify(c);
      case ADMIN_GET_LOG_PAGE -> getLogPage(c);
      case ADMIN_SET_FEATURES -> setFeatures(c);
      case ADMIN_GET_FEATURES -> getFeatures(c);
      case ADMIN_KEEP_ALIVE -> {
        ctrl.keepAlive();
        respond(c.cid(), SC_SUCCESS);
      }
      case ADMIN_ASYNC_EVENT -> {
        // Held until an event completes it (see sendAsyncEvents), or the controller goes away.
        if (outstandingAers >= Pages.AER_LIMIT) {
          respond(c.cid(), SC_AER_LIMIT | DNR);
        } else {
          aerCids[outstandingAers++] = c.cid();
          sendAsyncEvents();
        }
      }
      case ADMIN_ABORT -> respond(c.cid(), SC_SUCCESS, 1, 0);
      default -> respond(c.cid(), SC_INVALID_OPCODE | DNR);
    }
  }

  private void identify(CommandPdu c) {
    int cns = c.cdw10() & 0xFF;
    boolean ns1 = c.nsid() == 1 && !ctrl.discovery();
    ByteBuf page;
    if (cns == CNS_CONTROLLER) {
      page = Pages.identifyController(ctx.alloc(), ctrl, cfg, cfg.maxQueueEntries());
    } else if (ctrl.discovery()) {
      respond(c.cid(), SC_INVALID_FIELD | DNR);
      return;
    } else if (cns == CNS_ACTIVE_NS_LIST) {
      page = Pages.activeNamespaces(ctx.alloc(), c.nsid());
    } else if (cns == CNS_NAMESPACE || cns == CNS_NS_DESCRIPTORS) {
      if (!ns1) {
        respond(c.cid(), SC_INVALID_NS | DNR);
        return;
      }
      page = cns == CNS_NAMESPACE ? Pages.identifyNamespace(ctx.alloc(), ctrl.subsystem)
          : Pages.namespaceDescriptors(ctx.alloc(), ctrl.subsystem);
    } else {
      respond(c.cid(), SC_INVALID_FIELD | DNR);
      return;
    }
    sendData(c, page, 0);
  }

  private void getLogPage(CommandPdu c) {
    int lid = c.cdw10() & 0xFF;
    long dwords = ((c.cdw10() >>> 16) | ((long) (c.cdw11() & 0xFFFF) << 16)) + 1;
    long offset = (c.cdw12() & 0xFFFFFFFFL) | ((long) c.cdw13() << 32);
    ByteBuf page;
    boolean clearsAnaEvent = false;
    if (lid == LOG_DISCOVERY && ctrl.discovery()) {
      page = Pages.discoveryLog(ctx.alloc(), exports.genctr(), exports.visibleTo(ctrl.hostNqn),
          exports.traddr, exports.trsvcid);
    } else if (lid == LOG_ERROR) {
      page = Pages.errorLog(ctx.alloc());
    } else if (lid == LOG_SMART && !ctrl.discovery()) {
      page = Pages.smartLog(ctx.alloc());
    } else if (lid == LOG_ANA && !ctrl.discovery()) {
      page = Pages.anaLog(ctx.alloc(), ctrl.subsystem, (c.cdw10() & LOG_ANA_RGO) != 0);
      clearsAnaEvent = (c.cdw10() & LOG_RAE) == 0;
    } else {
      respond(c.cid(), SC_INVALID_FIELD | DNR);
      return;
    }
    if ((offset & 3) != 0 || dwords * 4 > 1 << 20) {
      page.release();
      respond(c.cid(), SC_INVALID_FIELD | DNR);
      return;
    }
    int len = (int) (dwords * 4);
    ByteBuf out = ctx.alloc().heapBuffer(len).writeZero(len);
    if (offset < page.readableBytes()) {
      int n = (int) Math.min(len, page.readableBytes() - offset);
      out.setBytes(0, page, (int) offset, n);
    }
    page.release();
    if (clearsAnaEvent) {
      // The host reads the current state: the event it was told of, or not yet, is cleared.
      ctrl.anaEventMasked = false;
      ctrl.anaEventPending = false;
    }
    sendData(c, out, 0);
  }

  // ------------------------------------------------------------------ async events

  /**
   * On the admin queue's event loop: the subsystem's ANA state changed. The notice goes out on
   * an outstanding Async Event Request, or waits for the next one; like any event type, it is
   * then masked until the host reads the ANA log (without RAE), so a burst of changes is one
   * notice and one read.
   */
  void anaChanged() {
    if (ctrl == null || qid != 0 || !ctx.channel().isActive()
        || (ctrl.asyncEventConfig & AEN_CFG_ANA_CHANGE) == 0) {
      return;
    }
    ctrl.anaEventPending = true;
    sendAsyncEvents();
  }

  /** Completes the oldest outstanding Async Event Request with a pending, unmasked event. */
  private void sendAsyncEvents() {
    if (ctrl.anaEventPending && !ctrl.anaEventMasked && outstandingAers > 0) {
      int cid = aerCids[0];
      System.arraycopy(aerCids, 1, aerCids, 0, --outstandingAers);
      ctrl.anaEventPending = false;
      ctrl.anaEventMasked = true;
      respond(cid, SC_SUCCESS, AEN_ANA_CHANGE, 0);
    }
  }

  private void setFeatures(CommandPdu c) {
    int fid = c.cdw10() & 0xFF;
    int v = c.cdw11();
    switch (fid) {
      case FEAT_NUM_QUEUES -> {
        int want = Math.min(v & 0xFFFF, v >>> 16) + 1;
        ctrl.grantedIoQueues = Math.min(want, ctrl.maxIoQueues);
        int g = ctrl.grantedIoQueues - 1;
        respond(c.cid(), SC_SUCCESS, g | g << 16, 0);
      }
      case FEAT_ASYNC_EVENT -> {
        ctrl.asyncEventConfig = v;
        respond(c.cid(), SC_SUCCESS);
      }
      case FEAT_KATO -> {
        ctrl.katoMs = v;
        ctrl.keepAlive();
        armKeepAliveCheck();
        respond(c.cid(), SC_SUCCESS);
      }
      case FEAT_VOLATILE_WC -> {
        ctrl.volatileWriteCache = (v & 1) != 0;
        respond(c.cid(), SC_SUCCESS);
      }
      default -> respond(c.cid(), SC_INVALID_FIELD | DNR);
    }
  }

  private void getFeatures(CommandPdu c) {
    int fid = c.cdw10() & 0xFF;
    switch (fid) {
      case FEAT_NUM_QUEUES -> {
        int g = ctrl.grantedIoQueues - 1;
        respond(c.cid(), SC_SUCCESS, g | g << 16, 0);
      }
      case FEAT_ASYNC_EVENT -> respond(c.cid(), SC_SUCCESS, ctrl.asyncEventConfig, 0);
      case FEAT_KATO -> respond(c.cid(), SC_SUCCESS, ctrl.katoMs, 0);
      case FEAT_VOLATILE_WC -> respond(c.cid(), SC_SUCCESS, ctrl.volatileWriteCache ? 1 : 0, 0);
      default -> respond(c.cid(), SC_INVALID_FIELD | DNR);
    }
  }

  /** Sends controller-to-host data of an admin command, cut to what the host asked for. */
  private void sendData(CommandPdu c, ByteBuf page, int status) {
    int len = Math.min(page.readableBytes(), c.sglLength());
    if (c.sglId() != SGL_TRANSPORT || len <= 0) {
      page.release();
      respond(c.cid(), c.sglLength() == 0 ? status : SC_SGL_INVALID_TYPE | DNR);
      return;
    }
    page.writerIndex(page.readerIndex() + len);
    ctx.write(new Pdu.C2HData(c.cid(), 0, true, false, page), ctx.voidPromise());
    respond(c.cid(), status);
  }

  // ------------------------------------------------------------------ I/O

  private void io(CommandPdu c) {
    int op = c.opcode();
    if (op == IO_RESV_REGISTER || op == IO_RESV_ACQUIRE || op == IO_RESV_RELEASE
        || op == IO_RESV_REPORT) {
      reservation(c);
      return;
    }
    if (op != IO_READ && op != IO_WRITE && op != IO_FLUSH && op != IO_WRITE_ZEROES
        && op != IO_DSM) {
      respond(c.cid(), SC_INVALID_OPCODE | DNR);
      return;
    }
    if (c.nsid() != 1 && !(op == IO_FLUSH && c.nsid() == -1)) {
      respond(c.cid(), SC_INVALID_NS | DNR);
      return;
    }
    // ANA: a path that does not serve the namespace answers every I/O command with a
    // retryable path error, so the host's multipath sends it down another path.
    int anaStatus = ctrl.subsystem.anaIoStatus();
    if (anaStatus != 0) {
      respond(c.cid(), anaStatus);
      return;
    }
    if (freeTop == 0) {
      respond(c.cid(), SC_CMD_SEQ_ERROR);
      return;
    }
    if ((op == IO_WRITE || op == IO_WRITE_ZEROES || op == IO_DSM)
        && !ctrl.subsystem.mayWrite(ctrl.hostId)) {
      // Another host holds a write-exclusive reservation: this host has been fenced.
      respond(c.cid(), SC_RESERVATION_CONFLICT);
      return;
    }
    int bs = device.blockSize();
    long slba = (c.cdw10() & 0xFFFFFFFFL) | ((long) c.cdw11() << 32);
    long nlb = (c.cdw12() & 0xFFFF) + 1L;
    if ((op == IO_READ || op == IO_WRITE || op == IO_WRITE_ZEROES)
        && (slba < 0 || slba + nlb > device.blockCount())) {
      respond(c.cid(), SC_LBA_RANGE | DNR);
      return;
    }
    switch (op) {
      case IO_READ, IO_WRITE -> readWrite(c, op, slba * bs, (int) (nlb * bs));
      case IO_FLUSH -> device.flush(take(c.cid(), op, 0, 0));
      case IO_WRITE_ZEROES -> device.writeZeroes(slba * bs, nlb * bs, take(c.cid(), op, 0, 0));
      default -> dsm(c);
    }
  }

  private void readWrite(CommandPdu c, int op, long offset, int length) {
    if (length > cfg.mdtsBytes()) {
      respond(c.cid(), SC_INVALID_FIELD | DNR);
      return;
    }
    boolean inCapsule = c.sglId() == SGL_INCAPSULE && c.hasData();
    boolean transport = c.sglId() == SGL_TRANSPORT && !c.hasData();
    int sglLen = inCapsule ? c.dataLength() : c.sglLength();
    if (!(inCapsule && op == IO_WRITE) && !transport || sglLen != length) {
      respond(c.cid(), SC_SGL_INVALID_DATA | DNR);
      return;
    }
    IoContext x = take(c.cid(), op, offset, length);
    if (op == IO_READ) {
      device.read(offset, x.buf, 0, length, x);
    } else if (inCapsule) {
      c.copyDataTo(x.buf, 0);
      device.write(offset, x.buf, 0, length, x);
    } else {
      x.awaitingData = true;
      ctx.writeAndFlush(r2t.set(c.cid(), x.ttag, 0, length), ctx.voidPromise());
    }
  }

  private void dsm(CommandPdu c) {
    int ranges = (c.cdw10() & 0xFF) + 1;
    boolean deallocate = (c.cdw11() & 0x04) != 0;
    // Linux always sends room for 256 ranges (4 KiB) whatever NR says; only NR ranges count.
    int len = c.hasData() ? c.dataLength() : c.sglLength();
    if (!deallocate) {
      respond(c.cid(), SC_SUCCESS);
      return;
    }
    if (len < ranges * 16 || len > 4096) {
      respond(c.cid(), SC_SGL_INVALID_DATA | DNR);
      return;
    }
    IoContext x = take(c.cid(), IO_DSM, 0, len);
    x.dsmRanges = ranges;
    if (c.hasData() && c.sglId() == SGL_INCAPSULE) {
      c.copyDataTo(x.buf, 0);
      startRanges(x);
    } else if (!c.hasData() && c.sglId() == SGL_TRANSPORT) {
      x.awaitingData = true;
      ctx.writeAndFlush(r2t.set(c.cid(), x.ttag, 0, len), ctx.voidPromise());
    } else {
      x.error = BdevException.io(BdevException.Kind.INVALID, device.uri(),
          "DSM data must be in the capsule or sent after R2T");
      complete(x);
    }
  }

  private void startRanges(IoContext x) {
    int n = x.dsmRanges;
    if (x.dsmOffset == null) {
      x.dsmOffset = new long[256];
      x.dsmLength = new long[256];
    }
    int bs = device.blockSize();
    int count = 0;
    for (int i = 0; i < n; i++) {
      long nlb = Integer.toUnsignedLong(Integer.reverseBytes(x.buf.getInt(i * 16 + 4)));
      long slba = Long.reverseBytes(x.buf.getLong(i * 16 + 8));
      if (nlb == 0) {
        continue;
      }
      if (slba < 0 || slba + nlb > device.blockCount()) {
        x.error = BdevException.io(BdevException.Kind.OUT_OF_RANGE, device.uri(),
            "DSM range " + slba + "+" + nlb + " past the end");
        complete(x);
        return;
      }
      x.dsmOffset[count] = slba * bs;
      x.dsmLength[count] = nlb * bs;
      count++;
    }
    x.dsmCount = count;
    x.dsmNext = 0;
    if (count == 0) {
      complete(x);
    } else {
      nextRange(x);
    }
  }

  /** Submits the next Dataset Management range of {@code x}. */
  void nextRange(IoContext x) {
    int i = x.dsmNext++;
    device.unmap(x.dsmOffset[i], x.dsmLength[i], x);
  }

  // ------------------------------------------------------------------ reservations

  /**
   * Reservation Register, Acquire, Release and Report on namespace 1. Rare control commands:
   * they may allocate, and run under the subsystem's lock (see {@link Subsystem#reserve}). The
   * 8 or 16 bytes of keys come in the capsule, as every host sends data this small.
   */
  private void reservation(CommandPdu c) {
    if (c.nsid() != 1) {
      respond(c.cid(), SC_INVALID_NS | DNR);
      return;
    }
    Subsystem s = ctrl.subsystem;
    java.util.UUID host = ctrl.hostId;
    int op = c.opcode();
    int cdw10 = c.cdw10();
    if (op == IO_RESV_REPORT) {
      boolean extended = (c.cdw11() & 1) != 0;
      byte[] report = s.reservations().report(extended);
      long want = ((cdw10 & 0xFFFFFFFFL) + 1) * 4;
      int len = (int) Math.min(report.length, want);
      ByteBuf page = ctx.alloc().heapBuffer(Math.max(len, 1));
      page.writeBytes(report, 0, len);
      sendData(c, page, SC_SUCCESS);
      return;
    }
    int need = op == IO_RESV_RELEASE ? 8 : 16;
    if (!c.hasData() || c.sglId() != SGL_INCAPSULE || c.dataLength() < need) {
      respond(c.cid(), SC_SGL_INVALID_DATA | DNR);
      return;
    }
    byte[] keys = new byte[c.dataLength()];
    c.copyDataTo(keys, 0);
    java.nio.ByteBuffer k = java.nio.ByteBuffer.wrap(keys).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long crkey = k.getLong(0);
    long second = need == 16 ? k.getLong(8) : 0;
    int action = cdw10 & 7;
    boolean iekey = (cdw10 & 8) != 0;
    int rtype = (cdw10 >>> 8) & 0xFF;
    int status = switch (op) {
      case IO_RESV_REGISTER -> s.reserve(r -> r.register(host, action, iekey, crkey, second));
      case IO_RESV_ACQUIRE -> s.reserve(r -> r.acquire(host, action, rtype, crkey, second));
      default -> s.reserve(r -> r.release(host, action, rtype, crkey));
    };
    if (status != SC_SUCCESS) {
      LOG.log(Level.INFO, "{0}: reservation command 0x{1} from host {2} ({3}) refused: status"
          + " 0x{4}", s.nqn(), Integer.toHexString(op), ctrl.hostNqn, host,
          Integer.toHexString(status));
    }
    respond(c.cid(), status);
  }

  private void h2cData(DataPdu d) throws PduException {
    IoContext x = slots == null || d.ttag() >= slots.length ? null : slots[d.ttag()];
    if (x == null || !x.awaitingData || x.cid != d.cccid()) {
      throw new PduException(Wire.FES_INVALID_HEADER, 10,
          "H2CData for unknown transfer tag " + d.ttag() + " / command " + d.cccid());
    }
    int len = d.dataLength();
    if (d.offset() != x.received || len > x.length - x.received || len > cfg.maxH2cData()) {
      throw new PduException(Wire.FES_OUT_OF_RANGE, 12, "H2CData offset " + d.offset()
          + " length " + len + " does not fit command " + x.cid + " of " + x.length + " bytes");
    }
    d.copyDataTo(x.buf, d.offset());
    x.received += len;
    if (x.received == x.length) {
      x.awaitingData = false;
      if (!ctrl.subsystem.mayWrite(ctrl.hostId)) {
        // Preempted while the data was on its way: the write must not land after the preempt.
        x.error = BdevException.io(BdevException.Kind.RESERVATION_CONFLICT, device.uri(),
            "host " + ctrl.hostNqn + " lost its reservation");
        complete(x);
      } else if (x.opcode == IO_DSM) {
        startRanges(x);
      } else {
        device.write(x.offset, x.buf, 0, x.length, x);
      }
    }
  }

  private IoContext take(int cid, int op, long offset, int length) {
    IoContext x = slots[free[--freeTop]];
    x.start(cid, op, offset, length);
    return x;
  }

  /** Sends the outcome of {@code x} and frees its slot; on the event loop. */
  void complete(IoContext x) {
    int cid = x.cid;
    BdevException err = x.error;
    free[freeTop++] = x.ttag;
    if (err == null && x.opcode == IO_READ) {
      c2h.c2h(cid, 0, true, sqFlowDisabled, x.buf, 0, x.length);
      if (sqFlowDisabled) {
        ctx.writeAndFlush(c2h, ctx.voidPromise());
        return;
      }
      ctx.write(c2h, ctx.voidPromise());
    }
    respond(cid, err == null ? SC_SUCCESS : status(err, x.opcode));
  }

  private static int status(BdevException e, int op) {
    return switch (e.kind()) {
      case OUT_OF_RANGE -> SC_LBA_RANGE | DNR;
      case INVALID, NOT_SUPPORTED -> SC_INVALID_FIELD | DNR;
      case NO_SPACE -> SC_CAP_EXCEEDED | DNR;
      case IO_ERROR -> op == IO_READ ? SC_READ_ERROR : SC_WRITE_FAULT;
      case TIMED_OUT, QUEUE_FULL, CLOSED -> SC_NS_NOT_READY;
      case RESERVATION_CONFLICT -> SC_RESERVATION_CONFLICT;
      default -> SC_INTERNAL;
    };
  }
}
