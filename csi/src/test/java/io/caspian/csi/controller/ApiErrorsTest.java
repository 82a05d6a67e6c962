package io.caspian.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

class ApiErrorsTest {
    @Test
    void eachRestAnswerMapsToTheCodeTheSpecNamesForTheCall() {
        assertEquals(Status.Code.ALREADY_EXISTS, ApiErrors.code(ApiErrors.Call.CREATE, 409).getCode());
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, ApiErrors.code(ApiErrors.Call.CREATE, 422).getCode());
        assertEquals(Status.Code.FAILED_PRECONDITION, ApiErrors.code(ApiErrors.Call.PUBLISH, 409).getCode());
        assertEquals(Status.Code.FAILED_PRECONDITION, ApiErrors.code(ApiErrors.Call.PUBLISH, 422).getCode());
        assertEquals(Status.Code.NOT_FOUND, ApiErrors.code(ApiErrors.Call.PUBLISH, 404).getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT, ApiErrors.code(ApiErrors.Call.CREATE, 400).getCode());
        assertEquals(Status.Code.UNAVAILABLE, ApiErrors.code(ApiErrors.Call.READ, 503).getCode());
        assertEquals(Status.Code.UNAVAILABLE, ApiErrors.code(ApiErrors.Call.DELETE, 0).getCode());
        assertEquals(Status.Code.INTERNAL, ApiErrors.code(ApiErrors.Call.READ, 500).getCode());
    }

    @Test
    void theMessageKeepsWhatTheApiSaid() {
        var e = ApiErrors.toStatus(ApiErrors.Call.CREATE, new CaspianApi.ApiException(422, "UNPROCESSABLE",
                "cannot create volume 'v': no pool with 2 GiB free on 3 nodes"));
        assertTrue(e.getStatus().getDescription().contains("no pool with 2 GiB free"), e.getStatus().toString());
    }
}
