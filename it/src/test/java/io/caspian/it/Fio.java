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

    private void run(String uri, long offsetMb, long sizeMb, String mode) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("fio", "--name=it", "--ioengine=nbd", "--uri=" + uri,
                "--rw=write", "--bs=64k", "--iodepth=8", "--offset=" + offsetMb + "m", "--size=" + sizeMb + "m",
                "--verify=crc32c", "--verify_fatal=1", mode));
        Files.writeString(log, "$ " + String.join(" ", cmd) + System.lineSeparator(),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
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
