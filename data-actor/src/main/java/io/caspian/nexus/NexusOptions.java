package io.caspian.nexus;

import io.caspian.rebuild.RebuildOptions;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * Settings a nexus is created with.
 *
 * @param nanoClock the clock of the error window, in nanoseconds (tests move it by hand)
 * @param executor runs rebuild steps; null to give the nexus a daemon thread of its own
 * @param intentLog the durable write-intent log; null for none (the segment maps then do not
 *     survive a restart, and a returning child is rebuilt in full)
 * @param generation this nexus incarnation's generation, which the control plane journals and
 *     raises by one each time it re-creates the nexus: with {@code generation > 0} the nexus
 *     fences its remote children with it (see {@link io.caspian.bdev.Fenceable} and
 *     docs/adr/nexus-fencing.md); 0, the default, fences nothing (a nexus of before fencing)
 */
public record NexusOptions(ErrorPolicy errorPolicy, RebuildOptions rebuild,
    LongSupplier nanoClock, ScheduledExecutorService executor, IntentLogOptions intentLog,
    long generation) {

  /** Options without a generation: the nexus fences nothing. */
  public NexusOptions(ErrorPolicy errorPolicy, RebuildOptions rebuild, LongSupplier nanoClock,
      ScheduledExecutorService executor, IntentLogOptions intentLog) {
    this(errorPolicy, rebuild, nanoClock, executor, intentLog, 0);
  }

  public NexusOptions {
    if (errorPolicy == null || rebuild == null || nanoClock == null) {
      throw new IllegalArgumentException("nexus options need an error policy, rebuild options "
          + "and a clock");
    }
    if (generation < 0) {
      throw new IllegalArgumentException("a nexus generation is not negative: " + generation);
    }
  }

  public static NexusOptions defaults() {
    return new NexusOptions(ErrorPolicy.DEFAULT, RebuildOptions.DEFAULT, System::nanoTime, null,
        null);
  }

  public NexusOptions withErrorPolicy(ErrorPolicy p) {
    return new NexusOptions(p, rebuild, nanoClock, executor, intentLog, generation);
  }

  public NexusOptions withRebuild(RebuildOptions r) {
    return new NexusOptions(errorPolicy, r, nanoClock, executor, intentLog, generation);
  }

  public NexusOptions withClock(LongSupplier c) {
    return new NexusOptions(errorPolicy, rebuild, c, executor, intentLog, generation);
  }

  public NexusOptions withExecutor(ScheduledExecutorService e) {
    return new NexusOptions(errorPolicy, rebuild, nanoClock, e, intentLog, generation);
  }

  public NexusOptions withIntentLog(IntentLogOptions l) {
    return new NexusOptions(errorPolicy, rebuild, nanoClock, executor, l, generation);
  }

  public NexusOptions withGeneration(long g) {
    return new NexusOptions(errorPolicy, rebuild, nanoClock, executor, intentLog, g);
  }
}
