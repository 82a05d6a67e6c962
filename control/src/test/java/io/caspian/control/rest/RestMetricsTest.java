package io.caspian.control.rest;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.Test;

/** Requests are counted and timed by method, route template and status. */
class RestMetricsTest extends AllDirectives {

    @Test
    void pathsBecomeTheirTemplates() {
        assertEquals("/v0/volumes", RestMetrics.template("/v0/volumes"));
        assertEquals("/v0/volumes/{id}", RestMetrics.template("/v0/volumes/7b1c"));
        assertEquals("/v0/volumes/{id}/target", RestMetrics.template("/v0/volumes/7b1c/target/"));
        assertEquals("/v0/volumes/{id}/stats", RestMetrics.template("/v0/volumes/7b1c/stats"));
        assertEquals("/v0/health", RestMetrics.template("/v0/health"));
        assertEquals("/v0/nodes/{id}/pools/{id}", RestMetrics.template("/v0/nodes/n1/pools/p1"));
        assertEquals("/v0/volumes/{id}/children/{id}/fault",
                RestMetrics.template("/v0/volumes/v/children/r/fault"));
        assertEquals("/v0/volumes/{id}/replica_count/{id}", RestMetrics.template("/v0/volumes/v/replica_count/3"));
        assertEquals("/v0/api-spec", RestMetrics.template("/v0/api-spec"));
        assertEquals("unmatched", RestMetrics.template("/v0/../etc/passwd"));
        assertEquals("unmatched", RestMetrics.template("/favicon.ico"));
        assertEquals("unmatched", RestMetrics.template("/v0/volumes/a/b/c"));
    }

    @Test
    void everyAnsweredRequestIsObservedWithItsStatus() throws Exception {
        ActorTestKit kit = ActorTestKit.create();
        try {
            RestMetrics metrics = new RestMetrics(new PrometheusRegistry());
            Route inner = pathPrefix("v0", () -> concat(
                    path("volumes", () -> get(() -> complete("[]"))),
                    path(segment("volumes").slash(segment()), id -> get(() -> complete(StatusCodes.NOT_FOUND,
                            "no volume " + id)))));
            ServerBinding b = Http.get(kit.system()).newServerAt("127.0.0.1", 0).bind(metrics.around(inner))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + b.localAddress().getPort();
            for (String p : new String[] {"/v0/volumes", "/v0/volumes", "/v0/volumes/a", "/v0/volumes/b", "/x"}) {
                http.send(HttpRequest.newBuilder(URI.create(base + p)).build(), HttpResponse.BodyHandlers.discarding());
            }
            assertEquals(Map.of("GET /v0/volumes 200", 2L, "GET /v0/volumes/{id} 404", 2L, "GET unmatched 404", 1L),
                    metrics.counts());
            b.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } finally {
            kit.shutdownTestKit();
        }
    }
}
