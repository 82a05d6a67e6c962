package io.caspian.nbd;

import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ForwardingDevice;
import io.caspian.bdev.IoCompletion;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A test device whose completions wait until the test releases them: the I/O itself runs on the
 * wrapped device at once, its completion is held. Lets tests see what the server does while I/O
 * is outstanding.
 */
final class ManualDevice extends ForwardingDevice {

  private final ArrayDeque<Runnable> held = new ArrayDeque<>();
  final List<String> log = new ArrayList<>();

  ManualDevice(BlockDevice inner) {
    super(inner);
  }

  synchronized int pending() {
    return held.size();
  }

  /** Delivers the oldest held completion; returns false if none was held. */
  boolean completeOne() {
    Runnable r;
    synchronized (this) {
      r = held.poll();
    }
    if (r == null) {
      return false;
    }
    r.run();
    return true;
  }

  /** Delivers the newest held completion, to complete I/O out of order. */
  void completeNewest() {
    Runnable r;
    synchronized (this) {
      r = held.pollLast();
    }
    r.run();
  }

  void completeAll() {
    while (completeOne()) {
      // each completion may submit more I/O, which is held again
    }
  }

  private IoCompletion hold(String what, IoCompletion done) {
    synchronized (this) {
      log.add(what);
    }
    return err -> {
      synchronized (this) {
        held.add(() -> done.ioDone(err));
      }
    };
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    inner.read(offset, buf, bufOffset, length, hold("read " + offset + "+" + length, done));
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    inner.write(offset, buf, bufOffset, length, hold("write " + offset + "+" + length, done));
  }

  @Override
  public void flush(IoCompletion done) {
    inner.flush(hold("flush", done));
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    inner.unmap(offset, length, hold("unmap " + offset + "+" + length, done));
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    inner.writeZeroes(offset, length, hold("zero " + offset + "+" + length, done));
  }
}
