package io.caspian.bdev;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts the reads and writes of a device that hands its caller's completion straight on (a
 * replica passes it to the pool disk): {@link #start} returns a completion that adds the I/O to
 * the {@link IoCounters} on success, with its latency when it was timed (see {@link IoCounters}
 * for the sampling), then completes the caller.
 *
 * <p>Those completions are pooled contexts, so counting allocates nothing per I/O. Each thread
 * keeps the contexts it freed in a list of its own and takes from it first, with plain reads and
 * writes: a device that completes on the submitting thread (a malloc pool inline, an event loop
 * that submits and completes) never touches an atomic. A locked compare-and-set costs some 20 ns
 * on a virtual machine, and a shared pool's two per I/O were most of what counting cost (ADR
 * metrics). When one thread submits and another completes, the completer hands its list over to a
 * shared stack once it holds {@link #SPILL} contexts, in one compare-and-set, and a submitter
 * whose list is empty takes the whole stack in one swap: two atomics per {@link #SPILL} I/Os.
 * Taking the whole stack, never one entry, is what spares it the ABA problem of a lock-free pop.
 *
 * <p>Contexts are made on first need, up to the capacity; past it (more I/Os in flight than
 * that) a context is made for the one I/O and dropped, once those left in the lists of threads
 * that ended are taken back.
 */
public final class IoTimer {

  /** How many freed contexts a thread keeps before it hands them to the shared stack. */
  static final int SPILL = 32;

  private final IoCounters counters;
  private final int capacity;
  private final AtomicReference<Timed> shared = new AtomicReference<>();
  private final ThreadLocal<Local> local = ThreadLocal.withInitial(this::register);
  /** Every thread's list, to take back those of threads that ended; guarded by itself. */
  private final List<Local> locals = new ArrayList<>();
  /**
   * The list of the thread that took a context last: a device whose I/Os all start on one thread
   * finds its list without the thread-local lookup. Any thread may overwrite it, hence the check.
   */
  private Local last;
  /** Contexts made so far; written holding {@link #locals}, read without it by {@link #refill}. */
  private volatile int created;

  public IoTimer(IoCounters counters, int capacity) {
    this.counters = counters;
    this.capacity = capacity;
  }

  /** The completion to pass on for a read or write of {@code bytes} that completes {@code done}. */
  public IoCompletion start(IoType type, long bytes, IoCompletion done) {
    Timed t = take();
    t.write = type == IoType.WRITE;
    t.bytes = bytes;
    t.user = done;
    t.weight = IoCounters.timingWeight(t.write ? ++t.writes : ++t.reads);
    if (t.weight != 0) {
      t.started = System.nanoTime();
    }
    return t;
  }

  private Timed take() {
    Local l = last;
    if (l == null || l.owner != Thread.currentThread()) {
      l = local.get();
      last = l;
    }
    if (l.head == null && !refill(l)) {
      return create();
    }
    Timed t = l.pop();
    t.from = l;
    return t;
  }

  /**
   * Fills a thread's empty list with the whole shared stack; at the capacity, after taking back
   * the lists of threads that ended. False when there is nothing to take.
   */
  private boolean refill(Local l) {
    Timed all = shared.getAndSet(null);
    if (all == null && created >= capacity) {
      synchronized (locals) {
        reclaim();
      }
      all = shared.getAndSet(null);
    }
    if (all == null) {
      return false;
    }
    l.adopt(all);
    return true;
  }

  /** Back in the completing thread's list: the one it was taken from when that thread completes it. */
  private void put(Timed t) {
    if (!t.pooled) {
      return;
    }
    Local l = t.from != null && t.from.owner == Thread.currentThread() ? t.from : local.get();
    l.push(t);
    if (l.size >= SPILL) {
      spill(l);
    }
  }

  /** Moves a list's contexts onto the shared stack, in one compare-and-set. */
  private void spill(Local l) {
    while (true) {
      Timed h = shared.get();
      l.tail.next = h;
      if (shared.compareAndSet(h, l.head)) {
        l.clear();
        return;
      }
    }
  }

  private Timed create() {
    synchronized (locals) {
      if (created >= capacity) {
        return new Timed(false);
      }
      created++;
    }
    return new Timed(true);
  }

  /** Takes back the contexts left in the lists of threads that ended; holds {@link #locals}. */
  private void reclaim() {
    for (var it = locals.iterator(); it.hasNext(); ) {
      Local l = it.next();
      // read the thread's end before its list: every change it made is then seen
      if (!l.owner.isAlive()) {
        it.remove();
        if (l.head != null) {
          spill(l);
        }
      }
    }
  }

  /**
   * A new thread's list. The lists of threads that ended are taken back first, so that threads
   * that come and go leave neither lists nor contexts behind before the capacity is reached.
   */
  private Local register() {
    Local l = new Local(Thread.currentThread());
    synchronized (locals) {
      reclaim();
      locals.add(l);
    }
    return l;
  }

  /** One thread's freed contexts, a list linked through {@link Timed#next}: its thread's alone. */
  private static final class Local {
    final Thread owner;
    Timed head;
    Timed tail;
    int size;

    Local(Thread owner) {
      this.owner = owner;
    }

    void push(Timed t) {
      t.next = head;
      head = t;
      if (tail == null) {
        tail = t;
      }
      size++;
    }

    Timed pop() {
      Timed t = head;
      head = t.next;
      t.next = null;
      if (head == null) {
        tail = null;
      }
      size--;
      return t;
    }

    /** Takes a whole chain from the shared stack; walks it once, for its tail and length. */
    void adopt(Timed chain) {
      head = chain;
      size = 1;
      Timed t = chain;
      while (t.next != null) {
        t = t.next;
        size++;
      }
      tail = t;
    }

    void clear() {
      head = null;
      tail = null;
      size = 0;
    }
  }

  private final class Timed implements IoCompletion {
    /** False for a context made for one I/O past the capacity, dropped after it. */
    final boolean pooled;
    Timed next;
    /** The list it was taken from; the cell it was counted in last (see {@link IoCounters#cell}). */
    Local from;
    IoCounters.Cell cell;
    boolean write;
    long bytes;
    long started;
    /**
     * Reads and writes so far, for the latency sampling (each kind apart, so that the first read
     * is timed however many writes came before); the weight of this one's latency, 0 if untimed.
     */
    int reads;
    int writes;
    int weight;
    IoCompletion user;

    Timed(boolean pooled) {
      this.pooled = pooled;
    }

    @Override
    public void ioDone(BdevException error) {
      if (error == null) {
        long nanos = weight == 0 ? 0 : (System.nanoTime() - started) * weight;
        IoCounters.Cell c = counters.cell(cell);
        cell = c;
        if (write) {
          c.write(bytes, nanos);
        } else {
          c.read(bytes, nanos);
        }
      }
      IoCompletion u = user;
      user = null;
      // Back in the pool before the caller runs: its completion may submit the next I/O at once.
      put(this);
      u.ioDone(error);
    }
  }
}
