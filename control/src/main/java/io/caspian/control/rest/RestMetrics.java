package io.caspian.control.rest;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Times every REST request: {@code caspian_rest_request_duration_seconds{method,route,status}}, a
 * histogram whose {@code _count} is also the request count by route and status. The route label is
 * the path's template ({@code /v0/volumes/{id}/target}), so the number of series stays bounded
 * whatever ids clients send; a path outside the API is {@code unmatched}.
 */
public final class RestMetrics extends AllDirectives {

    /** The words the API's paths are made of; any other word makes a path unmatched. */
    private static final Set<String> WORDS = Set.of("api-spec", "nodes", "pools", "replicas", "nexuses", "volumes",
            "target", "replica_count", "children", "fault", "events", "stats", "health");
    /** Words followed by no id. */
    private static final Set<String> LEAVES = Set.of("api-spec", "target", "fault", "events", "stats",
            "health");

    private final Histogram duration;

    public RestMetrics(PrometheusRegistry registry) {
        this.duration = Histogram.builder()
                .name("caspian_rest_request_duration_seconds")
                .help("REST API requests by method, route template and status code, and how long they took")
                .labelNames("method", "route", "status")
                .classicOnly()
                .register(registry);
    }

    /**
     * {@code inner}, with each request timed from arrival to response. Rejections are turned into responses here,
     * as the server would do outside, so that a 404 or 405 is counted too.
     */
    public Route around(Route inner) {
        return extractRequest(req -> {
            long start = System.nanoTime();
            String method = req.method().name();
            String route = template(req.getUri().path());
            return mapResponse(res -> observe(method, route, res, start),
                    () -> handleRejections(RejectionHandler.defaultHandler(), () -> inner));
        });
    }

    private HttpResponse observe(String method, String route, HttpResponse res, long start) {
        duration.labelValues(method, route, Integer.toString(res.status().intValue()))
                .observe((System.nanoTime() - start) / 1e9);
        return res;
    }

    /** {@code /v0/nodes/n1/pools/p1} is {@code /v0/nodes/{id}/pools/{id}}. */
    static String template(String path) {
        List<String> parts = List.of(path.replaceAll("^/+|/+$", "").split("/+"));
        if (parts.isEmpty() || !parts.get(0).equals("v0")) {
            return "unmatched";
        }
        StringBuilder out = new StringBuilder("/v0");
        boolean idNext = false;
        for (String p : parts.subList(1, parts.size())) {
            if (idNext) {
                out.append("/{id}");
                idNext = false;
            } else if (WORDS.contains(p)) {
                out.append('/').append(p);
                idNext = !LEAVES.contains(p);
            } else {
                return "unmatched";
            }
        }
        return out.toString();
    }

    /** For tests: the route templates seen so far and their request counts. */
    Map<String, Long> counts() {
        Map<String, Long> m = new java.util.TreeMap<>();
        duration.collect().getDataPoints().forEach(d -> m.merge(d.getLabels().get("method") + " "
                + d.getLabels().get("route") + " " + d.getLabels().get("status"), d.getCount(), Long::sum));
        return m;
    }
}
