package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The reservation state machine alone: the spec's rules and Caspian's monotonic preempt. */
class ReservationsTest {

  private static final UUID A = UUID.fromString("aaaaaaaa-0000-0000-0000-000000000001");
  private static final UUID B = UUID.fromString("bbbbbbbb-0000-0000-0000-000000000002");

  private static Reservations ok(Reservations.Change c) {
    assertEquals(SC_SUCCESS, c.status());
    return c.next();
  }

  @Test
  void keysCompareUnsignedSoTheLargestGenerationsStillPreempt() {
    Reservations r = ok(Reservations.NONE.register(A, 0, false, 0, Long.MAX_VALUE));
    r = ok(r.acquire(A, 0, RTYPE_WRITE_EXCLUSIVE, Long.MAX_VALUE, 0));
    r = ok(r.register(B, 0, false, 0, Long.MIN_VALUE)); // 2^63, greater unsigned
    r = ok(r.acquire(B, 1, RTYPE_WRITE_EXCLUSIVE, Long.MIN_VALUE, Long.MAX_VALUE));
    assertEquals(B, r.holder());
    assertEquals(List.of(new Reservations.Registrant(B, Long.MIN_VALUE)), r.registrants());
    assertFalse(r.mayWrite(A));
    assertTrue(r.mayWrite(B));
  }

  @Test
  void preemptNeedsAGreaterKeyAndAnExistingRegistrant() {
    Reservations r = ok(Reservations.NONE.register(A, 0, false, 0, 5));
    r = ok(r.acquire(A, 0, RTYPE_WRITE_EXCLUSIVE, 5, 0));
    r = ok(r.register(B, 0, false, 0, 9));
    assertEquals(SC_RESERVATION_CONFLICT, r.acquire(B, 1, RTYPE_WRITE_EXCLUSIVE, 9, 7).status(),
        "no registrant holds key 7");
    assertEquals(SC_RESERVATION_CONFLICT, r.acquire(B, 1, RTYPE_WRITE_EXCLUSIVE, 4, 5).status(),
        "B is registered with 9, not 4");
    assertEquals(SC_INVALID_FIELD | DNR, r.acquire(B, 1, 2, 9, 5).status(), "type 2 unsupported");
    Reservations after = ok(r.acquire(B, 2, RTYPE_WRITE_EXCLUSIVE, 9, 5)); // preempt and abort
    assertEquals(B, after.holder());
    assertEquals(-1, after.keyIndex(A));
    assertEquals(r.generation() + 1, after.generation());
  }

  @Test
  void preemptWithoutAHolderRemovesTheRegistrantAndTakesTheReservation() {
    Reservations r = ok(Reservations.NONE.register(A, 0, false, 0, 1));
    r = ok(r.register(B, 0, false, 0, 2));
    r = ok(r.acquire(B, 1, RTYPE_WRITE_EXCLUSIVE, 2, 1));
    assertEquals(B, r.holder());
    assertEquals(1, r.registrants().size());
  }

  @Test
  void replaceReleaseAndClear() {
    Reservations r = ok(Reservations.NONE.register(A, 0, false, 0, 1));
    assertEquals(SC_RESERVATION_CONFLICT, r.register(A, 2, false, 9, 3).status(), "wrong CRKEY");
    r = ok(r.register(A, 2, true, 9, 3)); // IEKEY ignores the current key
    r = ok(r.acquire(A, 0, RTYPE_WRITE_EXCLUSIVE, 3, 0));
    assertEquals(SC_INVALID_FIELD | DNR, r.release(A, 0, RTYPE_WRITE_EXCLUSIVE_REG_ONLY, 3)
        .status(), "release of another type");
    Reservations released = ok(r.release(A, 0, RTYPE_WRITE_EXCLUSIVE, 3));
    assertNull(released.holder());
    assertEquals(1, released.registrants().size());
    Reservations cleared = ok(r.release(A, 1, 0, 3));
    assertNull(cleared.holder());
    assertTrue(cleared.registrants().isEmpty());
    assertEquals(SC_RESERVATION_CONFLICT, Reservations.NONE.release(B, 0, 1, 0).status(),
        "an unregistered host releases nothing");
  }

  @Test
  void bothReportLayouts() {
    Reservations r = ok(Reservations.NONE.register(A, 0, false, 0, 0x1122334455667788L));
    r = ok(r.acquire(A, 0, RTYPE_WRITE_EXCLUSIVE, 0x1122334455667788L, 0));
    r = ok(r.register(B, 0, false, 0, 2));

    ByteBuffer x = ByteBuffer.wrap(r.report(true)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(64 + 2 * 64, x.capacity());
    assertEquals(2, x.getInt(0));
    assertEquals(RTYPE_WRITE_EXCLUSIVE, x.get(4));
    assertEquals(2, x.getShort(5));
    assertEquals((short) 0xFFFF, x.getShort(64));
    assertEquals(1, x.get(64 + 2), "A holds");
    assertEquals(0x1122334455667788L, x.getLong(64 + 8));
    assertEquals(A.getMostSignificantBits(), x.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(64 + 16));
    assertEquals(0, x.get(128 + 2));
    assertEquals(2, x.getLong(128 + 8));

    ByteBuffer o = ByteBuffer.wrap(r.report(false)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(24 + 2 * 24, o.capacity());
    assertEquals(0x1122334455667788L, o.getLong(24 + 16));
    assertEquals(2, o.getLong(48 + 16));
  }

  @Test
  void registrantsOnlyAdmitsEveryRegistrant() {
    Reservations r = ok(Reservations.NONE.register(A, 0, false, 0, 1));
    r = ok(r.acquire(A, 0, RTYPE_WRITE_EXCLUSIVE_REG_ONLY, 1, 0));
    assertFalse(r.mayWrite(B));
    r = ok(r.register(B, 0, false, 0, 2));
    assertTrue(r.mayWrite(B));
    assertTrue(Reservations.NONE.mayWrite(B), "no reservation: everyone writes");
  }
}
