package io.caspian.datanode.bus;

import io.caspian.kafka.BusTopics;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Events waiting for the sender, under the publisher's drop policy:
 * <ul>
 *   <li>Fault and rebuild events are kept in order and never dropped. They are made only on state changes, so even
 *       a long broker outage leaves a queue as long as the number of changes in it; its length is reported.
 *   <li>Rebuild progress checkpoints of one child replace each other while queued: only the newest matters.
 *   <li>Error counts are snapshots of a child's window, so a newer one replaces a queued one of the same child
 *       (coalesced). At most {@code errorCapacity} children's counts wait; past that the oldest is dropped.
 * </ul>
 * Callers hold the lock only for a few map operations: the nexus threads that offer events never wait on I/O.
 */
final class EventBuffer {

  private final int errorCapacity;
  private final ArrayDeque<Outgoing> ordered = new ArrayDeque<>();
  private final Map<String, Outgoing> queuedProgress = new HashMap<>();
  private final LinkedHashMap<String, Outgoing> errors = new LinkedHashMap<>();
  private boolean errorsNext;
  private boolean nudged;
  private long coalesced;
  private long dropped;
  private int orderedHighWater;

  EventBuffer(int errorCapacity) {
    if (errorCapacity < 1) {
      throw new IllegalArgumentException("error-count buffer capacity must be at least 1, not " + errorCapacity);
    }
    this.errorCapacity = errorCapacity;
  }

  synchronized void offer(Outgoing o) {
    if (o.topic.equals(BusTopics.IO_ERRORS)) {
      Outgoing queued = errors.get(o.coalesceKey);
      if (queued != null) {
        queued.event = o.event;
        coalesced++;
      } else {
        errors.put(o.coalesceKey, o);
        if (errors.size() > errorCapacity) {
          Iterator<Outgoing> eldest = errors.values().iterator();
          eldest.next();
          eldest.remove();
          dropped++;
        }
      }
    } else if (o.coalesceKey != null && queuedProgress.containsKey(o.coalesceKey)) {
      queuedProgress.get(o.coalesceKey).event = o.event;
      coalesced++;
    } else {
      if (o.coalesceKey != null) {
        queuedProgress.put(o.coalesceKey, o);
      }
      ordered.addLast(o);
      orderedHighWater = Math.max(orderedHighWater, ordered.size());
    }
    notifyAll();
  }

  /** Makes a waiting {@link #poll} return now: the sender has other work (a record to send again). */
  synchronized void nudge() {
    nudged = true;
    notifyAll();
  }

  /**
   * The next event to send, or null after {@code timeout} or a {@link #nudge}; fault/rebuild events and error counts
   * take turns.
   */
  synchronized Outgoing poll(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (ordered.isEmpty() && errors.isEmpty()) {
      if (nudged) {
        nudged = false;
        return null;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    errorsNext = !errorsNext;
    if (errors.isEmpty() || (!errorsNext && !ordered.isEmpty())) {
      Outgoing o = ordered.pollFirst();
      if (o.coalesceKey != null) {
        queuedProgress.remove(o.coalesceKey);
      }
      return o;
    }
    Iterator<Outgoing> it = errors.values().iterator();
    Outgoing o = it.next();
    it.remove();
    return o;
  }

  synchronized int size() {
    return ordered.size() + errors.size();
  }

  synchronized int orderedSize() {
    return ordered.size();
  }

  synchronized int orderedHighWater() {
    return orderedHighWater;
  }

  synchronized long coalesced() {
    return coalesced;
  }

  synchronized long dropped() {
    return dropped;
  }
}
