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

/**
 * The node-local list of pools (name, uuid, disk URI) and of the replicas shared over NVMe/TCP,
 * which is what a restarted io-engine imports, with the hosts each share admits (so that a restart
 * never widens a share to any host), and the NVMe reservations of each replica's namespace ({@code
 * resv} and {@code rkey} lines: so that a restart never lets a fenced nexus write again). A
 * pool's contents live on its disk; this file only says which
 * disks to look at. Every change rewrites the file atomically (temp file, fsync,
 * rename, fsync of the directory), so a crash leaves the old or the new list, never a torn one.
 * Thread-safe: pool actors update it from the blocking dispatcher.
 */
final class PoolRegistry {

  /** One registered pool and the uuids of its replicas shared over NVMe/TCP. */
  record Entry(String name, String uuid, String disk, Set<String> shared) {
    public Entry {
      shared = Set.copyOf(shared);
    }
  }

  private static final String HEADER = "caspian-pool-registry 1";
  private static final String FILE = "pools.registry";

  private final Path dir;
  private final Path file;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  /** The host NQNs each shared replica admits, by replica uuid; absent means any host. */
  private final Map<String, Set<String>> hosts = new TreeMap<>();
  /**
   * The NVMe reservations of each replica's namespace, by replica uuid; absent means none. Kept
   * until the replica is destroyed, shared or not: a replica shared again must go on fencing
   * the nexus its holder superseded (docs/adr/nexus-fencing.md).
   */
  private final Map<String, Reservations> reservations = new TreeMap<>();

  private PoolRegistry(Path dir) {
    this.dir = dir;
    this.file = dir.resolve(FILE);
  }

  /** Reads the registry in {@code dir}, creating the directory; a missing file is an empty list. */
  static PoolRegistry open(Path dir) throws IOException {
    Files.createDirectories(dir);
    PoolRegistry r = new PoolRegistry(dir);
    if (!Files.exists(r.file)) {
      return r;
    }
    List<String> lines = Files.readAllLines(r.file, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
      throw new IOException(r.file + ": not a Caspian pool registry (first line must be '"
          + HEADER + "')");
    }
    Map<String, Set<String>> shares = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      if (f.length == 4 && f[0].equals("pool")) {
        String name = dec(f[1]);
        r.entries.put(name, new Entry(name, dec(f[2]), dec(f[3]), Set.of()));
      } else if (f.length == 3 && f[0].equals("share")) {
        shares.computeIfAbsent(dec(f[1]), k -> new TreeSet<>()).add(dec(f[2]));
      } else if (f.length == 3 && f[0].equals("host")) {
        r.hosts.computeIfAbsent(dec(f[1]), k -> new TreeSet<>()).add(dec(f[2]));
      } else if (f.length == 5 && f[0].equals("resv")) {
        // resv <replica> <PRGEN> <type> <holder host id, or - for none>
        Reservations old = r.reservations.getOrDefault(dec(f[1]), Reservations.NONE);
        r.reservations.put(dec(f[1]), new Reservations(Long.parseLong(f[2]), old.registrants(),
            f[4].equals("-") ? null : UUID.fromString(f[4]), Integer.parseInt(f[3])));
      } else if (f.length == 4 && f[0].equals("rkey")) {
        // rkey <replica> <host id> <key, unsigned>; after its replica's resv line
        Reservations old = r.reservations.getOrDefault(dec(f[1]), Reservations.NONE);
        List<Reservations.Registrant> regs = new ArrayList<>(old.registrants());
        regs.add(new Reservations.Registrant(UUID.fromString(f[2]), Long.parseUnsignedLong(f[3])));
        r.reservations.put(dec(f[1]), new Reservations(old.generation(), regs, old.holder(),
            old.type()));
      } else if (!lines.get(i).isBlank()) {
        throw new IOException(r.file + ": line " + (i + 1) + " is malformed: " + lines.get(i));
      }
    }
    shares.forEach((pool, s) -> r.entries.computeIfPresent(pool,
        (k, e) -> new Entry(e.name(), e.uuid(), e.disk(), s)));
    return r;
  }

  synchronized List<Entry> entries() {
    return List.copyOf(entries.values());
  }

  /** Records a pool (keeping its shares when it is there already). */
  synchronized void put(String name, String uuid, String disk) {
    Entry old = entries.get(name);
    entries.put(name, new Entry(name, uuid, disk, old == null ? Set.of() : old.shared()));
    save();
  }

  synchronized void remove(String name) {
    Entry e = entries.remove(name);
    if (e != null) {
      hosts.keySet().removeAll(e.shared());
      save();
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
    Entry e = entries.get(pool);
    Set<String> wanted = shared ? Set.copyOf(allowed) : Set.of();
    if (e == null || e.shared().contains(replica) == shared
        && hosts.getOrDefault(replica, Set.of()).equals(wanted)) {
      return;
    }
    Set<String> s = new TreeSet<>(e.shared());
    if (shared) {
      s.add(replica);
    } else {
      s.remove(replica);
    }
    if (wanted.isEmpty()) {
      hosts.remove(replica);
    } else {
      hosts.put(replica, new TreeSet<>(wanted));
    }
    entries.put(pool, new Entry(e.name(), e.uuid(), e.disk(), s));
    save();
  }

  /** The host NQNs a shared replica admits; empty means any host. */
  synchronized Set<String> hosts(String replica) {
    return Set.copyOf(hosts.getOrDefault(replica, Set.of()));
  }

  /** The saved reservations of a replica's namespace; {@link Reservations#NONE} when none. */
  synchronized Reservations reservations(String replica) {
    return reservations.getOrDefault(replica, Reservations.NONE);
  }

  /** Records a replica's reservations durably (the file is rewritten and synced before return). */
  synchronized void reservations(String replica, Reservations r) {
    if (r.equals(reservations(replica))) {
      return;
    }
    if (r.registrants().isEmpty() && r.holder() == null) {
      reservations.remove(replica);
    } else {
      reservations.put(replica, r);
    }
    save();
  }

  /** Forgets a destroyed replica's reservations. */
  synchronized void forgetReservations(String replica) {
    if (reservations.remove(replica) != null) {
      save();
    }
  }

  private void save() {
    List<String> lines = new ArrayList<>();
    lines.add(HEADER);
    for (Entry e : entries.values()) {
      lines.add("pool " + enc(e.name()) + " " + enc(e.uuid()) + " " + enc(e.disk()));
      for (String s : e.shared()) {
        lines.add("share " + enc(e.name()) + " " + enc(s));
        for (String h : hosts.getOrDefault(s, Set.of())) {
          lines.add("host " + enc(s) + " " + enc(h));
        }
      }
    }
    reservations.forEach((replica, r) -> {
      lines.add("resv " + enc(replica) + " " + r.generation() + " " + r.type() + " "
          + (r.holder() == null ? "-" : r.holder()));
      for (Reservations.Registrant k : r.registrants()) {
        lines.add("rkey " + enc(replica) + " " + k.hostId() + " "
            + Long.toUnsignedString(k.key()));
      }
    });
    byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    Path tmp = dir.resolve(FILE + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
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
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
