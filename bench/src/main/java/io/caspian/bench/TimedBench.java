package io.caspian.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The common frame of the I/O benchmarks: {@code --seconds S} per figure and {@code --dir DIR} for
 * their files (a real disk, since the file devices use O_DIRECT), in a work directory removed
 * afterwards. Benchmarks whose figures are A/B ratios ({@link #sliced}) also take
 * {@code --slices N} and {@code --slice-seconds S}: each ratio is the median of N slices of S
 * seconds a side, and {@code --seconds} then times only their single-run figures.
 */
final class TimedBench {

  /** One benchmark run. */
  @FunctionalInterface
  interface Body {
    void run(double seconds, Path work) throws Exception;
  }

  /** One run of a benchmark whose ratios are cut into slices by {@code plan}. */
  @FunctionalInterface
  interface SlicedBody {
    void run(double seconds, Ratio.Plan plan, Path work) throws Exception;
  }

  /**
   * 5 slices of 1 s: an odd count has a middle slice for the median, and with a 1 s warm-up each
   * ratio takes about 12 s, which keeps bench/export's ten and bench/storage's eight ratios within
   * about 3 minutes on 2 cores.
   */
  private static final Ratio.Plan DEFAULT_PLAN = new Ratio.Plan(5, 1);

  private TimedBench() {}

  static void main(String name, String[] args, Body body) throws Exception {
    run(name, args, false, (seconds, plan, work) -> body.run(seconds, work));
  }

  static void sliced(String name, String[] args, SlicedBody body) throws Exception {
    run(name, args, true, body);
  }

  private static void run(String name, String[] args, boolean sliced, SlicedBody body) throws Exception {
    double seconds = 10;
    int slices = DEFAULT_PLAN.slices();
    double sliceSeconds = DEFAULT_PLAN.sliceSeconds();
    Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/var/tmp"));
    String usage = "usage: " + name + " [--seconds S] [--dir DIR]"
        + (sliced ? " [--slices N] [--slice-seconds S]" : "");
    for (int i = 0; i < args.length; i++) {
      // a benchmark without ratios has nothing to slice: taking the options would ignore them silently
      if (!sliced && args[i].startsWith("--slice")) {
        throw new IllegalArgumentException(usage);
      }
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        case "--slices" -> slices = Integer.parseInt(args[++i]);
        case "--slice-seconds" -> sliceSeconds = Double.parseDouble(args[++i]);
        default -> throw new IllegalArgumentException(usage);
      }
    }
    Ratio.Plan plan = new Ratio.Plan(slices, sliceSeconds);
    Path work = Files.createTempDirectory(dir, "caspian-bench-" + name);
    try {
      body.run(seconds, plan, work);
    } finally {
      try (var files = Files.list(work)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(work);
    }
  }
}
