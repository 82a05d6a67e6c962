package io.caspian.nvmf.host;

import static io.caspian.nvmf.Nvme.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.IoType;
import io.caspian.nvmf.CommandPdu;
import io.caspian.nvmf.DataPdu;
import io.caspian.nvmf.Pdu;
import io.caspian.nvmf.PduCodec;
import io.caspian.nvmf.PduException;
import io.caspian.nvmf.PduFrameDecoder;
import io.caspian.nvmf.R2tPdu;
import io.caspian.nvmf.ResponsePdu;
import io.caspian.nvmf.Transport;
import io.caspian.nvmf.Wire;
import io.caspian.nvmf.WireState;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One host queue (admin or I/O) of an {@link NvmfDevice}. The queue outlives its TCP
 * connections: after a reconnect the same slots continue on a new channel. Everything but the
 * free-slot stack is confined to the queue's event loop. Read and write commands and their data
 * go out through reusable PDUs straight from the caller's buffer, and answers are copied from
 * the codec's views into it, so an I/O allocates nothing here.
 */
final class HostQueue {

  private static final System.Logger LOG = System.getLogger(HostQueue.class.getName());
  /** Command ids from here up are control commands (Connect, admin), below are I/O slots. */
  private static final int CONTROL_CID = 0x8000;
  /** The largest data PDU accepted from a target. */
  static final int MAX_RECEIVE = 4 << 20;
  /** Largest command the host sends when the target sets no limit (MDTS 0). */
  static final int DEFAULT_CHUNK = 1 << 20;
  /**
   * I/Os one queue takes before it refuses with QUEUE_FULL, of which only the queue's depth are
   * on the wire; the rest wait their turn here. A nexus fans its front-end I/O (a kernel host
   * sends 2 x 128 and more at once) out to such a device, and refusing at the depth (32) would
   * fault a healthy child for being busy.
   */
  static final int MAX_REQUESTS = 1024;

  /** A control command's outcome; {@code data} holds what the controller sent back. */
  record Reply(int status, long result, byte[] data) {}

  private record Control(CompletableFuture<Reply> future, byte[] data) {}

  final NvmfDevice dev;
  final int qid;
  final EventLoop loop;
  private final HostIo[] slots;
  /** Slots made so far: command ids 0 to made - 1. */
  private int made;
  /** Ids of made slots not in use (a stack); grows with {@link #made}. */
  private int[] free = new int[16];
  private int freeTop;
  /** The most I/O commands on the wire at once: the queue's depth. */
  private int window;
  /** I/Os on the wire (state SENT). */
  private int sent;
  /** I/Os in state QUEUED, in the order they go out; never holds more than the slots. */
  private final ArrayDeque<HostIo> waiting;

  private Channel ch;
  private boolean ready;
  private int maxH2cData;
  private int inCapsule;
  private int chunkMax = DEFAULT_CHUNK;
  private int blockSize = 512;
  /**
   * The most blocks one deallocate or write-zeroes command may name: its byte length is counted in an
   * int, and a 4 GiB chunk of 4 KiB blocks would count as 0 and be sent again forever.
   */
  private long maxChunkBlocks = Integer.MAX_VALUE / 512;
  private final Map<Integer, Control> controls = new HashMap<>();
  private int nextControl = CONTROL_CID;
  private final CommandPdu cmd = new CommandPdu();
  private final DataPdu h2c = new DataPdu();
  /**
   * Fails what is past its deadline, at the earliest deadline of the I/Os held: an I/O times out
   * within milliseconds of its deadline, and an idle queue has no timer at all. Armed at most once
   * per deadline, not per I/O: a busy queue's timer fires about once per I/O timeout.
   */
  private final Runnable expiry = this::expireDue;
  private boolean expiryArmed;

  HostQueue(NvmfDevice dev, int qid, EventLoop loop, int depth) {
    this.dev = dev;
    this.qid = qid;
    this.loop = loop;
    int requests = Math.max(depth, MAX_REQUESTS);
    // Slots are made on first use, then reused: an idle queue, as most are when a node holds
    // thousands of volumes, costs a few hundred bytes, not a thousand slots and their lists. The
    // lists grow to the queue's high-water mark and stay there, so a steady load allocates nothing.
    this.slots = new HostIo[requests];
    this.window = depth;
    this.waiting = new ArrayDeque<>();
  }

  // ------------------------------------------------------------------ slots (any thread)

  synchronized HostIo acquire() {
    if (freeTop > 0) {
      return slots[free[--freeTop]];
    }
    if (made == slots.length) {
      return null;
    }
    HostIo io = new HostIo(this, made);
    slots[made++] = io;
    if (free.length < made) {
      free = Arrays.copyOf(free, Math.min(slots.length, free.length * 2));
    }
    return io;
  }

