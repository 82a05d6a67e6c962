package io.caspian.control.bus;

import io.caspian.events.proto.bus.BusEvent;
import java.util.concurrent.CompletionStage;

/**
 * Where the {@link BusConsumer} delivers events: the control plane routes each to its Nexus / Volume entity. The
 * consumer commits a record's offset only after {@link #apply}'s stage has completed, so the stage must complete
 * only once the entity has persisted the event.
 */
public interface BusSink {

  /**
   * Applies {@code event} of {@code key}'s stream and persists, together with it, that the stream is applied up to
   * {@code event.getSeq()}. A failed stage makes the consumer deliver the event again later.
   */
  CompletionStage<Void> apply(StreamKey key, BusEvent event);

  /**
   * The highest sequence number of {@code key}'s stream applied so far, 0 if none: read when the consumer meets a
   * stream for the first time since it started (or after a failure), so that redeliveries after a restart are
   * recognised too.
   */
  CompletionStage<Long> appliedUpTo(StreamKey key);
}
