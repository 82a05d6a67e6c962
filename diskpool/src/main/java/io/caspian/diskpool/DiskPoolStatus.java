package io.caspian.diskpool;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the operator last saw: {@code state} (the CRD's enum: Creating, Online, Degraded, Faulted, Offline,
 * Unknown, Error), sizes in bytes, and {@code message}: why the pool is not as asked, if it is not. A record, so
 * "only write when changed" is an {@code equals}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiskPoolStatus(String state, Long capacity, Long used, Long available, String message) {
    static final DiskPoolStatus EMPTY = new DiskPoolStatus(null, null, null, null, null);

    /** The control plane refused the pool (or its removal): the user has to act; sizes stay as last seen. */
    DiskPoolStatus error(String why) {
        return new DiskPoolStatus("Error", capacity, used, available, why);
    }

    /**
     * The control plane could not be asked: nothing is known now. Sizes stay as last seen, so that a short outage
     * does not blank the printer columns.
     */
    DiskPoolStatus unknown(String why) {
        return new DiskPoolStatus("Unknown", capacity, used, available, why);
    }

    /** The pool as the control plane shows it. */
    static DiskPoolStatus of(PoolView pool, String message) {
        return new DiskPoolStatus(state(pool.status()), pool.capacity(), pool.used(),
                Math.max(0, pool.capacity() - pool.used()), message);
    }

    /** The REST API's pool status (Online, Degraded, Faulted, Offline, Unknown) in the CRD's words. */
    static String state(String apiStatus) {
        return switch (apiStatus == null ? "" : apiStatus) {
            case "Online", "Degraded", "Faulted", "Offline" -> apiStatus;
            default -> "Unknown";
        };
    }
}
