package io.caspian.nvmf.host;

import static org.junit.jupiter.api.Assertions.*;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.target.NvmfTarget;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NVMe reservations between our initiator and our target over 127.0.0.1: two hosts (two host
 * identifiers) on one namespace, the data checked on the backing device.
 */
class NvmfReservationTest {

  private static final int MB = 1 << 20;
  private static final UUID HOST_A = UUID.fromString("aaaaaaaa-0000-0000-0000-000000000001");
  private static final UUID HOST_B = UUID.fromString("bbbbbbbb-0000-0000-0000-000000000002");

  private MallocDevice backing;
  private NvmfTarget target;
  private String nqn;
  private NvmfDevice a;
  private NvmfDevice b;

  @BeforeEach
  void start() throws Exception {
    backing = new MallocDevice("malloc:///resv", 16 * MB, 512);
    target = NvmfTarget.bind("127.0.0.1", 0);
    nqn = Nvme.nqnFor(UUID.randomUUID());
    target.addSubsystem(nqn, backing, Set.of());
    a = NvmfDevice.open(uri(HOST_A));
    b = NvmfDevice.open(uri(HOST_B));
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    target.close();
  }

  private String uri(UUID host) {
    return "nvmf://127.0.0.1:" + target.port() + "/" + nqn + "?hostid=" + host
        + "&hostnqn=nqn.2014-08.org.nvmexpress:uuid:" + host + "&io_queues=1&queue_depth=8";
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  /** The BdevException kind {@code f} failed with; fails the test if it succeeded. */
  private static BdevException.Kind failure(CompletableFuture<?> f) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> get(f));
    return assertInstanceOf(BdevException.class, e.getCause()).kind();
  }

  private static ByteBuffer pattern(int len, long seed) {
    ByteBuffer buf = DirectMemory.allocate((len + 4095) & ~4095);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < len; i += 8) {
      buf.putLong(i, r.nextLong());
    }
    return buf;
  }

  private static long crc(ByteBuffer buf, int len) {
    CRC32C c = new CRC32C();
    c.update(buf.duplicate().clear().limit(len));
    return c.getValue();
  }

  private long backingCrc(long offset, int len) throws BdevException {
    ByteBuffer back = DirectMemory.allocate((len + 4095) & ~4095);
    SyncIo.read(backing, offset, back, 0, len);
    return crc(back, len);
  }

  @Test
  void registerAcquireReportRelease() throws Exception {
    NvmfDevice.ReservationReport empty = get(a.reservationReport());
    assertEquals(0, empty.registrants().size());
    assertNull(empty.holder());

    get(a.register(7));
    get(b.register(9));
    get(a.acquire(7, Nvme.RTYPE_WRITE_EXCLUSIVE));
    NvmfDevice.ReservationReport r = get(b.reservationReport());
    assertEquals(Nvme.RTYPE_WRITE_EXCLUSIVE, r.type());
    assertEquals(2, r.registrants().size());
    assertEquals(new NvmfDevice.Registrant(HOST_A, 7, true), r.holder());
    assertTrue(r.registrants().contains(new NvmfDevice.Registrant(HOST_B, 9, false)));
    assertEquals(2, r.generation(), "two registrations");

    // b cannot acquire what a holds; a wrong key is a conflict too.
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        failure(b.acquire(9, Nvme.RTYPE_WRITE_EXCLUSIVE)));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        failure(a.acquire(8, Nvme.RTYPE_WRITE_EXCLUSIVE)));
    // Registering again with another key is a conflict, with the same key a no-op.
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, failure(a.register(8)));
    get(a.register(7));

    get(a.release(7, Nvme.RTYPE_WRITE_EXCLUSIVE));
    assertNull(get(a.reservationReport()).holder());
    get(b.acquire(9, Nvme.RTYPE_WRITE_EXCLUSIVE));
    assertEquals(HOST_B, get(a.reservationReport()).holder().hostId());
    get(b.unregister(9));
    NvmfDevice.ReservationReport after = get(a.reservationReport());
    assertNull(after.holder(), "unregistering the holder releases its reservation");
    assertEquals(1, after.registrants().size());
  }

  @Test
  void nonHolderWritesConflictReadsPass() throws Exception {
    int len = 64 * 1024;
    ByteBuffer first = pattern(len, 1);
    SyncIo.write(b, 0, first, 0, len);
    get(a.register(1));
    get(a.acquire(1, Nvme.RTYPE_WRITE_EXCLUSIVE));

    ByteBuffer second = pattern(len, 2);
    BdevException e = assertThrows(BdevException.class, () -> SyncIo.write(b, 0, second, 0, len));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    // Small enough for the capsule and large enough for an R2T: both paths are checked.
    e = assertThrows(BdevException.class, () -> SyncIo.write(b, 0, second, 0, 4096));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    e = assertThrows(BdevException.class, () -> SyncIo.writeZeroes(b, 0, len));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    e = assertThrows(BdevException.class, () -> SyncIo.unmap(b, 0, len));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    assertEquals(crc(first, len), backingCrc(0, len), "no refused write reached the device");

    ByteBuffer back = DirectMemory.allocate(len);
    SyncIo.read(b, 0, back, 0, len);
    assertEquals(crc(first, len), crc(back, len), "a non-holder still reads");

    // The holder writes; a registered non-holder does not (Write Exclusive).
    SyncIo.write(a, 0, second, 0, len);
    assertEquals(crc(second, len), backingCrc(0, len));
    get(b.register(5));
    e = assertThrows(BdevException.class, () -> SyncIo.write(b, 0, first, 0, len));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
  }

  @Test
  void registrantsOnlyLetsEveryRegistrantWrite() throws Exception {
    int len = 8192;
    get(a.register(1));
    get(a.acquire(1, Nvme.RTYPE_WRITE_EXCLUSIVE_REG_ONLY));
    BdevException e = assertThrows(BdevException.class,
        () -> SyncIo.write(b, 0, pattern(len, 3), 0, len));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    get(b.register(2));
    ByteBuffer p = pattern(len, 4);
    SyncIo.write(b, 0, p, 0, len);
    assertEquals(crc(p, len), backingCrc(0, len));
  }

  @Test
  void preemptWithALowerOrEqualKeyIsRefused() throws Exception {
    get(a.register(5));
    get(a.acquire(5, Nvme.RTYPE_WRITE_EXCLUSIVE));
    get(b.register(4));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        failure(b.preempt(4, 5, Nvme.RTYPE_WRITE_EXCLUSIVE)));
    get(b.unregister(4));
    get(b.register(5));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        failure(b.preempt(5, 5, Nvme.RTYPE_WRITE_EXCLUSIVE)));
    // And the fence of a stale generation is refused before it preempts anything.
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, failure(b.fence(3)));
    NvmfDevice.ReservationReport r = get(a.reservationReport());
    assertEquals(new NvmfDevice.Registrant(HOST_A, 5, true), r.holder());
    SyncIo.write(a, 0, pattern(4096, 1), 0, 4096);
  }

  @Test
  void preemptWithAHigherKeyTakesOverAndRemovesTheOldRegistrant() throws Exception {
    int len = 16 * 1024;
    get(a.fence(1));
    ByteBuffer old = pattern(len, 10);
    SyncIo.write(a, 0, old, 0, len);

    get(b.fence(2)); // report, register 2, preempt 1
    NvmfDevice.ReservationReport r = get(b.reservationReport());
    assertEquals(new NvmfDevice.Registrant(HOST_B, 2, true), r.holder());
    assertEquals(1, r.registrants().size(), "the preempted host is no longer registered");

    BdevException e = assertThrows(BdevException.class,
        () -> SyncIo.write(a, 0, pattern(len, 11), 0, len));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, e.kind());
    // The old host cannot take it back: its key is gone, and a new registration is too old.
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        failure(a.acquire(1, Nvme.RTYPE_WRITE_EXCLUSIVE)));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT, failure(a.fence(1)));
    assertEquals(BdevException.Kind.RESERVATION_CONFLICT,
        failure(a.preempt(1, 2, Nvme.RTYPE_WRITE_EXCLUSIVE)));
    assertEquals(crc(old, len), backingCrc(0, len));

    ByteBuffer now = pattern(len, 12);
    SyncIo.write(b, 0, now, 0, len);
    assertEquals(crc(now, len), backingCrc(0, len));
  }

  /**
   * The reservation check on the write path is one volatile read and a host-id comparison: with
   * a reservation held (the holder writing, so every write is checked against it), the event
   * loops allocate no more per write than without any reservation. QD1 writes, leak detector off
   * (it samples buffers and would blur the comparison).
   */
  @Test
  void theWriteChecksAllocateNothingWhileAReservationIsHeld() throws Exception {
    io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
    try {
      io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
      double without = bytesPerWrite();
      get(a.fence(7));
      get(b.register(3));
      double with = bytesPerWrite();
      System.out.printf("event loops allocated %.1f bytes per 4 KiB write without a reservation,"
          + " %.1f with one held%n", without, with);
      assertTrue(with - without < 8, "the reservation check allocates " + (with - without)
          + " bytes per write");
    } finally {
      io.netty.util.ResourceLeakDetector.setLevel(level);
    }
  }

  /** Event-loop bytes per QD1 4 KiB write by {@code a}, after a warm-up; data checked. */
  private double bytesPerWrite() throws Exception {
    ByteBuffer p = pattern(4096, 5);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
    for (int i = 0; System.nanoTime() < end; i++) {
      SyncIo.write(a, (i % 256) * 4096L, p, 0, 4096);
    }
    long[] loops = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("nvmf-")).mapToLong(Thread::getId).toArray();
    int ios = 20_000;
    long before = allocated(loops);
    for (int i = 0; i < ios; i++) {
      SyncIo.write(a, (i % 256) * 4096L, p, 0, 4096);
    }
    double perIo = (double) (allocated(loops) - before) / ios;
    assertEquals(crc(p, 4096), backingCrc(0, 4096));
    return perIo;
  }

  private static long allocated(long[] ids) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long v : mx.getThreadAllocatedBytes(ids)) {
      sum += Math.max(0, v);
    }
    return sum;
  }
}
