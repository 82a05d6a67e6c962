package io.caspian.projections.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caspian.projections.audit.AuditQueries;
import io.caspian.projections.audit.AuditRow;
import io.caspian.projections.audit.EventPage;
import io.caspian.projections.audit.EventQuery;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v0/events}: audit rows by volume, node, entity, type and time, a page at a time. Queries block on
 * the database, so they run on {@code executor}, never on the HTTP event loop.
 */
public final class EventsRoute extends AllDirectives {
    private static final Logger LOG = LoggerFactory.getLogger(EventsRoute.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditQueries queries;
    private final Executor executor;
    private final Clock clock;

    public EventsRoute(AuditQueries queries, Executor executor) {
        this(queries, executor, Clock.systemUTC());
    }

    EventsRoute(AuditQueries queries, Executor executor, Clock clock) {
        this.queries = queries;
        this.executor = executor;
        this.clock = clock;
    }

    /** Relative to {@code /v0}. */
    public Route route() {
        return path("events", () -> get(() -> parameterMap(this::answer)));
    }

    private Route answer(Map<String, String> params) {
        EventQuery q;
        try {
            q = EventQueryParams.parse(params, clock);
        } catch (IllegalArgumentException e) {
            return complete(error(StatusCodes.BAD_REQUEST, "INVALID", e.getMessage()));
        }
        return completeWithFuture(CompletableFuture.supplyAsync(() -> {
            try {
                return json(StatusCodes.OK, page(queries.find(q)));
            } catch (Exception e) {
                LOG.warn("event query {} failed", params, e);
                return error(StatusCodes.SERVICE_UNAVAILABLE, "UNAVAILABLE",
                        "the audit table cannot be read: " + e.getMessage());
            }
        }, executor));
    }

    private static Map<String, Object> page(EventPage p) throws Exception {
        List<Map<String, Object>> events = new java.util.ArrayList<>();
        for (EventPage.Stored s : p.events()) {
            events.add(event(s.row()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("events", events);
        m.put("next_cursor", p.next() == null ? null : p.next().encode());
        return m;
    }

    private static Map<String, Object> event(AuditRow r) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event_id", r.eventId());
        m.put("entity_type", r.entityType());
        m.put("entity_id", r.entityId());
        m.put("volume", r.volume());
        m.put("node", r.node());
        m.put("type", r.eventType());
        m.put("time", Instant.ofEpochMilli(r.timestampMillis()).toString());
        m.put("sequence_nr", r.sequenceNr());
        JsonNode payload = JSON.readTree(r.payload());
        m.put("payload", payload);
        return m;
    }

    private static HttpResponse error(StatusCode status, String kind, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind);
        m.put("message", message);
        return json(status, m);
    }

    private static HttpResponse json(StatusCode status, Object body) {
        try {
            return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON,
                    JSON.writeValueAsBytes(body));
        } catch (Exception e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
