package io.caspian.control.service;

import io.caspian.control.entity.Reply;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Blocks an operation thread on a stage, turning its failure back into the exception that caused it. */
public final class Await {
    private Await() {
    }

    public static <T> T result(CompletionStage<T> stage, Duration timeout, String what) {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException(Reply.Kind.UNAVAILABLE, what + ": interrupted");
        } catch (TimeoutException e) {
            throw new ControlException(Reply.Kind.UNAVAILABLE, what + ": no answer within " + timeout.toMillis()
                    + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new ControlException(Reply.Kind.UNAVAILABLE, what + ": " + cause);
        }
    }
}
