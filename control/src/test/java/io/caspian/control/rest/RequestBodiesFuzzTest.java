package io.caspian.control.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.pool.PoolSpec;
import io.caspian.control.service.ControlException;
import java.io.IOException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Fuzzes the request bodies of the v0 API (pool create, volume create, fault injection) through the parsing the
 * routes call: any string is either a value the services can take (building the entity specs from it succeeds) or
 * an INVALID refusal, which the routes answer with a 400 whose body is a JSON error carrying the message.
 */
class RequestBodiesFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void anyBodyIsAValueOrABadRequest(FuzzedDataProvider data) throws IOException {
        int route = data.consumeInt(0, 2);
        String body = data.consumeRemainingAsString();
        try {
            switch (route) {
                case 0 -> {
                    RequestBodies.CreatePool p = RequestBodies.createPool(body);
                    new PoolSpec("node", "disk", p.labels());
                }
                case 1 -> RequestBodies.createVolume(body).problem();
                default -> RequestBodies.injectFault(body);
            }
        } catch (ControlException e) {
            assertEquals(Reply.Kind.INVALID, e.kind(), e::getMessage);
            HttpResponse r = RestApi.error(StatusCodes.BAD_REQUEST, e.kind().name(), e.getMessage());
            JsonNode json = Json.MAPPER.readTree(((HttpEntity.Strict) r.entity()).getData().toArray());
            assertEquals("INVALID", json.get("kind").asText());
            assertFalse(json.get("message").asText().isEmpty());
        }
    }
}
