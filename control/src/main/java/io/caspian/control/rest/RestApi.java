package io.caspian.control.rest;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.caspian.control.entity.Reply;
import io.caspian.control.observed.Inventory;
import io.caspian.control.observed.IoEngineException;
import io.caspian.control.service.ControlException;
import io.caspian.control.readmodel.ReadModel;
import io.caspian.control.rest.auth.BearerAuthenticator;
import io.caspian.control.rest.auth.RestAuth;
import io.caspian.control.service.Entities;
import io.caspian.control.service.PoolService;
import io.caspian.control.service.VolumeService;
import io.caspian.control.service.VolumeStatsService;
import io.caspian.events.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes of the v0 API. Handlers block on entities and io-engines, so each runs on {@code executor}, never on
 * the HTTP event loop. Every error is JSON: {@code {"kind": ..., "message": ...}}.
 */
public final class RestApi extends AllDirectives {
    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);

    private static final ContentType YAML = ContentTypes.create(
            MediaTypes.applicationWithOpenCharset("yaml"), HttpCharsets.UTF_8);

    private final Views views;
    private final VolumeService volumes;
    private final PoolService pools;
    private final VolumeStatsService stats;
    private final Executor executor;
    private final byte[] openApi;

    public RestApi(Entities entities, ReadModel model, Inventory inventory,
                   VolumeService volumes, PoolService pools, VolumeStatsService stats, Executor executor) {
        this.views = new Views(entities, model, inventory, volumes::shortfall);
        this.volumes = volumes;
        this.pools = pools;
        this.stats = stats;
        this.executor = executor;
        this.openApi = loadOpenApi();
    }

    /**
     * The API under {@code /v0}, with the routes of other modules (e.g. the event queries), all sharing the JSON error
     * handling and {@code auth}, which guards everything but {@code /v0/health}.
     */
    public Route route(RestAuth auth, java.util.List<Route> more) {
        Route own = concat(
                path("api-spec", () -> get(() -> complete(HttpResponse.create().withEntity(YAML, openApi)))),
                nodes(), pools(), replicas(), nexuses(), volumes());
        Route guarded = new BearerAuthenticator(auth, RestApi::error).around(more.isEmpty() ? own
                : concat(own, more.toArray(new Route[0])));
        return handleRejections(RejectionHandler.defaultHandler().mapRejectionResponse(RestApi::asJsonError),
                () -> pathPrefix("v0", () -> concat(health(), guarded)));
    }

    /**
     * Open to all, for probes and health checks that hold no token: it says only that the API answers, from the
     * same executor every operation runs on, so a wedged executor shows as a failed probe.
     */
    private Route health() {
        return path("health", () -> get(() -> run(() -> ok(new Json.Health("UP")))));
    }

    private Route nodes() {
        return concat(
                path("nodes", () -> get(() -> run(() -> ok(views.nodes())))),
                path(segment("nodes").slash(segment()), id -> get(() -> run(() -> ok(found(views.node(node(id)),
                        "node", id))))),
                path(segment("nodes").slash(segment()).slash("pools").slash(segment()), (node, pool) -> concat(
                        put(() -> entity(Unmarshaller.entityToString(), body -> run(() -> {
                            node(node);
                            pool(pool);
                            RequestBodies.CreatePool req = RequestBodies.createPool(body);
                            return ok(views.pool(pools.create(node, pool, req.disks(), req.labels(),
                                    req.overwrite())));
                        }))),
                        get(() -> run(() -> {
                            node(node);
                            Json.Pool p = found(views.pool(pool(pool)), "pool", pool);
                            if (!p.node().equals(node)) {
                                throw new ControlException(Reply.Kind.NOT_FOUND, "pool '" + pool + "' is not on node '"
                                        + node + "'");
                            }
                            return ok(p);
                        })),
                        delete(() -> run(() -> {
                            pools.destroy(node(node), pool(pool));
                            return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
                        })))));
    }

    private Route pools() {
        return concat(
                path("pools", () -> get(() -> run(() -> ok(views.pools())))),
                path(segment("pools").slash(segment()), id -> get(() -> run(() -> ok(found(views.pool(pool(id)),
                        "pool", id))))));
    }

    private Route replicas() {
        return concat(
                path("replicas", () -> get(() -> run(() -> ok(views.replicas())))),
                path(segment("replicas").slash(segment()), id -> get(() -> run(() -> ok(found(views.replica(
                        Names.uuid("replica", id)), "replica", id))))));
    }

    private Route nexuses() {
        return concat(
                path("nexuses", () -> get(() -> run(() -> ok(views.nexuses())))),
                path(segment("nexuses").slash(segment()), id -> get(() -> run(() -> ok(found(views.nexus(
                        Names.uuid("nexus", id)), "nexus", id))))));
    }

    private Route volumes() {
        return concat(
                path("volumes", () -> get(() -> run(() -> ok(views.volumes())))),
                path(segment("volumes").slash(segment()), id -> concat(
                        put(() -> entity(Unmarshaller.entityToString(), body -> run(() ->
                                ok(views.volume(volumes.create(volume(id), RequestBodies.createVolume(body))))))),
                        get(() -> run(() -> ok(found(views.volume(volume(id)), "volume", id)))),
                        delete(() -> run(() -> {
                            volumes.destroy(volume(id));
                            return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
                        })))),
                path(segment("volumes").slash(segment()).slash("stats"), id ->
                        get(() -> run(() -> ok(Views.stats(stats.read(volume(id))))))),
                path(segment("volumes").slash(segment()).slash("replica_count").slash(segment()), (id, n) ->
                        put(() -> run(() -> ok(views.volume(volumes.setReplicaCount(volume(id), replicaCount(n))))))),
                path(segment("volumes").slash(segment()).slash("rebuild_rate").slash(segment()), (id, rate) ->
                        put(() -> run(() -> {
                            var set = volumes.setRebuildRate(volume(id), rebuildRate(rate));
                            return ok(views.nexus(set.nexus(), set.answer()));
                        }))),
                path(segment("volumes").slash(segment()).slash("target"), id -> concat(
                        // host (repeatable): the host NQNs that may connect; none: any host (NBD has no host NQN).
                        put(() -> parameterOptional("protocol", protocol -> parameterOptional("node", node ->
                                parameterList("host", hosts -> run(() -> ok(views.volume(volumes.publish(volume(id),
                                        protocol(protocol), node.map(RestApi::node).orElse(null),
                                        java.util.Set.copyOf(hosts))))))))),
                        delete(() -> run(() -> ok(views.volume(volumes.unpublish(volume(id)))))))),
                path(segment("volumes").slash(segment()).slash("children").slash(segment()).slash("fault"),
                        (id, replica) -> concat(
                                put(() -> entity(Unmarshaller.entityToString(), body -> run(() -> {
                                    Json.InjectFault f = RequestBodies.injectFault(body);
                                    return ok(found(views.nexus(volumes.injectFault(volume(id),
                                            Names.uuid("replica", replica), f.op(),
                                            f.offset() == null ? 0 : f.offset(), f.length(), f.count()).id()),
                                            "nexus", id));
                                }))),
                                delete(() -> run(() -> ok(found(views.nexus(volumes.clearFaults(volume(id),
                                        Names.uuid("replica", replica)).id()), "nexus", id)))))));
    }

    // ------------------------------------------------------------------ request parsing

    private static String volume(String id) {
        return Names.uuid("volume", id);
    }

    private static String node(String name) {
        return Names.name("node", name);
    }

    private static String pool(String name) {
        return Names.name("pool", name);
    }

    /** Digits only: parseInt would also take "+2" and "٣" (Arabic-Indic three). */
    private static int replicaCount(String n) {
        if (!n.matches("[0-9]{1,9}")) {
            throw new ControlException(Reply.Kind.INVALID, "replica count must be an integer, got "
                    + Names.shown(n));
        }
        return Integer.parseInt(n);
    }

    private static long rebuildRate(String bytesPerSecond) {
        if (!bytesPerSecond.matches("[0-9]{1,15}")) {
            throw new ControlException(Reply.Kind.INVALID, "a rebuild rate is an integer number of bytes per second, "
                    + "got " + Names.shown(bytesPerSecond));
        }
        return Long.parseLong(bytesPerSecond);
    }

    private static Protocol protocol(Optional<String> p) {
        if (p.isEmpty()) {
            throw new ControlException(Reply.Kind.INVALID, "query parameter \"protocol\" is required: nvmf or nbd");
        }
        try {
            return Protocol.parse(p.get());
        } catch (IllegalArgumentException e) {
            throw new ControlException(Reply.Kind.INVALID, e.getMessage());
        }
    }

    private static <T> T found(Optional<T> value, String type, String id) {
        return value.orElseThrow(() -> new ControlException(Reply.Kind.NOT_FOUND, type + " '" + id
                + "' does not exist"));
    }

    // ------------------------------------------------------------------ responses

    private Route run(Supplier<HttpResponse> handler) {
        CompletionStage<HttpResponse> response = CompletableFuture.supplyAsync(() -> {
            try {
                return handler.get();
            } catch (ControlException e) {
                return error(status(e.kind()), e.kind().name(), e.getMessage());
            } catch (IoEngineException e) {
                return error(status(e), "IO_ENGINE_" + e.kind().name(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("request failed", e);
                return error(StatusCodes.INTERNAL_SERVER_ERROR, "INTERNAL", String.valueOf(e));
            }
        }, executor);
        return completeWithFuture(response);
    }

    private static HttpResponse ok(Object body) {
        try {
            return HttpResponse.create().withStatus(StatusCodes.OK)
                    .withEntity(ContentTypes.APPLICATION_JSON, Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON for " + body.getClass().getSimpleName(), e);
        }
    }

    public static HttpResponse error(StatusCode status, String kind, String message) {
        try {
            return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON,
                    Json.MAPPER.writeValueAsBytes(new Json.Error(kind, message)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an error", e);
        }
    }

    private static StatusCode status(Reply.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> StatusCodes.NOT_FOUND;
            case CONFLICT -> StatusCodes.CONFLICT;
            case INVALID -> StatusCodes.BAD_REQUEST;
            case UNPROCESSABLE -> StatusCodes.UNPROCESSABLE_CONTENT;
            case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
        };
    }

    private static StatusCode status(IoEngineException e) {
        return switch (e.kind()) {
            case ALREADY_EXISTS, FAILED_PRECONDITION -> StatusCodes.CONFLICT;
            case PERMISSION_DENIED -> StatusCodes.FORBIDDEN;
            case UNAVAILABLE -> StatusCodes.SERVICE_UNAVAILABLE;
            case INTERNAL, UNSPECIFIED -> StatusCodes.INTERNAL_SERVER_ERROR;
            case NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED -> StatusCodes.UNPROCESSABLE_CONTENT;
        };
    }

    /** Pekko's own rejections (unknown path, wrong method) come back as plain text; make them JSON too. */
    private static HttpResponse asJsonError(HttpResponse r) {
        String message = r.status().reason();
        if (r.entity() instanceof HttpEntity.Strict strict && !strict.getData().isEmpty()) {
            message = strict.getData().utf8String();
        }
        return error(r.status(), r.status().reason().toUpperCase().replace(' ', '_'), message);
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = RestApi.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read openapi.yaml", e);
        }
    }
}
