package io.caspian.bdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ErrorInjectionDeviceTest {

  private final ErrorInjectionDevice dev =
      new ErrorInjectionDevice(new MallocDevice("malloc:///inj", 1 << 20, 512));
  private final ByteBuffer buf = DirectMemory.allocate(4096);

  @Test
  void countedSubmitFaultFailsNTimesInRangeOnly() throws Exception {
    dev.inject(new Injection(IoType.READ, Injection.Stage.SUBMIT, 8192, 4096, 2,
        BdevException.Kind.IO_ERROR));
    SyncIo.read(dev, 0, buf);
    assertThrows(BdevException.class, () -> SyncIo.read(dev, 8192, buf));
    assertThrows(BdevException.class, () -> SyncIo.read(dev, 4096 + 512, buf)); // overlaps
    SyncIo.read(dev, 8192, buf);
    assertEquals(2, dev.injectedCount());
    assertEquals(0, dev.active().size());
  }

  @Test
  void completionStageWriteLandsButReportsFailure() throws Exception {
    long h = dev.inject(new Injection(IoType.WRITE, Injection.Stage.COMPLETION, 0, Long.MAX_VALUE,
        Injection.UNTIL_CLEARED, BdevException.Kind.IO_ERROR));
    buf.put(0, (byte) 7);
    BdevException e = assertThrows(BdevException.class, () -> SyncIo.write(dev, 0, buf));
    assertEquals(BdevException.Kind.IO_ERROR, e.kind());
    dev.clear(h);
    ByteBuffer back = DirectMemory.allocate(4096);
    SyncIo.read(dev, 0, back);
    assertEquals(7, back.get(0));
  }

  @Test
  void submitStageWriteLeavesDataUntouchedAndFlushCanFail() throws Exception {
    dev.inject(Injection.always(IoType.WRITE));
    dev.inject(Injection.always(IoType.FLUSH));
    buf.put(0, (byte) 9);
    assertThrows(BdevException.class, () -> SyncIo.write(dev, 0, buf));
    assertThrows(BdevException.class, () -> SyncIo.flush(dev));
    dev.clearAll();
    ByteBuffer back = DirectMemory.allocate(4096);
    SyncIo.read(dev, 0, back);
    assertEquals(0, back.get(0));
    SyncIo.flush(dev);
  }

  @Test
  void injectedKindIsReported() {
    dev.inject(new Injection(IoType.UNMAP, Injection.Stage.SUBMIT, 0, 1 << 20, 1,
        BdevException.Kind.NO_SPACE));
    BdevException e = assertThrows(BdevException.class, () -> SyncIo.unmap(dev, 0, 4096));
    assertEquals(BdevException.Kind.NO_SPACE, e.kind());
  }
}
