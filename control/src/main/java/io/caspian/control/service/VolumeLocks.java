package io.caspian.control.service;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Serializes the operations on one volume, a user's and the reconcilers' alike. Striped rather than one lock per
 * volume id, so that the number of locks does not grow with every volume ever created; two volumes on one stripe
 * merely wait for each other. A nexus's id is its volume's, so a nexus is locked through its volume.
 */
public final class VolumeLocks {
    private final ReentrantLock[] stripes = IntStream.range(0, 64).mapToObj(i -> new ReentrantLock())
            .toArray(ReentrantLock[]::new);

    public <T> T locked(String id, Supplier<T> op) {
        ReentrantLock lock = stripes[Math.floorMod(id.hashCode(), stripes.length)];
        lock.lock();
        try {
            return op.get();
        } finally {
            lock.unlock();
        }
    }
}
