package io.caspian.nbd;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.EventExecutor;

/**
 * Maps decoded {@link Request}s of one connection to calls on the exported {@link BlockDevice}
 * and sends each reply when its I/O completes, in completion order.
 *
 * <p>Validation happens here, before the device sees a request: out-of-range and malformed
 * requests get an NBD error and the connection carries on. Device completions may arrive on any
 * thread; the request itself is then queued to the event loop (it is a {@link Runnable}). Replies
 * written while a socket read is being processed are flushed once at its end; replies from other
 * threads share one flush task per batch.
 */
final class TransmissionHandler extends ChannelInboundHandlerAdapter {

  private static final System.Logger LOG = System.getLogger(TransmissionHandler.class.getName());

  private final NbdExport export;
  private final BlockDevice dev;
  private final long size;
  private final int blockSize;
  private final boolean structured;
  private final boolean blockStatus;
  private final RequestPool pool;
  private final Runnable flushTask = this::flushNow;

  private ChannelHandlerContext ctx;
  private EventExecutor loop;
  private int inFlight;
  private boolean inReadBatch;
  private boolean flushScheduled;
  private boolean disconnecting;

  TransmissionHandler(NbdExport export, RequestPool pool, boolean structured,
      boolean blockStatus) {
    this.export = export;
    this.dev = export.device();
    this.size = dev.size();
    this.blockSize = dev.blockSize();
    this.structured = structured;
    this.blockStatus = blockStatus;
    this.pool = pool;
  }

