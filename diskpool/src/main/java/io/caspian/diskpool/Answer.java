package io.caspian.diskpool;

/**
 * What the REST API answered to one call. The variants keep apart what the reconciler must treat differently:
 * a refusal ({@link Refused}: 4xx, the request is wrong and only the user can change that) is shown in status,
 * while no answer ({@link Unavailable}: unreachable, timeout, 5xx) is evidence of nothing and only retried.
 */
sealed interface Answer {
    /** The pool exists (GET) or now exists (PUT). */
    record Pool(PoolView view) implements Answer {
    }

    /** DELETE succeeded. */
    record Deleted() implements Answer {
    }

    /** 404: no such pool on that node (GET, DELETE), or no such node. */
    record NotFound(String message) implements Answer {
    }

    /** Another 4xx: e.g. 409 a disk holding data, a name taken by another pool, a pool that still holds replicas. */
    record Refused(int status, String kind, String message) implements Answer {
    }

    /** No answer, or a 5xx: the API or an io-engine is not available now. */
    record Unavailable(String message) implements Answer {
    }
}
