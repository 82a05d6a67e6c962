package io.caspian.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Bounded polling for the tests across JVMs: a condition is checked every 250 ms until it holds or the bound passes.
 * A check that throws {@link IOException} (the control plane is down or restarting) counts as "not yet".
 */
final class Waits {
    private Waits() {
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void await(String what, Duration bound, Path logs, Check check) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out after " + bound.toSeconds() + " s waiting for: " + what + " (logs in "
                + logs + (last == null ? ")" : "; last error " + last.getMessage() + ")"));
    }
}
