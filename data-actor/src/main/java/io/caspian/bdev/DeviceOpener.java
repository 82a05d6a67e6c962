package io.caspian.bdev;

import java.util.Map;
import java.util.TreeMap;

/**
 * Opens block devices by URI. Immutable: layers above add schemes of their own ({@code bdev://}
 * for local replicas, {@code nvmf://} for remote ones) with {@link #with}.
 */
public final class DeviceOpener {

  private final Map<String, DeviceFactory> factories;

  private DeviceOpener(Map<String, DeviceFactory> factories) {
    this.factories = factories;
  }

  /** The schemes every node has: {@code malloc}, plus the native devices. */
  public static DeviceOpener standard() {
    Map<String, DeviceFactory> m = new TreeMap<>();
    m.put("malloc", DeviceOpener::openMalloc);
    m.put("aio", AioDevice::open);
    m.put("file", UringDevice::openFile);
    m.put("uring", UringDevice::open);
    return new DeviceOpener(m);
  }

  /** A copy that also opens {@code scheme} with {@code factory}. */
  public DeviceOpener with(String scheme, DeviceFactory factory) {
    Map<String, DeviceFactory> m = new TreeMap<>(factories);
    m.put(scheme, factory);
    return new DeviceOpener(m);
  }

  public BlockDevice open(String uri) throws BdevException {
    DeviceUri u = DeviceUri.parse(uri);
    DeviceFactory f = factories.get(u.scheme());
    if (f == null) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, uri,
          "unknown scheme '" + u.scheme() + "'; known schemes: " + factories.keySet());
    }
    return f.open(u);
  }

  private static BlockDevice openMalloc(DeviceUri u) throws BdevException {
    if (u.name().isEmpty()) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, u.text(),
          "malloc device needs a name: malloc:///name?size_mb=N");
    }
    long sizeMb = u.longParam("size_mb");
    long blkSize = u.longParam("blk_size", 512);
    if (blkSize != 512 && blkSize != 4096) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, u.text(),
          "blk_size must be 512 or 4096, not " + blkSize);
    }
    // Memory is a malloc device's space: running short of it is NO_SPACE (a 422 with the figures at the
    // API), not CANT_OPEN, which says the device is unreachable and would be answered as a 503 to retry.
    long available = availableMemory();
    if (sizeMb > (available >> 20)) {
      throw BdevException.of(BdevException.Kind.NO_SPACE, u.text(), "malloc device of " + sizeMb
          + " MiB needs " + bytes(sizeMb) + " bytes of memory; the io-engine's host has " + available
          + " bytes available (MemAvailable in /proc/meminfo); choose a smaller size_mb");
    }
    try {
      return new MallocDevice(u.text(), sizeMb << 20, (int) blkSize);
    } catch (OutOfMemoryError e) {
      throw BdevException.of(BdevException.Kind.NO_SPACE, u.text(), "cannot allocate " + bytes(sizeMb)
          + " bytes for a malloc device of " + sizeMb + " MiB (" + available + " bytes available): "
          + e.getMessage());
    }
  }

  /** The bytes of {@code sizeMb} MiB, or Long.MAX_VALUE when that does not fit in a long. */
  private static long bytes(long sizeMb) {
    return sizeMb > Long.MAX_VALUE >> 20 ? Long.MAX_VALUE : sizeMb << 20;
  }

  /**
   * Memory the kernel says can be handed out without swapping ({@code MemAvailable}): a malloc
   * device larger than that would push the node into swap or the OOM killer, taking every pool
   * and nexus on it down. Without /proc (not Linux), the JVM's view of free physical memory.
   */
  private static long availableMemory() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // fall through
    }
    java.lang.management.OperatingSystemMXBean os =
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getFreeMemorySize();
    }
    return Long.MAX_VALUE;
  }
}
