package io.caspian.nvmf.target;

import java.io.IOException;

/**
 * Where a subsystem's reservations persist. A replica's reservation must outlive its io-engine:
 * were it forgotten on a restart, a superseded nexus that reconnects could write again. The
 * target saves every change before it takes effect and answers the command only then, so what
 * a host was told it holds (or preempted) is on disk; a failed save fails the command.
 *
 * <p>Called on the event loop of the queue that sent the command, under the subsystem's lock:
 * reservation commands are rare (a nexus's open), so a synchronous, fsynced write is fine.
 */
@FunctionalInterface
public interface ReservationStore {

  /** Makes {@code r} the durable reservation state of subsystem {@code nqn}. */
  void save(String nqn, Reservations r) throws IOException;
}