  private synchronized void release(HostIo io) {
    free[freeTop++] = io.cid;
  }

  /**
   * Puts at most {@code depth} commands on the wire, when the controller takes fewer than the
   * options asked for. Before any I/O is submitted.
   */
  void restrict(int depth) {
    loop.execute(() -> window = Math.min(window, depth));
  }

  // ------------------------------------------------------------------ connection

  /** Opens a TCP connection and does the ICReq exchange; completes on the event loop. */
  CompletableFuture<Void> connect(HostOptions o) {
    CompletableFuture<Void> up = new CompletableFuture<>();
    WireState wire = new WireState(false, Wire.IC_LEN);
    Bootstrap b = new Bootstrap().group(loop).channel(Transport.channel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) o.connectTimeoutMs())
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel c) {
            c.pipeline().addLast(new FlushConsolidationHandler(256, false),
                new PduFrameDecoder(wire), new PduCodec(wire), new Handler(wire, up));
          }
        });
    b.connect(o.host(), o.port()).addListener((ChannelFuture f) -> {
      if (!f.isSuccess()) {
        up.completeExceptionally(f.cause());
        return;
      }
      f.channel().writeAndFlush(new Pdu.IcReq(0, 0, o.headerDigest(), o.dataDigest(), 0));
    });
    return up;
  }

  /** The I/O limits learnt from Identify; on the event loop before {@link #ready}. */
  void limits(long mdtsBytes, int inCapsuleBytes, int blockSize) {
    this.chunkMax = (int) Math.min(mdtsBytes == 0 ? DEFAULT_CHUNK : mdtsBytes, DEFAULT_CHUNK);
    this.inCapsule = inCapsuleBytes;
    this.blockSize = blockSize;
    this.maxChunkBlocks = Integer.MAX_VALUE / blockSize;
  }

  /** The queue is connected: send what waited for it, as the window allows. On the event loop. */
  void ready() {
    ready = true;
    drain();
  }

  private void drain() {
    while (ready && sent < window && !waiting.isEmpty()) {
      send(waiting.pollFirst());
    }
  }

  /** Closes the current connection, if any. On the event loop. */
  void disconnect() {
    if (ch != null) {
      ch.close();
    }
  }

  private void lost(Channel c, Throwable why) {
    if (c != ch) {
      return;
    }
    ch = null;
    ready = false;
    // Commands on the lost connection go out again first, before those that never went out.
    for (HostIo io : slots) {
      if (io != null && io.state == HostIo.SENT) {
        io.state = HostIo.QUEUED;
        waiting.addFirst(io);
      }
    }
    sent = 0;
    IOException e = new IOException("queue " + qid + " connection lost", why);
    for (Control c2 : controls.values()) {
      c2.future().completeExceptionally(e);
    }
    controls.clear();
    dev.connectionLost(this, why);
  }

  // ------------------------------------------------------------------ control commands

  /** Sends a control command (Connect, admin, properties); any thread. */
  CompletableFuture<Reply> call(int opcode, int nsid, int cdw10, int cdw11, int cdw12, int cdw13,
      ByteBuf dataOut, int dataInLength) {
    CompletableFuture<Reply> f = new CompletableFuture<>();
    loop.execute(() -> {
      if (ch == null) {
        if (dataOut != null) {
          dataOut.release();
        }
        f.completeExceptionally(new IOException("queue " + qid + " is not connected"));
        return;
      }
      int cid = nextControl;
      nextControl = nextControl == 0xFFFF ? CONTROL_CID : nextControl + 1;
      controls.put(cid, new Control(f, new byte[dataInLength]));
      int sglId = dataOut != null ? SGL_INCAPSULE : SGL_TRANSPORT;
      int sglLen = dataOut != null ? dataOut.readableBytes() : dataInLength;
      ch.writeAndFlush(new Pdu.CapsuleCmd(opcode, 0x40, cid, nsid, 0, sglLen, sglId, cdw10,
          cdw11, cdw12, cdw13, 0, 0, dataOut), ch.voidPromise());
    });
    return f;
  }

  // ------------------------------------------------------------------ I/O (event loop)

  void start(HostIo io) {
    io.chunkStart = 0;
    if (!expiryArmed) {
      armExpiry(io.deadlineNanos);
    }
    if (ready && sent < window) {
      send(io);
    } else {
      io.state = HostIo.QUEUED;
      waiting.addLast(io);
    }
  }

  private void send(HostIo io) {
    sent++;
    sendChunk(io);
  }

  private void sendChunk(HostIo io) {
    long remaining = io.length - io.chunkStart;
    long at = io.offset + io.chunkStart;
    long slba = at / blockSize;
    int lo = (int) slba;
    int hi = (int) (slba >>> 32);
    io.state = HostIo.SENT;
    switch (io.type) {
      case READ, WRITE -> {
        int n = (int) Math.min(remaining, chunkMax);
        io.chunkLength = n;
        int nlb = n / blockSize - 1;
        boolean inCapsuleData = io.type == IoType.WRITE && n <= inCapsule;
        cmd.set(io.type == IoType.READ ? IO_READ : IO_WRITE, 0x40, io.cid, 1, 0, n,
            inCapsuleData ? SGL_INCAPSULE : SGL_TRANSPORT, lo, hi, nlb, 0, 0, 0);
        if (inCapsuleData) {
          cmd.data(io.buf, io.bufOffset + (int) io.chunkStart, n);
        }
      }
      case FLUSH -> {
        io.chunkLength = 0;
        cmd.set(IO_FLUSH, 0x40, io.cid, 1, 0, 0, SGL_TRANSPORT, 0, 0, 0, 0, 0, 0);
      }
      case WRITE_ZEROES -> {
        long blocks = Math.min(remaining / blockSize, Math.min(65536, maxChunkBlocks));
        io.chunkLength = (int) (blocks * blockSize);
        cmd.set(IO_WRITE_ZEROES, 0x40, io.cid, 1, 0, 0, SGL_TRANSPORT, lo, hi, (int) blocks - 1,
            0, 0, 0);
      }
      default -> {
        // Deallocate is off the read/write path: its 16-byte range goes as a record.
        long blocks = Math.min(remaining / blockSize, Math.min(1 << 20, maxChunkBlocks));
        io.chunkLength = (int) (blocks * blockSize);
        ByteBuf range = ch.alloc().directBuffer(16).writeIntLE(0).writeIntLE((int) blocks)
            .writeLongLE(slba);
        ch.writeAndFlush(new Pdu.CapsuleCmd(IO_DSM, 0x40, io.cid, 1, 0, 16, SGL_INCAPSULE, 0,
            0x04, 0, 0, 0, 0, range), ch.voidPromise());
        return;
      }
    }
    ch.writeAndFlush(cmd, ch.voidPromise());
  }

  private HostIo inFlight(int cid) {
    if (cid >= slots.length) {
      return null;
    }
    HostIo io = slots[cid];
    return io != null && io.state == HostIo.SENT ? io : null;
  }

  private void response(int cid, int status, int dw0, int dw1) {
    if (cid >= CONTROL_CID) {
      Control c = controls.remove(cid);
      if (c != null) {
        c.future().complete(new Reply(status, (dw0 & 0xFFFFFFFFL) | ((long) dw1 << 32),
            c.data()));
      }
      return;
    }
    HostIo io = inFlight(cid);
    if (io == null) {
      LOG.log(Level.DEBUG, "response for idle command {0} on queue {1}", cid, qid);
    } else if (status != 0) {
      finish(io, dev.statusError(io.type, status));
      drain();
    } else {
      chunkDone(io);
    }
  }

  private void chunkDone(HostIo io) {
    io.chunkStart += io.chunkLength;
    if (io.chunkStart < io.length) {
      sendChunk(io);
    } else {
      finish(io, null);
      drain();
    }
  }

  private void c2hData(DataPdu d) throws PduException {
    int len = d.dataLength();
    if (d.cccid() >= CONTROL_CID) {
      Control c = controls.get(d.cccid());
      if (c == null || d.offset() < 0 || d.offset() + len > c.data().length) {
        throw new PduException(Wire.FES_OUT_OF_RANGE, 12, "C2HData outside control command "
            + d.cccid());
      }
      d.copyDataTo(c.data(), d.offset());
      if (d.success()) {
        response(d.cccid(), 0, 0, 0);
      }
      return;
    }
    HostIo io = inFlight(d.cccid());
    if (io == null || io.type != IoType.READ || d.offset() < 0
        || (long) d.offset() + len > io.chunkLength) {
      throw new PduException(Wire.FES_OUT_OF_RANGE, 12, "C2HData offset " + d.offset()
          + " length " + len + " outside command " + d.cccid());
    }
    d.copyDataTo(io.buf, io.bufOffset + (int) io.chunkStart + d.offset());
    if (d.success()) {
      chunkDone(io);
    }
  }

  private void r2t(R2tPdu r) throws PduException {
    HostIo io = inFlight(r.cccid());
    if (io == null || io.type != IoType.WRITE || r.offset() < 0 || r.length() <= 0
        || (long) r.offset() + r.length() > io.chunkLength) {
      throw new PduException(Wire.FES_OUT_OF_RANGE, 12, "R2T offset " + r.offset() + " length "
          + r.length() + " outside command " + r.cccid());
    }
    int end = r.offset() + r.length();
    int step = maxH2cData > 0 ? maxH2cData : end;
    for (int off = r.offset(); off < end; off += step) {
      int n = Math.min(step, end - off);
      ch.write(h2c.h2c(r.cccid(), r.ttag(), off, off + n == end, io.buf,
          io.bufOffset + (int) io.chunkStart + off, n), ch.voidPromise());
    }
    ch.flush();
  }

  /** Completes {@code io} and frees its slot; the caller sends what waits once it may. */
  private void finish(HostIo io, BdevException err) {
    if (io.state == HostIo.SENT) {
      sent--;
    } else if (io.state == HostIo.QUEUED) {
      // Only on a timeout or a close: a search of the waiting ones is fine there.
      waiting.remove(io);
    }
    io.state = HostIo.FREE;
    io.buf = null;
    io.type = null;
    var done = io.done;
    io.done = null;
    release(io);
    done.ioDone(err);
  }

  private void armExpiry(long deadlineNanos) {
    expiryArmed = true;
    loop.schedule(expiry, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private void expireDue() {
    expiryArmed = false;
    expire(System.nanoTime());
    if (expiryArmed) {
      return; // a completion submitted a new I/O, which armed the timer
    }
    long earliest = 0;
    boolean any = false;
    for (HostIo io : slots) {
      if (io != null && io.state != HostIo.FREE && (!any || io.deadlineNanos - earliest < 0)) {
        earliest = io.deadlineNanos;
        any = true;
      }
    }
    if (any) {
      armExpiry(earliest);
    }
  }

  /** Fails I/Os past their deadline; a stuck command also costs the connection. */
  private void expire(long now) {
    boolean stuck = false;
    for (HostIo io : slots) {
      if (io != null && io.state != HostIo.FREE && now - io.deadlineNanos > 0) {
        stuck |= io.state == HostIo.SENT;
        finish(io, BdevException.io(BdevException.Kind.TIMED_OUT, dev.uri(),
            io.type + " at offset " + io.offset + " timed out after "
            + dev.options().ioTimeoutMs() + " ms"));
      }
    }
    if (stuck && ch != null) {
      // The target may still answer the old command id; a new connection rules that out.
      LOG.log(Level.WARNING, "{0}: I/O timed out on queue {1}; reconnecting", dev.uri(), qid);
      ch.close();
    } else {
      drain();
    }
  }

  /** Fails every I/O this queue holds; on the event loop. */
  void failAll(BdevException err) {
    for (HostIo io : slots) {
      if (io != null && io.state != HostIo.FREE) {
        finish(io, err);
      }
    }
  }

  /** The pipeline's last handler for one connection of this queue. */
  private final class Handler extends ChannelInboundHandlerAdapter {

    private final WireState wire;
    private final CompletableFuture<Void> up;

    Handler(WireState wire, CompletableFuture<Void> up) {
      this.wire = wire;
      this.up = up;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws PduException {
      if (msg instanceof ResponsePdu r) {
        response(r.cid(), r.status(), r.dw0(), r.dw1());
      } else if (msg instanceof DataPdu d) {
        c2hData(d);
      } else if (msg instanceof R2tPdu r) {
        r2t(r);
      } else if (msg instanceof Pdu.IcResp r) {
        if (r.pfv() != 0 || r.cpda() != 0 && r.cpda() > 31) {
          throw new PduException(Wire.FES_UNSUPPORTED, 8, "ICResp pfv " + r.pfv());
        }
        wire.negotiated(r.hdgst(), r.ddgst());
        wire.maxData(MAX_RECEIVE);
        maxH2cData = r.maxH2cData();
        ch = ctx.channel();
        up.complete(null);
      } else if (msg instanceof Pdu.TermReq t) {
        LOG.log(Level.WARNING, "{0}: target terminated queue {1}: FES {2}", dev.uri(), qid,
            t.fes());
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable t = cause;
      while (t != null && !(t instanceof PduException)) {
        t = t.getCause();
      }
      LOG.log(Level.WARNING, dev.uri() + ": closing queue " + qid, cause);
      if (t instanceof PduException p) {
        ctx.writeAndFlush(new Pdu.TermReq(false, p.fes(), p.fei()))
            .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
      } else {
        ctx.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      up.completeExceptionally(new IOException(dev.uri() + ": connection closed during ICReq"));
      lost(ctx.channel(), null);
    }
  }
}
