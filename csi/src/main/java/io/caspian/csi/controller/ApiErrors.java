package io.caspian.csi.controller;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * REST answers turned into the gRPC codes the CSI spec names for each call. The same HTTP status means different
 * things per call: 409 on create is a name taken with another spec (ALREADY_EXISTS), on publish a volume already
 * exported some other way (FAILED_PRECONDITION); 422 on create is no pool with room (RESOURCE_EXHAUSTED).
 */
public final class ApiErrors {
    /** The controller call an API error happened in. */
    public enum Call { CREATE, DELETE, PUBLISH, UNPUBLISH, READ }

    private ApiErrors() {
    }

    public static StatusRuntimeException toStatus(Call call, CaspianApi.ApiException e) {
        return code(call, e.status()).withDescription(e.getMessage() + " (REST " + (e.status() == 0 ? "unreachable"
                : e.status() + " " + e.kind()) + ")").asRuntimeException();
    }

    static Status code(Call call, int http) {
        return switch (http) {
            case 0, 502, 503, 504 -> Status.UNAVAILABLE;
            case 400 -> Status.INVALID_ARGUMENT;
            case 404 -> Status.NOT_FOUND;
            case 409 -> switch (call) {
                case CREATE -> Status.ALREADY_EXISTS;
                case DELETE, PUBLISH, UNPUBLISH -> Status.FAILED_PRECONDITION;
                case READ -> Status.INTERNAL;
            };
            case 422 -> switch (call) {
                case CREATE -> Status.RESOURCE_EXHAUSTED;
                case DELETE, PUBLISH, UNPUBLISH, READ -> Status.FAILED_PRECONDITION;
            };
            default -> Status.INTERNAL;
        };
    }
}
