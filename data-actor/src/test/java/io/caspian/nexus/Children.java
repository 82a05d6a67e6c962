package io.caspian.nexus;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.IoCompletion;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Test children: malloc devices wrapped in error injection, opened by the nexus through a
 * {@code bdev:///name} scheme. A device may be opened again after close, like a replica that
 * survives its nexus child being closed.
 */
final class Children {

  final long size;
  final int blockSize;
  private final Map<String, MallocDevice> media = new LinkedHashMap<>();
  private final Map<String, ErrorInjectionDevice> current = new LinkedHashMap<>();
  private UnaryOperator<BlockDevice> wrap = d -> d;

  Children(long size, int blockSize) {
    this.size = size;
    this.blockSize = blockSize;
  }

  /** Wraps every opened device (under the injection layer), e.g. to complete asynchronously. */
  Children wrapping(UnaryOperator<BlockDevice> w) {
    this.wrap = w;
    return this;
  }

  /** Creates children {@code bdev:///<name>} and returns their URIs. */
  List<String> make(String... names) {
    List<String> uris = new ArrayList<>();
    for (String n : names) {
      String uri = "bdev:///" + n;
      media.put(uri, new MallocDevice(uri, size, blockSize));
      uris.add(uri);
    }
    return uris;
  }

  DeviceOpener opener() {
    return DeviceOpener.standard().with("bdev", u -> open(u.text()));
  }

  private synchronized BlockDevice open(String uri) throws BdevException {
    MallocDevice m = media.get(uri);
    if (m == null) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, uri, "no such test device");
    }
    ErrorInjectionDevice d = new ErrorInjectionDevice(wrap.apply(new Reopenable(m)));
    current.put(uri, d);
    return d;
  }

  /** The injection layer of the device most recently opened for {@code uri}. */
  synchronized ErrorInjectionDevice inject(String uri) {
    return current.get(uri);
  }

  /** The whole medium of {@code uri}, read directly. */
  byte[] content(String uri) throws BdevException {
    ByteBuffer b = DirectMemory.allocate((int) size);
    SyncIo.read(media.get(uri), 0, b, 0, (int) size);
    byte[] out = new byte[(int) size];
    b.get(0, out);
    return out;
  }

  /** Writes {@code data} straight to the medium, bypassing any nexus (to put old data back). */
  void plant(String uri, long offset, byte[] data) throws BdevException {
    ByteBuffer b = DirectMemory.allocate(data.length);
    b.put(0, data);
    SyncIo.write(media.get(uri), offset, b, 0, data.length);
  }

  /** Writes straight to the medium, bypassing any nexus (to plant stale data). */
  void plant(String uri, long offset, byte value, int length) throws BdevException {
    ByteBuffer b = DirectMemory.allocate(length);
    for (int i = 0; i < length; i++) {
      b.put(i, value);
    }
    SyncIo.write(media.get(uri), offset, b, 0, length);
  }

  /** A view of a malloc device whose close does not close the medium. */
  private static final class Reopenable implements BlockDevice {
    private final MallocDevice m;
    private volatile boolean closed;

    Reopenable(MallocDevice m) {
      this.m = m;
    }

    private boolean refuse(IoCompletion done) {
      if (closed) {
        done.ioDone(BdevException.io(BdevException.Kind.CLOSED, m.uri(), "closed"));
        return true;
      }
      return false;
    }

    @Override
    public String uri() {
      return m.uri();
    }

    @Override
    public int blockSize() {
      return m.blockSize();
    }

    @Override
    public long blockCount() {
      return m.blockCount();
    }

    @Override
    public void read(long o, ByteBuffer b, int bo, int l, IoCompletion d) {
      if (!refuse(d)) {
        m.read(o, b, bo, l, d);
      }
    }

    @Override
    public void write(long o, ByteBuffer b, int bo, int l, IoCompletion d) {
      if (!refuse(d)) {
        m.write(o, b, bo, l, d);
      }
    }

    @Override
    public void flush(IoCompletion d) {
      if (!refuse(d)) {
        m.flush(d);
      }
    }

    @Override
    public void unmap(long o, long l, IoCompletion d) {
      if (!refuse(d)) {
        m.unmap(o, l, d);
      }
    }

    @Override
    public void writeZeroes(long o, long l, IoCompletion d) {
      if (!refuse(d)) {
        m.writeZeroes(o, l, d);
      }
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
