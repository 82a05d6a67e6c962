package io.caspian.nvmf.host;

import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.IoType;
import java.nio.ByteBuffer;

/**
 * One I/O slot of a host queue; its index is the command id on the wire. A slot carries one
 * block I/O from submission to completion, as a series of NVMe commands when the I/O is larger
 * than the controller's transfer limit. It is also the task that moves the I/O onto the
 * queue's event loop, so submitting allocates nothing.
 */
final class HostIo implements Runnable {

  static final int FREE = 0;
  /** Waiting for the connection (before it is up, or to be resent after a reconnect). */
  static final int QUEUED = 1;
  static final int SENT = 2;

  final HostQueue queue;
  final int cid;
  int state;
  IoType type;
  long offset;
  long length;
  ByteBuffer buf;
  int bufOffset;
  IoCompletion done;
  long deadlineNanos;
  /** Byte offset within the I/O of the command in flight, and its length. */
  long chunkStart;
  int chunkLength;

  HostIo(HostQueue queue, int cid) {
    this.queue = queue;
    this.cid = cid;
  }

  @Override
  public void run() {
    queue.start(this);
  }
}
