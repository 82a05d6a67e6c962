package io.caspian.control.bus;

import io.caspian.events.proto.bus.BusEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A sink over an in-memory "store" that outlives consumers, standing in for the entities' journal: an event and
 * its stream's mark are stored together. It can fail its first calls, or store an event and then never answer (a
 * control plane that dies after persisting, before the offset is committed).
 */
final class MemorySink implements BusSink {

  /** What the store holds; shared by the sinks of consumers that replace each other. */
  static final class Store {
    final Map<StreamKey, Long> marks = new HashMap<>();
    final List<BusEvent> applied = new ArrayList<>();

    synchronized List<BusEvent> applied() {
      return List.copyOf(applied);
    }
  }

  final Store store;
  private final AtomicInteger failuresLeft;
  private final Predicate<BusEvent> hangAfterStoring;

  MemorySink(Store store, int failFirst, Predicate<BusEvent> hangAfterStoring) {
    this.store = store;
    this.failuresLeft = new AtomicInteger(failFirst);
    this.hangAfterStoring = hangAfterStoring;
  }

  @Override
  public CompletionStage<Void> apply(StreamKey key, BusEvent event) {
    if (failuresLeft.getAndDecrement() > 0) {
      return CompletableFuture.failedFuture(new IllegalStateException("entity unavailable"));
    }
    synchronized (store) {
      store.applied.add(event);
      store.marks.merge(key, event.getSeq(), Math::max);
    }
    return hangAfterStoring.test(event) ? new CompletableFuture<>() : CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Long> appliedUpTo(StreamKey key) {
    synchronized (store) {
      return CompletableFuture.completedFuture(store.marks.getOrDefault(key, 0L));
    }
  }
}
