package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class VolumeLocksTest {
    @Test
    void aSecondOperationOnABusyVolumeIsAbortedAndLaterAllowed() {
        VolumeLocks locks = new VolumeLocks();
        String inner = locks.run("v1", "NodeStageVolume", () -> {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> locks.run("v1", "NodeStageVolume", () -> "twice"));
            assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
            return locks.run("v2", "NodeStageVolume", () -> "other volume");
        });
        assertEquals("other volume", inner);
        assertEquals("again", locks.run("v1", "NodeStageVolume", () -> "again"));
        assertThrows(IllegalStateException.class, () -> locks.run("v1", "x", () -> {
            throw new IllegalStateException("failed");
        }));
        assertEquals("released after a failure", locks.run("v1", "x", () -> "released after a failure"));
    }
}
