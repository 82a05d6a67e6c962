package io.caspian.datanode;

import io.caspian.nvmf.target.Reservations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The node-local list of pools (name, uuid, disk URI) and of the replicas shared over NVMe/TCP,
 * which is what a restarted io-engine imports, with the hosts each share admits (so that a restart
 * never widens a share to any host), and the NVMe reservations of each replica's namespace (so
 * that a restart never lets a fenced nexus write again). A pool's contents live on its disk; this
 * file only says which disks to look at.
 *
 * <p>A log: every change appends one record, checksummed, and is synced before the call returns.
 * Rewriting the whole list on every change cost time in proportion to the replicas a node holds
 * (a share of the ten-thousandth replica wrote and synced megabytes). Once the records appended
 * outgrow twice the last snapshot, the file is rewritten as a snapshot (temp file, fsync, rename,
 * fsync of the directory), and so it is on every open: a crash leaves the old or the new file,
 * never a torn one. A record cut short by a crash is the last line, and its checksum fails: it was
 * never acknowledged, and it is dropped. A bad checksum before the last line is damage, and the
 * io-engine refuses to start rather than forget a share's hosts or a fence.
 * Thread-safe: pool actors update it from the blocking dispatcher.
 */
final class PoolRegistry {

  /** One registered pool and the uuids of its replicas shared over NVMe/TCP. */
  record Entry(String name, String uuid, String disk, Set<String> shared) {
    public Entry {
      shared = Set.copyOf(shared);
    }
  }

  /** The first format: a snapshot rewritten on every change, without checksums. Read, never written. */
  private static final String HEADER_V1 = "caspian-pool-registry 1";
  private static final String HEADER = "caspian-pool-registry 2";
  private static final String FILE = "pools.registry";
  /** The log is compacted once its appended records pass twice the snapshot and this floor. */
  private static final long MIN_COMPACT_BYTES = 64 * 1024;

  private final Path dir;
  private final Path file;
  /** A registered pool, without its shares. */
  private record Pool(String name, String uuid, String disk) {
  }

  private final Map<String, Pool> pools = new LinkedHashMap<>();
  /** The replicas of each pool shared over NVMe/TCP, by pool name. */
  private final Map<String, Set<String>> shares = new TreeMap<>();
  /** The host NQNs each shared replica admits, by replica uuid; absent means any host. */
  private final Map<String, Set<String>> hosts = new TreeMap<>();
  /**
   * The NVMe reservations of each replica's namespace, by replica uuid; absent means none. Kept
   * until the replica is destroyed, shared or not: a replica shared again must go on fencing
   * the nexus its holder superseded (docs/adr/nexus-fencing.md).
   */
  private final Map<String, Reservations> reservations = new TreeMap<>();
  /** Bytes of the last snapshot, and of the records appended since. */
  private long snapshotBytes;
  private long appendedBytes;
  /**
   * An append failed part way (a full disk): the file may end in part of a record, and the next
   * record appended after it would turn it into damage in the middle. The next change rewrites the
   * file first.
   */
  private boolean torn;

  private PoolRegistry(Path dir) {
    this.dir = dir;
    this.file = dir.resolve(FILE);
  }

  /**
   * Reads the registry in {@code dir}, creating the directory; a missing file is an empty list.
   * The registry read is written back as a snapshot, which also drops a record a crash cut short.
   */
  static PoolRegistry open(Path dir) throws IOException {
    Files.createDirectories(dir);
    PoolRegistry r = new PoolRegistry(dir);
    if (Files.exists(r.file)) {
      List<String> lines = Files.readAllLines(r.file, StandardCharsets.UTF_8);
      if (!lines.isEmpty() && lines.get(0).equals(HEADER_V1)) {
        r.readV1(lines);
      } else if (!lines.isEmpty() && lines.get(0).equals(HEADER)) {
        r.read(lines);
      } else {
        throw new IOException(r.file + ": not a Caspian pool registry (first line must be '"
            + HEADER + "')");
      }
    }
    r.snapshot();
    return r;
  }

