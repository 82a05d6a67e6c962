package io.caspian.diskpool;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Bounded polling: every wait in these tests asks for a condition again until it holds or time runs out. */
final class Waits {
    private Waits() {
    }

    static <T> T until(String what, Duration max, Supplier<T> probe, Predicate<T> done) {
        long deadline = System.nanoTime() + max.toNanos();
        T last = probe.get();
        while (!done.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + max.toSeconds() + " s: " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
            last = probe.get();
        }
        return last;
    }
}