  /**
   * Requests received and not yet answered, for a metrics scrape on another thread. Only the
   * event loop writes the field, and a plain one, so the I/O path pays nothing for the metric; a
   * scrape's racy read of an int sees a recent value, which is all a gauge needs.
   */
  int inFlight() {
    return inFlight;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.loop = ctx.executor();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Request r)) {
      ctx.fireChannelRead(msg);
      return;
    }
    r.owner = this;
    inFlight++;
    inReadBatch = true;
    dispatch(r);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    inReadBatch = false;
    ctx.flush();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    NbdServer.connectionFailed(ctx, cause);
  }

  private void dispatch(Request r) {
    if (r.error != 0) {
      complete(r);
      return;
    }
    switch (r.type) {
      case Nbd.CMD_READ -> read(r);
      case Nbd.CMD_WRITE -> write(r);
      case Nbd.CMD_FLUSH -> flush(r);
      case Nbd.CMD_TRIM -> trim(r);
      case Nbd.CMD_WRITE_ZEROES -> writeZeroes(r);
      case Nbd.CMD_BLOCK_STATUS -> blockStatus(r);
      case Nbd.CMD_DISC -> disconnect(r);
      default -> reject(r, Nbd.EINVAL, "unknown NBD command " + r.type);
    }
  }

  private void read(Request r) {
    if (!flagsAllowed(r, Nbd.CMD_FLAG_FUA | (structured ? Nbd.CMD_FLAG_DF : 0))) {
      return;
    }
    if (r.length > Nbd.MAX_PAYLOAD) {
      reject(r, structured ? Nbd.EOVERFLOW : Nbd.EINVAL, "READ of " + r.length
          + " bytes exceeds the maximum payload of " + Nbd.MAX_PAYLOAD + " bytes");
    } else if (!inBounds(r, Nbd.EINVAL)) {
      return;
    } else if (r.length == 0) {
      complete(r);
    } else if (aligned(r.offset, r.length)) {
      r.dataBuffer((int) r.length);
      dev.read(r.offset, r.buf, 0, (int) r.length, r);
    } else {
      UnalignedIo.read(dev, r);
    }
  }

  private void write(Request r) {
    if (!flagsAllowed(r, Nbd.CMD_FLAG_FUA) || !writable(r) || !inBounds(r, Nbd.ENOSPC)) {
      return;
    }
    if (r.length == 0) {
      complete(r);
    } else if (aligned(r.offset, r.length) && export.gate().tryEnterShared()) {
      r.gate = Request.GATE_SHARED;
      dev.write(r.offset, r.buf, 0, (int) r.length, r);
    } else {
      r.gate = Request.GATE_EXCLUSIVE;
      export.gate().enqueue(r);
    }
  }

  private void flush(Request r) {
    if (flagsAllowed(r, Nbd.CMD_FLAG_FUA)) {
      dev.flush(r);
    }
  }

  private void trim(Request r) {
    if (!flagsAllowed(r, Nbd.CMD_FLAG_FUA) || !writable(r) || !inBounds(r, Nbd.EINVAL)) {
      return;
    }
    // TRIM is advisory, so shrinking it to whole blocks is allowed and needs no read-modify-write.
    long start = ceil(r.offset);
    long end = (r.offset + r.length) / blockSize * blockSize;
    if (end <= start) {
      complete(r);
      return;
    }
    r.offset = start;
    r.length = end - start;
    if (export.gate().tryEnterShared()) {
      r.gate = Request.GATE_SHARED;
      dev.unmap(r.offset, r.length, r);
    } else {
      r.gate = Request.GATE_EXCLUSIVE;
      export.gate().enqueue(r);
    }
  }

  private void writeZeroes(Request r) {
    if (!flagsAllowed(r, Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE) || !writable(r)
        || !inBounds(r, Nbd.ENOSPC)) {
      return;
    }
    if (r.length == 0) {
      complete(r);
    } else if (aligned(r.offset, r.length) && export.gate().tryEnterShared()) {
      r.gate = Request.GATE_SHARED;
      dev.writeZeroes(r.offset, r.length, r);
    } else {
      r.gate = Request.GATE_EXCLUSIVE;
      export.gate().enqueue(r);
    }
  }

  /** Extents probed per BLOCK_STATUS request at most; fewer, longer ones are fine for clients. */
  private static final int MAX_PROBES = 256;
  private static final long MIN_EXTENT = 64 * 1024;

  /**
   * Answers base:allocation from {@link BlockDevice#mayHoldData}: the range is probed in up to
   * {@link #MAX_PROBES} aligned pieces, equal neighbours merged. A rare, allocating path.
   */
  private void blockStatus(Request r) {
    if (!blockStatus) {
      reject(r, Nbd.EINVAL, "BLOCK_STATUS without a negotiated base:allocation context");
      return;
    }
    if (!flagsAllowed(r, Nbd.CMD_FLAG_REQ_ONE) || !inBounds(r, Nbd.EINVAL)) {
      return;
    }
    if (r.length == 0) {
      reject(r, Nbd.EINVAL, "BLOCK_STATUS of length 0");
      return;
    }
    long piece = MIN_EXTENT;
    while (r.length / piece > MAX_PROBES) {
      piece <<= 1;
    }
    int[] extents = new int[2 * (MAX_PROBES + 2)];
    int n = 0;
    long end = r.offset + r.length;
    for (long at = r.offset; at < end; ) {
      long next = Math.min(end, (at / piece + 1) * piece);
      int state = dev.mayHoldData(at, next - at) ? 0 : Nbd.STATE_HOLE | Nbd.STATE_ZERO;
      if (n > 0 && extents[2 * n - 1] == state) {
        extents[2 * n - 2] += (int) (next - at);
      } else if ((r.flags & Nbd.CMD_FLAG_REQ_ONE) != 0 && n == 1) {
        break;
      } else {
        extents[2 * n] = (int) (next - at);
        extents[2 * n + 1] = state;
        n++;
      }
      at = next;
    }
    r.extents = extents;
    r.extentCount = n;
    complete(r);
  }

  /**
   * Runs a request that queued for the export's write gate; may run on any thread. A bug here must
   * not leave the gate held, which would stall every write to the export, so it becomes an error
   * completion instead.
   */
  void runGated(Request r) {
    try {
      submitGated(r);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "NBD export '" + export.name() + "': "
          + Nbd.commandName(r.type) + " failed before reaching the device", e);
      r.ioDone(BdevException.io(BdevException.Kind.IO_ERROR, dev.uri(),
          Nbd.commandName(r.type) + " failed: " + e));
    }
  }

  private void submitGated(Request r) {
    boolean aligned = aligned(r.offset, r.length);
    switch (r.type) {
      case Nbd.CMD_WRITE -> {
        if (aligned) {
          dev.write(r.offset, r.buf, 0, (int) r.length, r);
        } else {
          UnalignedIo.write(dev, r);
        }
      }
      case Nbd.CMD_WRITE_ZEROES -> {
        if (aligned) {
          dev.writeZeroes(r.offset, r.length, r);
        } else {
          UnalignedIo.writeZeroes(dev, r);
        }
      }
      case Nbd.CMD_TRIM -> dev.unmap(r.offset, r.length, r);
      default -> throw new IllegalStateException("not a write: " + r.type);
    }
  }

  private void disconnect(Request r) {
    // NBD_CMD_DISC has no reply; outstanding requests are answered first, then the socket closes.
    disconnecting = true;
    inFlight--;
    pool.release(r);
    closeIfDrained();
  }

  /** The device finished {@code r} (any thread). */
  void ioDone(Request r, BdevException err) {
    if (r.phase == Request.PHASE_IO) {
      releaseGate(r);
      if (err == null && (r.flags & Nbd.CMD_FLAG_FUA) != 0 && r.type != Nbd.CMD_READ
          && r.type != Nbd.CMD_FLUSH) {
        r.phase = Request.PHASE_FUA_FLUSH;
        dev.flush(r);
        return;
      }
    }
    if (err != null) {
      r.fail(Nbd.errno(err, r.type), err.getMessage());
    }
    if (loop.inEventLoop()) {
      complete(r);
    } else {
      loop.execute(r);
    }
  }

  private void releaseGate(Request r) {
    int g = r.gate;
    r.gate = 0;
    if (g == Request.GATE_SHARED) {
      export.gate().exitShared();
    } else if (g == Request.GATE_EXCLUSIVE) {
      export.gate().exitExclusive();
    }
  }

  /** Sends the reply of {@code r}; on the event loop. */
  void complete(Request r) {
    inFlight--;
    ctx.write(r, ctx.voidPromise());
    if (!inReadBatch && !flushScheduled) {
      flushScheduled = true;
      loop.execute(flushTask);
    }
    if (disconnecting) {
      closeIfDrained();
    }
  }

  private void flushNow() {
    flushScheduled = false;
    ctx.flush();
  }

  private void closeIfDrained() {
    if (inFlight == 0) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void reject(Request r, int errno, String why) {
    LOG.log(System.Logger.Level.DEBUG, () -> ctx.channel().remoteAddress() + " "
        + export.name() + ": " + why);
    r.fail(errno, export.name() + ": " + why);
    complete(r);
  }

  private boolean flagsAllowed(Request r, int allowed) {
    if ((r.flags & ~allowed) != 0) {
      reject(r, Nbd.EINVAL, Nbd.commandName(r.type) + " with unsupported flags 0x"
          + Integer.toHexString(r.flags));
      return false;
    }
    return true;
  }

  private boolean writable(Request r) {
    if (export.readOnly()) {
      reject(r, Nbd.EPERM, Nbd.commandName(r.type) + " on a read-only export");
      return false;
    }
    return true;
  }

  private boolean inBounds(Request r, int errno) {
    if (Long.compareUnsigned(r.offset, size) > 0 || r.length > size - r.offset) {
      reject(r, errno, Nbd.commandName(r.type) + " at offset " + Long.toUnsignedString(r.offset)
          + " length " + r.length + " goes past the end of the export (" + size + " bytes)");
      return false;
    }
    return true;
  }

  private boolean aligned(long offset, long length) {
    return ((offset | length) & (blockSize - 1)) == 0;
  }

  private long ceil(long offset) {
    return (offset + blockSize - 1) / blockSize * blockSize;
  }
}
