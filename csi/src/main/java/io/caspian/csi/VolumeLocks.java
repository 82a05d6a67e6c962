package io.caspian.csi;

import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One operation at a time per volume. The CSI spec lets a plugin answer ABORTED when an operation on the same
 * volume is already in flight; the caller (a sidecar, kubelet) retries later. Refusing rather than queueing keeps
 * a retry storm from piling up threads behind a slow mkfs or a stuck connect.
 */
public final class VolumeLocks {
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    /** Runs {@code operation} holding the volume; throws ABORTED when the volume is busy. */
    public <T> T run(String volumeId, String operation, Supplier<T> body) {
        if (!busy.add(volumeId)) {
            throw Status.ABORTED.withDescription("an operation on volume '" + volumeId + "' is already in progress; "
                    + operation + " will succeed when it is retried after that one ends").asRuntimeException();
        }
        try {
            return body.get();
        } finally {
            busy.remove(volumeId);
        }
    }
}
