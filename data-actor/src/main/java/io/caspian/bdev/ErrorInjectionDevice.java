package io.caspian.bdev;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps any device and fails chosen I/Os: the one fault mechanism of unit tests, integration
 * tests, the CLI and the REST API (Mayastor's {@code inject://}).
 *
 * <p>With no rule set, an I/O costs one volatile read over the wrapped device. Rules are kept in
 * an array replaced on every change, so the I/O path never locks.
 */
public final class ErrorInjectionDevice extends ForwardingDevice {

  private static final Armed[] NONE = new Armed[0];

  private final String uri;
  private volatile Armed[] rules = NONE;
  private final AtomicLong injected = new AtomicLong();
  private long ids = 1;

  public ErrorInjectionDevice(BlockDevice inner) {
    super(inner);
    this.uri = inner.uri();
  }

  /** Arms a rule; returns a handle for {@link #clear(long)}. */
  public synchronized long inject(Injection rule) {
    Armed[] old = rules;
    Armed[] next = Arrays.copyOf(old, old.length + 1);
    Armed armed = new Armed(rule, ids++);
    next[old.length] = armed;
    rules = next;
    return armed.id;
  }

  /** Removes one rule. */
  public synchronized void clear(long handle) {
    rules = Arrays.stream(rules).filter(a -> a.id != handle).toArray(Armed[]::new);
  }

  /** Removes every rule. */
  public synchronized void clearAll() {
    rules = NONE;
  }

  /** The rules still armed (a counted rule disappears once spent). */
  public List<Injection> active() {
    return Arrays.stream(rules).filter(a -> a.remaining.get() != 0)
        .map(a -> a.rule).toList();
  }

  /** How many I/Os have been failed on purpose so far. */
  public long injectedCount() {
    return injected.get();
  }

  @Override
  public void read(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    Armed hit = match(IoType.READ, offset, length);
    if (hit == null) {
      inner.read(offset, buf, bufOffset, length, done);
    } else if (hit.rule.stage() == Injection.Stage.SUBMIT) {
      done.ioDone(fail(hit, IoType.READ, offset));
    } else {
      inner.read(offset, buf, bufOffset, length, e -> done.ioDone(fail(hit, IoType.READ, offset)));
    }
  }

  @Override
  public void write(long offset, ByteBuffer buf, int bufOffset, int length, IoCompletion done) {
    Armed hit = match(IoType.WRITE, offset, length);
    if (hit == null) {
      inner.write(offset, buf, bufOffset, length, done);
    } else if (hit.rule.stage() == Injection.Stage.SUBMIT) {
      done.ioDone(fail(hit, IoType.WRITE, offset));
    } else {
      inner.write(offset, buf, bufOffset, length, e -> done.ioDone(fail(hit, IoType.WRITE, offset)));
    }
  }

  @Override
  public void flush(IoCompletion done) {
    Armed hit = match(IoType.FLUSH, 0, 0);
    if (hit == null) {
      inner.flush(done);
    } else if (hit.rule.stage() == Injection.Stage.SUBMIT) {
      done.ioDone(fail(hit, IoType.FLUSH, 0));
    } else {
      inner.flush(e -> done.ioDone(fail(hit, IoType.FLUSH, 0)));
    }
  }

  @Override
  public void unmap(long offset, long length, IoCompletion done) {
    Armed hit = match(IoType.UNMAP, offset, length);
    if (hit == null) {
      inner.unmap(offset, length, done);
    } else if (hit.rule.stage() == Injection.Stage.SUBMIT) {
      done.ioDone(fail(hit, IoType.UNMAP, offset));
    } else {
      inner.unmap(offset, length, e -> done.ioDone(fail(hit, IoType.UNMAP, offset)));
    }
  }

  @Override
  public void writeZeroes(long offset, long length, IoCompletion done) {
    Armed hit = match(IoType.WRITE_ZEROES, offset, length);
    if (hit == null) {
      inner.writeZeroes(offset, length, done);
    } else if (hit.rule.stage() == Injection.Stage.SUBMIT) {
      done.ioDone(fail(hit, IoType.WRITE_ZEROES, offset));
    } else {
      inner.writeZeroes(offset, length, e -> done.ioDone(fail(hit, IoType.WRITE_ZEROES, offset)));
    }
  }

  private Armed match(IoType type, long offset, long length) {
    Armed[] armed = rules;
    for (Armed a : armed) {
      if (a.rule.matches(type, offset, length) && a.take()) {
        return a;
      }
    }
    return null;
  }

  private BdevException fail(Armed hit, IoType type, long offset) {
    injected.incrementAndGet();
    return BdevException.io(hit.rule.error(), uri, "injected " + type + " error at offset " + offset
        + " (" + hit.rule.stage() + ")");
  }

  /** A rule with its remaining count. */
  private static final class Armed {
    final Injection rule;
    final long id;
    final AtomicLong remaining;

    Armed(Injection rule, long id) {
      this.rule = rule;
      this.id = id;
      this.remaining = new AtomicLong(rule.count());
    }

    /** Claims one use of the rule; false once a counted rule is spent. */
    boolean take() {
      while (true) {
        long r = remaining.get();
        if (r == Injection.UNTIL_CLEARED) {
          return true;
        }
        if (r == 0) {
          return false;
        }
        if (remaining.compareAndSet(r, r - 1)) {
          return true;
        }
      }
    }
  }
}
