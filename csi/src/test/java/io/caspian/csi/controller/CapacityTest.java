package io.caspian.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.csi.v1.CapacityRange;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class CapacityTest {
    private static final long MIB = 1L << 20;

    private static CapacityRange range(long required, long limit) {
        return CapacityRange.newBuilder().setRequiredBytes(required).setLimitBytes(limit).build();
    }

    private static Status.Code refused(long required, long limit) {
        return assertThrows(StatusRuntimeException.class, () -> Capacity.size(range(required, limit))).getStatus()
                .getCode();
    }

    @Test
    void roundsUpToWholeMebibytes() {
        assertEquals(MIB, Capacity.size(range(1, 0)));
        assertEquals(64 * MIB, Capacity.size(range(64 * MIB, 0)));
        assertEquals(65 * MIB, Capacity.size(range(64 * MIB + 1, 0)));
        assertEquals(65 * MIB, Capacity.size(range(64 * MIB + 1, 65 * MIB)));
        assertEquals(Capacity.DEFAULT, Capacity.size(CapacityRange.getDefaultInstance()));
        assertEquals(10 * MIB, Capacity.size(range(0, 10 * MIB + 5)), "no requirement: the largest size under it");
    }

    @Test
    void aLimitBelowTheRoundedSizeIsOutOfRange() {
        assertEquals(Status.Code.OUT_OF_RANGE, refused(64 * MIB + 1, 64 * MIB + 100));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(10 * MIB, 5 * MIB));
        assertEquals(Status.Code.OUT_OF_RANGE, refused(0, 1000));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(-1, 0));
    }

    @Test
    void anExistingVolumeSatisfiesARangeItFallsIn() {
        assertTrue(Capacity.satisfies(64 * MIB, range(64 * MIB, 0)));
        assertTrue(Capacity.satisfies(64 * MIB, range(63 * MIB, 64 * MIB)));
        assertFalse(Capacity.satisfies(64 * MIB, range(65 * MIB, 0)));
        assertFalse(Capacity.satisfies(64 * MIB, range(0, 32 * MIB)));
    }
}
