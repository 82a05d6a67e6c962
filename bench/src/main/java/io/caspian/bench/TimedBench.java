package io.caspian.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The common frame of the I/O benchmarks: {@code --seconds S} per figure and {@code --dir DIR} for
 * their files (a real disk, since the file devices use O_DIRECT), in a work directory removed
 * afterwards.
 */
final class TimedBench {

  /** One benchmark run. */
  @FunctionalInterface
  interface Body {
    void run(double seconds, Path work) throws Exception;
  }

  private TimedBench() {}

  static void main(String name, String[] args, Body body) throws Exception {
    double seconds = 10;
    Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/var/tmp"));
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("usage: " + name + " [--seconds S] [--dir DIR]");
      }
    }
    Path work = Files.createTempDirectory(dir, "caspian-bench-" + name);
    try {
      body.run(seconds, work);
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
