package io.caspian.bench;

/** Something a benchmark drives with one I/O pattern for a time, reporting IOPS. */
@FunctionalInterface
interface Subject {
  double iops(String rw, double seconds) throws Exception;
}
