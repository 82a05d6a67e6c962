package io.caspian.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs Debian's fio as the baseline a benchmark compares against, and reads its IOPS. */
final class Fio {

  private Fio() {}

  static boolean available() {
    try {
      Process p = new ProcessBuilder("fio", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * 4 KiB random I/O at {@code iodepth}, one job, for {@code seconds}; extra arguments select the
   * engine and target ({@code --ioengine=io_uring --direct=1 --filename=...}).
   *
   * @return IOPS of the job
   */
  static double run(String rw, int iodepth, double seconds, String... target)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("caspian-fio", ".json");
    try {
      List<String> cmd = new ArrayList<>(List.of("fio", "--name=bench", "--rw=" + rw, "--bs=4k",
          "--iodepth=" + iodepth, "--numjobs=1", "--time_based",
          // in milliseconds: a whole-second runtime would run a fraction-of-a-second slice longer than its other side
          "--runtime=" + Math.round(seconds * 1000) + "ms",
          "--randrepeat=0", "--norandommap", "--output-format=json", "--output=" + out));
      cmd.addAll(List.of(target));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String console = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor((long) seconds + 120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("fio did not finish: " + cmd);
      }
      if (p.exitValue() != 0) {
        throw new IOException("fio failed (" + p.exitValue() + "): " + console);
      }
      return iops(Files.readString(out), rw.contains("read") ? "read" : "write");
    } finally {
      Files.deleteIfExists(out);
    }
  }

  static double iops(String json, String section) throws IOException {
    Matcher m = Pattern.compile("\"" + section + "\"\\s*:\\s*\\{[^}]*?\"iops\"\\s*:\\s*([0-9.]+)",
        Pattern.DOTALL).matcher(json);
    if (!m.find()) {
      throw new IOException("no " + section + " iops in fio output");
    }
    return Double.parseDouble(m.group(1));
  }
}
