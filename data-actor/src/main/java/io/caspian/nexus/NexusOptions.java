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
 */
public record NexusOptions(ErrorPolicy errorPolicy, RebuildOptions rebuild,
    LongSupplier nanoClock, ScheduledExecutorService executor, IntentLogOptions intentLog) {

  public NexusOptions {
    if (errorPolicy == null || rebuild == null || nanoClock == null) {
      throw new IllegalArgumentException("nexus options need an error policy, rebuild options "
          + "and a clock");
    }
  }

  public static NexusOptions defaults() {
    return new NexusOptions(ErrorPolicy.DEFAULT, RebuildOptions.DEFAULT, System::nanoTime, null,
        null);
  }

  public NexusOptions withErrorPolicy(ErrorPolicy p) {
    return new NexusOptions(p, rebuild, nanoClock, executor, intentLog);
  }

  public NexusOptions withRebuild(RebuildOptions r) {
    return new NexusOptions(errorPolicy, r, nanoClock, executor, intentLog);
  }

  public NexusOptions withClock(LongSupplier c) {
    return new NexusOptions(errorPolicy, rebuild, c, executor, intentLog);
  }

  public NexusOptions withExecutor(ScheduledExecutorService e) {
    return new NexusOptions(errorPolicy, rebuild, nanoClock, e, intentLog);
  }

  public NexusOptions withIntentLog(IntentLogOptions l) {
    return new NexusOptions(errorPolicy, rebuild, nanoClock, executor, l);
  }
}
