package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.*;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The NVMe reservation state of one namespace: who is registered with which key, and who holds
 * the reservation of which type (NVMe base spec 1.4, 8.8). Immutable: a command computes the
 * next state under the subsystem's lock and publishes it through a volatile field, so the I/O
 * path checks a write with one volatile read and a comparison of host identifiers, allocating
 * nothing (see {@link #mayWrite}).
 *
 * <p>Registrants are keyed by the Host Identifier of the Fabrics Connect data, as the spec has
 * it: every controller of one host shares its registration.
 *
 * <p><b>Caspian's fencing rule</b>, on top of the spec: a preempt (Acquire RACQA=01b or 10b)
 * succeeds only when the preempting key (CRKEY) is greater, unsigned, than the key it preempts
 * (PRKEY). Caspian's keys are nexus generations, so a superseded nexus can never preempt its
 * successor back, whatever order the commands arrive in. Preempting removes every registrant
 * of the preempted key, so the old nexus's host is no longer registered either. See
 * docs/adr/nexus-fencing.md.
 *
 * <p>Public so that the target's owner can persist it (see {@link ReservationStore}); only
 * this package changes it.
 *
 * @param generation PRGEN: counts successful register, unregister, replace and preempt
 * @param registrants the registered hosts, at most one entry per host
 * @param holder the host holding the reservation, or null when none is held
 * @param type the reservation type (RTYPE) when {@code holder} is not null, else 0
 */
public record Reservations(long generation, List<Registrant> registrants, UUID holder, int type) {

  /** One registered host and its reservation key. */
  public record Registrant(UUID hostId, long key) {}

  /** The result of a reservation command: an NVMe status and the state after it. */
  record Change(int status, Reservations next) {}

  /** No registrant, no reservation: a namespace's state before any command. */
  public static final Reservations NONE = new Reservations(0, List.of(), null, 0);

  public Reservations {
    registrants = List.copyOf(registrants);
    if (holder == null) {
      type = 0;
    }
  }

  /**
   * Whether {@code host} may write now. The I/O path's check: no reservation, the holder, or
   * (Write Exclusive - Registrants Only) any registrant. Indexed loop, no iterator: allocates
   * nothing.
   */
  boolean mayWrite(UUID host) {
    UUID h = holder;
    if (h == null || h.equals(host)) {
      return true;
    }
    if (type == RTYPE_WRITE_EXCLUSIVE_REG_ONLY) {
      return keyIndex(host) >= 0;
    }
    return false;
  }

  /** The registrant entry of {@code host}, or -1. */
  int keyIndex(UUID host) {
    List<Registrant> r = registrants;
    for (int i = 0, n = r.size(); i < n; i++) {
      if (r.get(i).hostId().equals(host)) {
        return i;
      }
    }
    return -1;
  }

  /** The key {@code host} registered; only when registered. */
  private long keyOf(UUID host) {
    return registrants.get(keyIndex(host)).key();
  }

  /** The holder's key, or 0 when nobody holds the reservation. */
  long holderKey() {
    return holder == null ? 0 : keyOf(holder);
  }

  private Change ok(Reservations next) {
    return new Change(SC_SUCCESS, next);
  }

  private Change fail(int status) {
    return new Change(status, this);
  }

  /**
   * Reservation Register: RREGA 0 registers {@code nrkey}, 1 unregisters, 2 replaces the key.
   * {@code iekey} skips the check of {@code crkey} against the current key.
   */
  Change register(UUID host, int rrega, boolean iekey, long crkey, long nrkey) {
    int at = keyIndex(host);
    List<Registrant> regs = new ArrayList<>(registrants);
    switch (rrega) {
      case 0 -> {
        if (at >= 0) {
          // Registering again with the key already held is a no-op; with another, a conflict.
          return regs.get(at).key() == nrkey ? ok(this) : fail(SC_RESERVATION_CONFLICT);
        }
        regs.add(new Registrant(host, nrkey));
        return ok(new Reservations(generation + 1, regs, holder, type));
      }
      case 1 -> {
        if (at < 0 || !iekey && regs.get(at).key() != crkey) {
          return fail(SC_RESERVATION_CONFLICT);
        }
        regs.remove(at);
        boolean released = host.equals(holder);
        return ok(new Reservations(generation + 1, regs, released ? null : holder, type));
      }
      case 2 -> {
        if (at < 0 && !iekey || at >= 0 && !iekey && regs.get(at).key() != crkey) {
          return fail(SC_RESERVATION_CONFLICT);
        }
        if (at >= 0) {
          regs.set(at, new Registrant(host, nrkey));
        } else {
          regs.add(new Registrant(host, nrkey));
        }
        return ok(new Reservations(generation + 1, regs, holder, type));
      }
      default -> {
        return fail(SC_INVALID_FIELD | DNR);
      }
    }
  }

  /**
   * Reservation Acquire: RACQA 0 acquires a reservation of {@code rtype}; 1 (and 2, preempt and
   * abort, which has nothing to abort here: commands are checked when they arrive) preempts the
   * registrants of {@code prkey}, taking the reservation when they held it or when none is held.
   * The caller must be registered with {@code crkey}.
   */
  Change acquire(UUID host, int racqa, int rtype, long crkey, long prkey) {
    if (rtype != RTYPE_WRITE_EXCLUSIVE && rtype != RTYPE_WRITE_EXCLUSIVE_REG_ONLY) {
      return fail(SC_INVALID_FIELD | DNR);
    }
    int at = keyIndex(host);
    if (at < 0 || registrants.get(at).key() != crkey) {
      return fail(SC_RESERVATION_CONFLICT);
    }
    switch (racqa) {
      case 0 -> {
        if (holder == null) {
          return ok(new Reservations(generation, registrants, host, rtype));
        }
        return holder.equals(host) && type == rtype ? ok(this) : fail(SC_RESERVATION_CONFLICT);
      }
      case 1, 2 -> {
        // The fencing rule: only a newer generation preempts an older one.
        if (Long.compareUnsigned(crkey, prkey) <= 0) {
          return fail(SC_RESERVATION_CONFLICT);
        }
        boolean holderPreempted = holder != null && holderKey() == prkey;
        List<Registrant> regs = new ArrayList<>();
        boolean removed = false;
        for (Registrant r : registrants) {
          if (r.key() == prkey && !r.hostId().equals(host)) {
            removed = true;
          } else {
            regs.add(r);
          }
        }
        if (!removed) {
          return fail(SC_RESERVATION_CONFLICT);
        }
        boolean take = holderPreempted || holder == null;
        return ok(new Reservations(generation + 1, regs, take ? host : holder,
            take ? rtype : type));
      }
      default -> {
        return fail(SC_INVALID_FIELD | DNR);
      }
    }
  }

  /** Reservation Release: RRELA 0 releases the caller's reservation, 1 clears everything. */
  Change release(UUID host, int rrela, int rtype, long crkey) {
    int at = keyIndex(host);
    if (at < 0 || registrants.get(at).key() != crkey) {
      return fail(SC_RESERVATION_CONFLICT);
    }
    switch (rrela) {
      case 0 -> {
        if (holder == null || !holder.equals(host)) {
          return ok(this); // releasing what one does not hold does nothing (spec)
        }
        if (type != rtype) {
          return fail(SC_INVALID_FIELD | DNR);
        }
        return ok(new Reservations(generation, registrants, null, 0));
      }
      case 1 -> {
        return ok(new Reservations(generation + 1, List.of(), null, 0));
      }
      default -> {
        return fail(SC_INVALID_FIELD | DNR);
      }
    }
  }

  /**
   * The Reservation Status data structure: the extended one (EDS=1, 128-bit host identifiers,
   * 64-byte header and entries) or the original (EDS=0, 24-byte entries, the host identifier's
   * first 8 bytes).
   */
  byte[] report(boolean extended) {
    int header = extended ? 64 : 24;
    int entry = extended ? 64 : 24;
    byte[] b = new byte[header + entry * registrants.size()];
    java.nio.ByteBuffer out = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    out.putInt(0, (int) generation);
    out.put(4, (byte) type);
    out.putShort(5, (short) registrants.size());
    for (int i = 0; i < registrants.size(); i++) {
      Registrant r = registrants.get(i);
      int e = header + i * entry;
      out.putShort(e, (short) 0xFFFF); // registrant not tied to one controller (spec)
      out.put(e + 2, (byte) (r.hostId().equals(holder) ? 1 : 0));
      java.nio.ByteBuffer be = java.nio.ByteBuffer.wrap(b); // host ids are byte strings
      if (extended) {
        out.putLong(e + 8, r.key());
        be.putLong(e + 16, r.hostId().getMostSignificantBits());
        be.putLong(e + 24, r.hostId().getLeastSignificantBits());
      } else {
        be.putLong(e + 8, r.hostId().getMostSignificantBits());
        out.putLong(e + 16, r.key());
      }
    }
    return b;
  }
}
