package io.caspian.csi;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program (mkfs, mount, blkid, nbd-client ...) with a time limit. A command that overruns is killed and the
 * call fails with DEADLINE_EXCEEDED, so a hung mount never pins a gRPC thread; a failing command's stderr is in
 * the error so that the person reading the event can act on it.
 */
public final class ExternalCommand {
    private ExternalCommand() {
    }

    /** What a finished command printed. */
    public record Result(int exit, String out, String err) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /** Runs and returns whatever the exit status. */
    public static Result run(Duration timeout, List<String> argv) {
        Process p;
        try {
            p = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot run " + argv.get(0) + ": " + e.getMessage())
                    .asRuntimeException();
        }
        try {
            p.getOutputStream().close();
            Drain out = new Drain(p.getInputStream());
            Drain err = new Drain(p.getErrorStream());
            out.start();
            err.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw Status.DEADLINE_EXCEEDED.withDescription(String.join(" ", argv) + " did not finish within "
                        + timeout.toSeconds() + " s and was killed").asRuntimeException();
            }
            out.join(1000);
            err.join(1000);
            return new Result(p.exitValue(), out.text(), err.text());
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription(argv.get(0) + ": " + e.getMessage()).asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw Status.CANCELLED.withDescription(argv.get(0) + " interrupted").asRuntimeException();
        }
    }

    /** Runs and fails with INTERNAL (stderr included) unless it exits 0. */
    public static String check(Duration timeout, List<String> argv) {
        Result r = run(timeout, argv);
        if (!r.ok()) {
            throw Status.INTERNAL.withDescription(String.join(" ", argv) + " exited " + r.exit() + ": "
                    + (r.err().isBlank() ? r.out() : r.err()).strip()).asRuntimeException();
        }
        return r.out();
    }

    /** Reads a stream to its end on its own thread, so a chatty command never blocks on a full pipe. */
    private static final class Drain extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Drain(InputStream in) {
            super("csi-command-output");
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            try (in) {
                in.transferTo(buf);
            } catch (IOException e) {
                // The process died; what was read so far is all there is.
            }
        }

        String text() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
