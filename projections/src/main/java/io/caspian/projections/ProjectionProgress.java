package io.caspian.projections;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.HandlerRecoveryStrategy;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.StatusObserver;
import org.apache.pekko.projection.eventsourced.EventEnvelope;

/**
 * What each projection in this JVM has done since it started: the events it processed (committed with the audit
 * offset; acknowledged by the broker for the topic) and the journal position of the newest of them. Pekko calls it
 * once per event after the event's effect is visible, off the handler's hot path; it keeps two numbers per
 * projection and allocates only when it first sees a projection.
 */
public final class ProjectionProgress extends StatusObserver<EventEnvelope<Object>> {
    private record Counts(LongAdder events, AtomicLong ordering) {
    }

    private final Map<ProjectionId, Counts> counts = new ConcurrentHashMap<>();

    /** Events processed by {@code id} in this JVM. */
    public long events(ProjectionId id) {
        Counts c = counts.get(id);
        return c == null ? 0 : c.events().sum();
    }

    /** The journal ordering of the newest event {@code id} processed in this JVM; empty before the first. */
    public OptionalLong ordering(ProjectionId id) {
        Counts c = counts.get(id);
        return c == null ? OptionalLong.empty() : OptionalLong.of(c.ordering().get());
    }

    @Override
    public void afterProcess(ProjectionId id, EventEnvelope<Object> envelope) {
        Counts c = counts.computeIfAbsent(id, k -> new Counts(new LongAdder(), new AtomicLong()));
        c.events().increment();
        if (envelope.offset() instanceof Sequence s) {
            c.ordering().accumulateAndGet(s.value(), Math::max);
        }
    }

    @Override
    public void started(ProjectionId id) {
    }

    @Override
    public void failed(ProjectionId id, Throwable cause) {
    }

    @Override
    public void stopped(ProjectionId id) {
    }

    @Override
    public void beforeProcess(ProjectionId id, EventEnvelope<Object> envelope) {
    }

    @Override
    public void offsetProgress(ProjectionId id, EventEnvelope<Object> envelope) {
    }

    @Override
    public void error(ProjectionId id, EventEnvelope<Object> envelope, Throwable cause,
                      HandlerRecoveryStrategy recoveryStrategy) {
    }
}
