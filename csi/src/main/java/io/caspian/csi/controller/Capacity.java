package io.caspian.csi.controller;

import io.caspian.csi.v1.CapacityRange;
import io.grpc.Status;

/**
 * A CapacityRange turned into a volume size: whole MiB (the smallest pool cluster, so that no byte the pool
 * allocates is wasted or unaddressable), at least what is required, never over the limit.
 */
public final class Capacity {
    public static final long UNIT = 1L << 20;
    /** What a request without a capacity range gets. */
    public static final long DEFAULT = 1L << 30;

    private Capacity() {
    }

    /** The size to create; OUT_OF_RANGE when the limit is below the rounded requirement. */
    public static long size(CapacityRange r) {
        long required = r.getRequiredBytes();
        long limit = r.getLimitBytes();
        if (required < 0 || limit < 0) {
            throw Status.INVALID_ARGUMENT.withDescription("capacity range must not be negative: required "
                    + required + ", limit " + limit).asRuntimeException();
        }
        if (limit != 0 && limit < required) {
            throw Status.OUT_OF_RANGE.withDescription("capacity limit " + limit + " is below the required "
                    + required + " bytes").asRuntimeException();
        }
        long size;
        if (required > 0) {
            size = roundUp(required);
        } else if (limit > 0) {
            size = Math.min(DEFAULT, limit / UNIT * UNIT);
        } else {
            size = DEFAULT;
        }
        if (size == 0 || (limit != 0 && size > limit)) {
            throw Status.OUT_OF_RANGE.withDescription("volumes are whole MiB: " + required + " bytes round up to "
                    + roundUp(Math.max(required, 1)) + ", over the limit of " + limit + " bytes").asRuntimeException();
        }
        return size;
    }

    /** Whether an existing volume of {@code size} bytes satisfies the range (CreateVolume's idempotency). */
    public static boolean satisfies(long size, CapacityRange r) {
        return size >= r.getRequiredBytes() && (r.getLimitBytes() == 0 || size <= r.getLimitBytes());
    }

    static long roundUp(long bytes) {
        return (bytes + UNIT - 1) / UNIT * UNIT;
    }
}
