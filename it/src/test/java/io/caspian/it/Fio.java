package io.caspian.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real NBD client: fio's nbd engine (libnbd). Each region is written sequentially in 64 KiB blocks that carry a
 * crc32c and their own offset in a header, then read back and checked; {@link #verify} re-reads a region written
 * earlier and fails on any block that is missing, stale or corrupt.
 */
final class Fio {
    private final Path log;

    Fio(Path log) {
        this.log = log;
    }

    void writeAndVerify(String uri, long offsetMb, long sizeMb) throws IOException, InterruptedException {
        run(uri, offsetMb, sizeMb, "--do_verify=1");
    }

    void verify(String uri, long offsetMb, long sizeMb) throws IOException, InterruptedException {
        run(uri, offsetMb, sizeMb, "--verify_only");
    }

    /**
     * Starts writing (and then verifying) a region at about {@code mbPerSecond}, so that it is still running when
     * something else happens; {@link Running#await()} checks that it succeeded.
     */
    Running startWriteAndVerify(String uri, long offsetMb, long sizeMb, int mbPerSecond) throws IOException {
        return new Running(uri, offsetMb, sizeMb, start(uri, offsetMb, sizeMb, "--do_verify=1",
                "--rate=" + mbPerSecond + "m"));
    }

    /**
     * Like {@link #startWriteAndVerify} and keeps fio's report in {@code report} (JSON), from which
     * {@link Running#longestIoMillis()} reads the slowest I/O it saw: how long the volume stalled it.
     */
    Running startWriteAndVerify(String uri, long offsetMb, long sizeMb, int mbPerSecond, Path report)
            throws IOException {
        return new Running(uri, offsetMb, sizeMb, start(uri, offsetMb, sizeMb, "--do_verify=1",
                "--rate=" + mbPerSecond + "m", "--output-format=json", "--output=" + report), report);
    }

    final class Running {
        private final String uri;
        private final long offsetMb;
        private final long sizeMb;
        private final Process process;
        private final Path report;

        private Running(String uri, long offsetMb, long sizeMb, Process process) {
            this(uri, offsetMb, sizeMb, process, null);
        }

        private Running(String uri, long offsetMb, long sizeMb, Process process, Path report) {
            this.uri = uri;
            this.offsetMb = offsetMb;
            this.sizeMb = sizeMb;
            this.process = process;
            this.report = report;
        }

        /** The longest completion latency of any read or write, in ms, once fio has ended. */
        double longestIoMillis() throws IOException {
            com.fasterxml.jackson.databind.JsonNode job = Api.JSON.readTree(report.toFile()).path("jobs").path(0);
            return Math.max(job.path("write").path("clat_ns").path("max").asDouble(),
                    job.path("read").path("clat_ns").path("max").asDouble()) / 1e6;
        }

        boolean alive() {
            return process.isAlive();
        }

        void await() throws InterruptedException {
            finish(process, uri, offsetMb, sizeMb, "--do_verify=1");
        }
    }

    private Process start(String uri, long offsetMb, long sizeMb, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=it", "--ioengine=nbd", "--uri=" + uri,
                "--rw=write", "--bs=64k", "--iodepth=8", "--offset=" + offsetMb + "m", "--size=" + sizeMb + "m",
                "--verify=crc32c", "--verify_fatal=1"));
        cmd.addAll(List.of(extra));
        Files.writeString(log, "$ " + String.join(" ", cmd) + System.lineSeparator(),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        // fio writes verify-state files into its working directory: keep them beside the log
        return new ProcessBuilder(cmd).redirectErrorStream(true).directory(log.getParent().toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private void run(String uri, long offsetMb, long sizeMb, String mode) throws IOException, InterruptedException {
        finish(start(uri, offsetMb, sizeMb, mode), uri, offsetMb, sizeMb, mode);
    }

    private void finish(Process p, String uri, long offsetMb, long sizeMb, String mode) throws InterruptedException {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("fio on " + uri + " did not finish within 60 s (see " + log + ")");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("fio " + mode + " on " + uri + " [" + offsetMb + "M, +" + sizeMb + "M) failed "
                    + "with exit " + p.exitValue() + " (see " + log + ")");
        }
    }
}
