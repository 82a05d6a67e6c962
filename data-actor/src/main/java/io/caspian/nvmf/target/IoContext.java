package io.caspian.nvmf.target;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;

/**
 * One command slot of an I/O queue, reused for every command that lands in it; its index is the
 * transfer tag of the R2Ts it sends. It is the completion the device calls and the task that
 * carries that completion back to the queue's event loop, so an I/O allocates nothing.
 */
final class IoContext implements IoCompletion, Runnable {

  /** Data buffers start at this size and double up to MDTS, then stay. */
  private static final int MIN_BUFFER = 4096;

  final QueueHandler queue;
  final int ttag;
  int cid;
  int opcode;
  long offset;
  int length;
  /** Bytes of host data received so far (writes via R2T). */
  int received;
  boolean awaitingData;
  ByteBuffer buf;
  BdevException error;
  /** Dataset Management ranges (byte offsets and lengths), done one after another. */
  long[] dsmOffset;
  long[] dsmLength;
  /** Ranges the command names (NR + 1); {@code dsmCount} of them are non-empty. */
  int dsmRanges;
  int dsmCount;
  int dsmNext;

  IoContext(QueueHandler queue, int ttag) {
    this.queue = queue;
    this.ttag = ttag;
  }

  void start(int cid, int opcode, long offset, int length) {
    this.cid = cid;
    this.opcode = opcode;
    this.offset = offset;
    this.length = length;
    this.received = 0;
    this.awaitingData = false;
    this.error = null;
    this.dsmCount = 0;
    this.dsmNext = 0;
    if (length > 0 && (buf == null || buf.capacity() < length)) {
      buf = DirectMemory.allocate(Math.max(MIN_BUFFER, Integer.highestOneBit(length - 1) << 1));
    }
  }

  @Override
  public void ioDone(BdevException err) {
    if (err == null && dsmNext < dsmCount) {
      queue.nextRange(this);
      return;
    }
    this.error = err;
    if (queue.inEventLoop()) {
      run();
    } else {
      queue.execute(this);
    }
  }

  @Override
  public void run() {
    queue.complete(this);
  }
}