  private void read(List<String> lines) throws IOException {
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      int space = line.indexOf(' ');
      String record = space < 0 ? "" : line.substring(space + 1);
      boolean intact = space > 0 && line.substring(0, space).equals(crc(record));
      if (!intact && i == lines.size() - 1) {
        return; // cut short by a crash before its sync returned: never acknowledged
      }
      if (!intact) {
        throw new IOException(file + ": line " + (i + 1) + " fails its checksum: " + line);
      }
      if (!apply(record.split(" "))) {
        throw new IOException(file + ": line " + (i + 1) + " is malformed: " + line);
      }
    }
  }

  /** Applies one record to the state; false when it is not one. */
  private boolean apply(String[] f) {
    switch (f[0]) {
      case "pool" -> {
        if (f.length != 4) {
          return false;
        }
        pools.put(dec(f[1]), new Pool(dec(f[1]), dec(f[2]), dec(f[3])));
      }
      case "unpool" -> {
        if (f.length != 2) {
          return false;
        }
        pools.remove(dec(f[1]));
        hosts.keySet().removeAll(shares.getOrDefault(dec(f[1]), Set.of()));
        shares.remove(dec(f[1]));
      }
      case "share", "unshare" -> {
        if (f.length < 3 || f[0].equals("unshare") && f.length != 3) {
          return false;
        }
        Set<String> allowed = new TreeSet<>();
        for (int i = 3; i < f.length; i++) {
          allowed.add(dec(f[i]));
        }
        share(dec(f[1]), dec(f[2]), f[0].equals("share"), allowed);
      }
      case "resv" -> {
        // resv <replica> <PRGEN> <type> <holder host id, or -> [<host id>:<key, unsigned>...]
        if (f.length < 5) {
          return false;
        }
        List<Reservations.Registrant> regs = new ArrayList<>();
        for (int i = 5; i < f.length; i++) {
          int colon = f[i].indexOf(':');
          regs.add(new Reservations.Registrant(UUID.fromString(f[i].substring(0, colon)),
              Long.parseUnsignedLong(f[i].substring(colon + 1))));
        }
        reservations.put(dec(f[1]), new Reservations(Long.parseLong(f[2]), regs,
            f[4].equals("-") ? null : UUID.fromString(f[4]), Integer.parseInt(f[3])));
      }
      case "unresv" -> {
        if (f.length != 2) {
          return false;
        }
        reservations.remove(dec(f[1]));
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  /** The first format: {@code pool}, {@code share}, {@code host}, {@code resv}, {@code rkey} lines. */
  private void readV1(List<String> lines) throws IOException {
    Map<String, Set<String>> v1Shares = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      if (f.length == 4 && f[0].equals("pool")) {
        pools.put(dec(f[1]), new Pool(dec(f[1]), dec(f[2]), dec(f[3])));
      } else if (f.length == 3 && f[0].equals("share")) {
        v1Shares.computeIfAbsent(dec(f[1]), k -> new TreeSet<>()).add(dec(f[2]));
      } else if (f.length == 3 && f[0].equals("host")) {
        hosts.computeIfAbsent(dec(f[1]), k -> new TreeSet<>()).add(dec(f[2]));
      } else if (f.length == 5 && f[0].equals("resv")) {
        Reservations old = reservations.getOrDefault(dec(f[1]), Reservations.NONE);
        reservations.put(dec(f[1]), new Reservations(Long.parseLong(f[2]), old.registrants(),
            f[4].equals("-") ? null : UUID.fromString(f[4]), Integer.parseInt(f[3])));
      } else if (f.length == 4 && f[0].equals("rkey")) {
        Reservations old = reservations.getOrDefault(dec(f[1]), Reservations.NONE);
        List<Reservations.Registrant> regs = new ArrayList<>(old.registrants());
        regs.add(new Reservations.Registrant(UUID.fromString(f[2]), Long.parseUnsignedLong(f[3])));
        reservations.put(dec(f[1]), new Reservations(old.generation(), regs, old.holder(),
            old.type()));
      } else if (!lines.get(i).isBlank()) {
        throw new IOException(file + ": line " + (i + 1) + " is malformed: " + lines.get(i));
      }
    }
    v1Shares.forEach((pool, replicas) -> {
      if (pools.containsKey(pool)) {
        shares.put(pool, replicas);
      }
    });
  }

  synchronized List<Entry> entries() {
    return pools.values().stream().map(p -> new Entry(p.name(), p.uuid(), p.disk(),
        shares.getOrDefault(p.name(), Set.of()))).toList();
  }

  /** Records a pool (keeping its shares when it is there already). */
  synchronized void put(String name, String uuid, String disk) {
    record("pool " + enc(name) + " " + enc(uuid) + " " + enc(disk));
  }

  synchronized void remove(String name) {
    if (pools.containsKey(name)) {
      record("unpool " + enc(name));
    }
  }

  /** Records that a replica of {@code pool} is no longer shared; a no-op when it was not. */
  synchronized void setShared(String pool, String replica, boolean shared) {
    setShared(pool, replica, shared, Set.of());
  }

  /**
   * Records whether a replica of {@code pool} is shared, and to which hosts (empty: any host);
   * a no-op when nothing changes.
   */
  synchronized void setShared(String pool, String replica, boolean shared, Set<String> allowed) {
    Set<String> wanted = shared ? new TreeSet<>(allowed) : Set.of();
    if (!pools.containsKey(pool)
        || shares.getOrDefault(pool, Set.of()).contains(replica) == shared
        && hosts.getOrDefault(replica, Set.of()).equals(wanted)) {
      return;
    }
    record(shareRecord(pool, replica, shared, wanted));
  }

  /** The host NQNs a shared replica admits; empty means any host. */
  synchronized Set<String> hosts(String replica) {
    return Set.copyOf(hosts.getOrDefault(replica, Set.of()));
  }

  /** The saved reservations of a replica's namespace; {@link Reservations#NONE} when none. */
  synchronized Reservations reservations(String replica) {
    return reservations.getOrDefault(replica, Reservations.NONE);
  }

  /** Records a replica's reservations durably (synced before return). */
  synchronized void reservations(String replica, Reservations r) {
    if (r.equals(reservations(replica))) {
      return;
    }
    record(r.registrants().isEmpty() && r.holder() == null ? "unresv " + enc(replica)
        : reservationRecord(replica, r));
  }

  /** Forgets a destroyed replica's reservations. */
  synchronized void forgetReservations(String replica) {
    if (reservations.containsKey(replica)) {
      record("unresv " + enc(replica));
    }
  }

  private static String shareRecord(String pool, String replica, boolean shared, Set<String> allowed) {
    StringBuilder b = new StringBuilder(shared ? "share " : "unshare ").append(enc(pool)).append(' ')
        .append(enc(replica));
    allowed.forEach(h -> b.append(' ').append(enc(h)));
    return b.toString();
  }

  private static String reservationRecord(String replica, Reservations r) {
    StringBuilder b = new StringBuilder("resv ").append(enc(replica)).append(' ').append(r.generation())
        .append(' ').append(r.type()).append(' ').append(r.holder() == null ? "-" : r.holder());
    r.registrants().forEach(k -> b.append(' ').append(k.hostId()).append(':')
        .append(Long.toUnsignedString(k.key())));
    return b.toString();
  }

  /** Applies a share or unshare to the state. */
  private void share(String pool, String replica, boolean shared, Set<String> allowed) {
    if (!pools.containsKey(pool)) {
      return;
    }
    Set<String> s = shares.computeIfAbsent(pool, k -> new TreeSet<>());
    if (shared) {
      s.add(replica);
    } else {
      s.remove(replica);
    }
    if (!shared || allowed.isEmpty()) {
      hosts.remove(replica);
    } else {
      hosts.put(replica, new TreeSet<>(allowed));
    }
  }

  /**
   * Makes a change durable, then applies it: appended and synced, so that what is in memory is
   * never ahead of what a restart reads back. Compacts the log once it has grown enough.
   */
  private void record(String record) {
    if (torn) {
      snapshot(); // throws while the disk still refuses; the state in memory is what it was
    }
    byte[] line = (crc(record) + " " + record + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      torn = true;
      write(ch, line);
      ch.force(false);
      torn = false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the pool registry " + file + ": "
          + e.getMessage(), e);
    }
    apply(record.split(" "));
    appendedBytes += line.length;
    if (appendedBytes > Math.max(MIN_COMPACT_BYTES, 2 * snapshotBytes)) {
      snapshot();
    }
  }

  /** Rewrites the file as the records of the current state, atomically. */
  private void snapshot() {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    pools.values().forEach(p -> line(b, "pool " + enc(p.name()) + " " + enc(p.uuid()) + " " + enc(p.disk())));
    shares.forEach((pool, replicas) -> replicas.forEach(replica -> line(b,
        shareRecord(pool, replica, true, hosts.getOrDefault(replica, Set.of())))));
    reservations.forEach((replica, r) -> line(b, reservationRecord(replica, r)));
    byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
    Path tmp = dir.resolve(FILE + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        write(ch, bytes);
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      // The rename is durable only once the directory is.
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the pool registry " + file + ": "
          + e.getMessage(), e);
    }
    snapshotBytes = bytes.length;
    appendedBytes = 0;
    torn = false;
  }

  private static void line(StringBuilder b, String record) {
    b.append(crc(record)).append(' ').append(record).append('\n');
  }

  private static void write(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static String crc(String record) {
    CRC32 c = new CRC32();
    c.update(record.getBytes(StandardCharsets.UTF_8));
    return String.format("%08x", c.getValue());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
