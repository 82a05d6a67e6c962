package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Random checksummed 4 KiB writes at a queue depth from several threads, then a full read-back
 * that checks every block holds exactly the last write it was given (or zeroes if none).
 *
 * <p>Each lane keeps one write in flight and owns the blocks congruent to its index, so no two
 * writes to a block overlap and the expected generation of every block is known. Even lanes
 * resubmit from their completion (on the device's reaper thread: the batched path), odd lanes
 * hand back to their submitting thread (the direct path), so both paths run concurrently.
 */
final class ChecksummedLoad {

  static final int IO = 4096;

  private final BlockDevice dev;
  private final long blocks;
  private final long[] gens;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicLong ios = new AtomicLong();

  ChecksummedLoad(BlockDevice dev) {
    this.dev = dev;
    this.blocks = dev.size() / IO;
    this.gens = new long[(int) blocks];
  }

  /** Writes for {@code millis} ms; returns the number of writes that completed. */
  long writeRandomly(int threads, int lanesPerThread, long millis) throws Exception {
    int lanes = threads * lanesPerThread;
    assertTrue(blocks >= lanes, "device too small for " + lanes + " lanes");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int first = t * lanesPerThread;
      ts[t] = new Thread(() -> runThread(first, lanesPerThread, lanes, deadline), "load-" + t);
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join(millis + 30_000);
      assertTrue(!t.isAlive(), "load thread did not finish: I/O hung");
    }
    rethrow();
    return ios.get();
  }

  private void runThread(int first, int count, int lanes, long deadline) {
    ArrayBlockingQueue<WriteLane> ready = new ArrayBlockingQueue<>(count);
    CountDownLatch finished = new CountDownLatch(count);
    for (int i = 0; i < count; i++) {
      new WriteLane(first + i, lanes, deadline, ready, finished).next();
    }
    try {
      while (!finished.await(0, TimeUnit.MILLISECONDS)) {
        WriteLane lane = ready.poll(10, TimeUnit.MILLISECONDS);
        if (lane != null) {
          lane.next();
        }
      }
    } catch (InterruptedException e) {
      failure.compareAndSet(null, e);
    }
  }

  private final class WriteLane implements IoCompletion {
    private final int lane;
    private final int lanes;
    private final long deadline;
    private final ArrayBlockingQueue<WriteLane> ready;
    private final CountDownLatch finished;
    private final ByteBuffer buf = DirectMemory.allocate(IO);
    private final SplittableRandom random;
    private int block;
    private long gen;

    WriteLane(int lane, int lanes, long deadline, ArrayBlockingQueue<WriteLane> ready,
        CountDownLatch finished) {
      this.lane = lane;
      this.lanes = lanes;
      this.deadline = deadline;
      this.ready = ready;
      this.finished = finished;
      this.random = new SplittableRandom(lane * 7919L + System.nanoTime());
    }

    void next() {
      block = (int) (lane + (long) lanes * random.nextLong(blocks / lanes));
      gen = gens[block] + 1;
      BlockPattern.fill(buf, 0, IO, block, gen);
      dev.write((long) block * IO, buf, 0, IO, this);
    }

    @Override
    public void ioDone(BdevException error) {
      if (error != null) {
        failure.compareAndSet(null, error);
        finished.countDown();
        return;
      }
      gens[block] = gen;
      ios.incrementAndGet();
      if (System.nanoTime() > deadline) {
        finished.countDown();
      } else if (lane % 2 == 0) {
        next();
      } else {
        ready.add(this);
      }
    }
  }

  /** Reads every block at {@code depth} and checks it against the writes made. */
  void verifyAll(int depth) throws Exception {
    CountDownLatch finished = new CountDownLatch(depth);
    for (int i = 0; i < depth; i++) {
      new ReadLane(i, depth, finished).next();
    }
    assertTrue(finished.await(60, TimeUnit.SECONDS), "read-back did not finish: I/O hung");
    rethrow();
  }

  private final class ReadLane implements IoCompletion {
    private final int depth;
    private final CountDownLatch finished;
    private final ByteBuffer buf = DirectMemory.allocate(IO);
    private long block;

    ReadLane(int lane, int depth, CountDownLatch finished) {
      this.block = lane - depth;
      this.depth = depth;
      this.finished = finished;
    }

    void next() {
      block += depth;
      if (block >= blocks) {
        finished.countDown();
        return;
      }
      dev.read(block * IO, buf, 0, IO, this);
    }

    @Override
    public void ioDone(BdevException error) {
      try {
        if (error != null) {
          throw error;
        }
        assertEquals(gens[(int) block], BlockPattern.verify(buf, 0, IO, block),
            "generation of block " + block);
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
        finished.countDown();
        return;
      }
      next();
    }
  }

  private void rethrow() throws Exception {
    Throwable t = failure.get();
    if (t instanceof Exception e) {
      throw e;
    }
    if (t instanceof Error e) {
      throw e;
    }
  }
}
