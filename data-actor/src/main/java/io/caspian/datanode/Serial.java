package io.caspian.datanode;

import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * One blocking change at a time for an actor: the work runs on the blocking dispatcher, its
 * outcome comes back as a {@link Finished} message and is applied on the actor's thread; commands
 * that arrive meanwhile wait in a stash and run afterwards, in order.
 */
final class Serial {

  /** The outcome of blocking work, to apply on the actor's thread. */
  record Finished(Runnable apply) implements NoSerializationVerificationNeeded {
  }

  private final ActorContext<Object> ctx;
  private final StashBuffer<Object> stash;
  private final NodeServices services;
  private boolean busy;

  Serial(ActorContext<Object> ctx, StashBuffer<Object> stash, NodeServices services) {
    this.ctx = ctx;
    this.stash = stash;
    this.services = services;
  }

  boolean busy() {
    return busy;
  }

  /** Runs {@code work} off the actor's thread, then {@code then(result, errorOrNull)} on it. */
  <T> void run(Callable<T> work, BiConsumer<T, Throwable> then) {
    busy = true;
    CompletableFuture<T> f = CompletableFuture.supplyAsync(() -> {
      try {
        return work.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, services.blocking());
    ctx.pipeToSelf(f, (v, err) -> new Finished(() -> then.accept(v,
        err instanceof CompletionException && err.getCause() != null ? err.getCause() : err)));
  }

  /** Stashes {@code msg} while a change runs; otherwise returns null and the caller handles it. */
  Behavior<Object> deferIfBusy(Object msg) {
    if (!busy) {
      return null;
    }
    if (stash.isFull()) {
      if (msg instanceof IoEngineCommand c && c.replyTo() != null) {
        c.replyTo().tell(new IoEngineReply.Failed(IoEngineReply.FailureKind.UNAVAILABLE,
            ctx.getSelf().path().name() + " has " + stash.size() + " commands waiting; retry"));
      }
      return Behaviors.same();
    }
    stash.stash(msg);
    return Behaviors.same();
  }

  /** Applies a finished change, then lets waiting commands run unless another change started. */
  Behavior<Object> finished(Finished f, Behavior<Object> self) {
    busy = false;
    f.apply().run();
    if (busy || stash.isEmpty()) {
      return Behaviors.same();
    }
    return stash.unstashAll(self);
  }

  /** Every waiting command, for an actor that stops; the caller answers them. */
  void drain(java.util.function.Consumer<Object> each) {
    while (!stash.isEmpty()) {
      stash.unstash(Behaviors.receive(Object.class).onAnyMessage(m -> {
        each.accept(m);
        return Behaviors.same();
      }).build(), 1, x -> x);
    }
  }
}
