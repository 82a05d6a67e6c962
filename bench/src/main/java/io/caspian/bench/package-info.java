/**
 * Benchmark drivers behind the scripts in {@code bench/}. Each prints its figures as it goes and
 * ends with one {@code RESULT key=value ...} line whose ratios compare two things measured side by
 * side in the same run (DESIGN.md, "Benchmarks"). Benchmarks are not tests: nothing here fails
 * because a machine was slow.
 */
package io.caspian.bench;
