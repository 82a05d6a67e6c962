package io.caspian.nexus;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.IoCompletion;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The success path of reads, writes and flushes allocates nothing per I/O, degraded or not. */
class NexusAllocationTest {

  private BdevException last;
  private final IoCompletion done = e -> last = e;

  @Test
  void steadyStateIoAllocatesNothing() throws Exception {
    Children kids = new Children(4 << 20, 512);
    List<String> uris = kids.make("a", "b", "c");
    try (Nexus nexus = Nexus.create("alloc", 4 << 20, uris, kids.opener(),
        NexusOptions.defaults())) {
      ByteBuffer buf = DirectMemory.allocate(4096);
      run(nexus, buf, 20_000); // warm up: pool contexts and JIT
      long allocated = allocatedBy(nexus, buf);
      assertNull(last);
      assertTrue(allocated < 20_000, "60000 I/Os allocated " + allocated + " bytes");
      // Degraded: every write also marks the faulted child's segment map.
      nexus.faultChild(uris.get(2));
      run(nexus, buf, 20_000);
      allocated = allocatedBy(nexus, buf);
      assertNull(last);
      assertTrue(allocated < 20_000, "degraded: 60000 I/Os allocated " + allocated + " bytes");
    }
  }

  /** With a write-intent log, a write to a region already durably dirty costs no allocation. */
  @Test
  void steadyStateIoWithAnIntentLogAllocatesNothing(@TempDir Path dir) throws Exception {
    Children kids = new Children(4 << 20, 512);
    List<String> uris = kids.make("a", "b", "c");
    try (Nexus nexus = Nexus.create("alloc-wil", 4 << 20, uris, kids.opener(),
        NexusOptions.defaults().withIntentLog(
            new IntentLogOptions(dir.resolve("alloc.wil"), Duration.ofHours(1))))) {
      ByteBuffer buf = DirectMemory.allocate(4096);
      run(nexus, buf, 20_000); // warm up: the 4 regions become durable, pool contexts, JIT
      long end = System.nanoTime() + 10_000_000_000L;
      while (nexus.intentDirtyRegions() < 4 && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      run(nexus, buf, 20_000);
      long allocated = allocatedBy(nexus, buf);
      assertNull(last);
      assertTrue(allocated < 20_000, "60000 I/Os allocated " + allocated + " bytes");
    }
  }

  /** Front-end I/O while a child rebuilds (gated segments, marks of the rebuilding child) allocates nothing. */
  @Test
  void ioDuringARebuildAllocatesNothing() throws Exception {
    long size = 64L << 20;
    Children kids = new Children(size, 512);
    List<String> uris = kids.make("a", "b", "c");
    try (Nexus nexus = Nexus.create("alloc-rebuild", size, uris.subList(0, 2), kids.opener(),
        NexusOptions.defaults().withRebuild(new io.caspian.rebuild.RebuildOptions(16, 4L << 20, false)))) {
      ByteBuffer buf = DirectMemory.allocate(4096);
      run(nexus, buf, 20_000);
      var rebuild = nexus.addChild(uris.get(2));
      run(nexus, buf, 20_000); // warm up with the rebuild running
      long allocated = allocatedBy(nexus, buf);
      assertTrue(!rebuild.isDone(), "the rebuild still runs while measured");
      assertNull(last);
      assertTrue(allocated < 20_000, "during a rebuild: 60000 I/Os allocated " + allocated + " bytes");
    }
  }

  /** Bytes this thread allocates for 20,000 rounds of write, read and flush. */
  private long allocatedBy(Nexus nexus, ByteBuffer buf) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    run(nexus, buf, 20_000);
    return mx.getThreadAllocatedBytes(tid) - before;
  }

  private void run(Nexus nexus, ByteBuffer buf, int n) {
    for (int i = 0; i < n; i++) {
      long off = (i * 4096L) % (4 << 20);
      nexus.write(off, buf, 0, 4096, done);
      nexus.read(off, buf, 0, 4096, done);
      nexus.flush(done);
    }
  }
}
