package io.caspian.projections.audit;

/**
 * One row of {@code audit_events}. {@code volume} and {@code node} are null where the event belongs to no volume or
 * names no node; {@code payload} is the event as JSON.
 */
public record AuditRow(String eventId, String entityType, String entityId, String volume, String node,
                       String eventType, long timestampMillis, long sequenceNr, String payload) {
}
