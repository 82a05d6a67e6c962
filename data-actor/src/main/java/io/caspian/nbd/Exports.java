package io.caspian.nbd;

import io.caspian.bdev.BlockDevice;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The exports of one server, changed at run time. The empty name, which NBD reserves for "the
 * default export", finds an export named "" if there is one, else the only export when exactly
 * one exists: a client that names nothing on a single-export server gets that export, and on a
 * server with several it gets a clear "unknown export" rather than an arbitrary one.
 */
final class Exports {

  private final Map<String, NbdExport> byName = new ConcurrentHashMap<>();

  void add(String name, BlockDevice device, boolean readOnly) {
    if (name == null || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 4096) {
      throw new IllegalArgumentException("NBD export name must be at most 4096 bytes: " + name);
    }
    NbdExport export = new NbdExport(name, device, readOnly,
        new DefaultChannelGroup("nbd export " + name, GlobalEventExecutor.INSTANCE));
    if (byName.putIfAbsent(name, export) != null) {
      throw new IllegalArgumentException("NBD export '" + name + "' already exists");
    }
  }

  /** Removes an export and closes the connections using it (waiting up to 5 s for that). */
  boolean remove(String name) {
    NbdExport export = byName.remove(name);
    if (export == null) {
      return false;
    }
    export.channels().close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    return true;
  }

  NbdExport find(String name) {
    NbdExport export = byName.get(name);
    if (export == null && name.isEmpty() && byName.size() == 1) {
      for (NbdExport only : byName.values()) {
        return only;
      }
    }
    return export;
  }

  /** Whether {@code export} is still the one registered under its name. */
  boolean isCurrent(NbdExport export) {
    return byName.get(export.name()) == export;
  }

  List<NbdExport> all() {
    return new ArrayList<>(byName.values());
  }

  void closeAll() {
    for (NbdExport e : byName.values()) {
      e.channels().close();
    }
  }
}
