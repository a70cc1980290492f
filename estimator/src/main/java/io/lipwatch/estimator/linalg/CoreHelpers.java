package io.lipwatch.estimator.linalg;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Helper threads (one per core beyond the first) for work a caller shares out in short parallel sections, each
 * helper kept off the core the caller runs on when the section starts.
 *
 * <p>Why: after a pause the scheduler tends to wake a helper on its waker's core and move it to the idle one only at
 * its next balancing, a few milliseconds later (on these VMs the idle vCPU is halted and the guest packs threads
 * together). A 10–20 ms section then ran on one core for much of its time: a clean pass and FGSM on 1000 samples
 * took 17.5–21.7 ms after a 60 ms pause, 13.1–13.4 ms with this placement. The helper's affinity is set before it is
 * woken (setting it from the helper itself, once running, did not help: the move then costs a second wake). The
 * caller is never restricted; a helper's mask only says where that helper may run, so results cannot depend on it.
 *
 * <p>A copy not yet started when the caller finishes its own share is withdrawn rather than waited for (a helper may
 * be busy with another caller's section), as a fork-join pool's external join would run it. A helper whose allowed
 * cores are busy with other work therefore leaves the blocks to its caller (they are handed out one at a time). {@code
 * -Dlipwatch.helpers.affinity=false} leaves placement to the scheduler (for comparisons).
 */
public final class CoreHelpers {
  static final boolean AFFINITY = !"false".equals(System.getProperty("lipwatch.helpers.affinity"));
  private static final Helper[] HELPERS = start(Math.max(0, Runtime.getRuntime().availableProcessors() - 1));

  private CoreHelpers() {}

  /** How many helpers there are (cores − 1). */
  public static int count() {
    return HELPERS.length;
  }

  /**
   * Runs {@code block.accept(b)} once for every b in [0, count), blocks handed out one at a time to the caller and
   * up to count − 1 helpers (when another process holds a core, the other thread takes more blocks instead of both
   * waiting at a barrier); returns when every block has ended. A block's failure (RuntimeException or Error: ND4J's
   * native failures are Errors) is rethrown only then, the caller's first, so no helper is still writing into the
   * caller's buffers when it propagates; after a failure on the caller no new block starts.
   */
  public static void forEachBlock(int count, IntConsumer block) {
    int helpers = Math.min(count - 1, HELPERS.length);
    if (helpers <= 0) {
      for (int b = 0; b < count; b++) {
        block.accept(b);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    Runnable loop = () -> {
      for (int b = next.getAndIncrement(); b < count; b = next.getAndIncrement()) {
        block.accept(b);
      }
    };
    Section section = start(helpers, loop);
    Throwable failed = null;
    try {
      loop.run();
    } catch (RuntimeException | Error e) {
      failed = e;
      next.set(count); // the helpers stop at their next block
    }
    Throwable helper = section.finish();
    rethrow(failed != null ? failed : helper);
  }

  private static void rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException("a block failed", t);
    }
  }

  /**
   * Offers {@code body} to {@code helpers} helpers (at most {@link #count()}), each kept off the caller's current
   * core. The caller runs its own share and then calls {@link Section#finish()}.
   */
  public static Section start(int helpers, Runnable body) {
    int n = Math.max(0, Math.min(helpers, HELPERS.length));
    int cpu = AFFINITY && n > 0 ? CpuAffinity.currentCpu() : -1;
    Job[] jobs = new Job[n];
    for (int i = 0; i < n; i++) {
      jobs[i] = new Job(body);
      HELPERS[i].place(cpu);
      HELPERS[i].queue.add(jobs[i]);
    }
    return new Section(jobs, cpu);
  }

  /** The helpers' copies of one section's body. */
  public static final class Section {
    private final Job[] jobs;
    private final int callerCpu;

    private Section(Job[] jobs, int callerCpu) {
      this.jobs = jobs;
      this.callerCpu = callerCpu;
    }

    /** The caller's core when the section started (-1 when unknown): the core its helpers were kept off. */
    public int callerCpu() {
      return callerCpu;
    }

    /**
     * Withdraws the copies no helper has started and waits for the started ones; returns the first failure of a
     * copy (any Throwable, out of memory included), or null.
     */
    public Throwable finish() {
      Throwable first = null;
      for (Job j : jobs) {
        if (j.state.compareAndSet(Job.WAITING, Job.WITHDRAWN)) {
          continue;
        }
        j.awaitDone();
        if (first == null) {
          first = j.failure;
        }
      }
      return first;
    }
  }

  private static final class Job {
    static final int WAITING = 0;
    static final int RUNNING = 1;
    static final int WITHDRAWN = 2;
    final Runnable body;
    final AtomicInteger state = new AtomicInteger(WAITING);
    final CountDownLatch done = new CountDownLatch(1);
    volatile Throwable failure;

    Job(Runnable body) {
      this.body = body;
    }

    void runIfWaiting() {
      if (!state.compareAndSet(WAITING, RUNNING)) {
        return;
      }
      try {
        body.run();
      } catch (Throwable t) { // handed to the caller, whose work it was
        failure = t;
      } finally {
        done.countDown();
      }
    }

    /** Uninterruptibly: the copy may be writing into the caller's buffers until it ends. */
    void awaitDone() {
      // a short spin first: the trainer's elementwise blocks end within microseconds of the caller's
      for (int spin = 0; spin < 2000 && done.getCount() != 0; spin++) {
        Thread.onSpinWait();
      }
      boolean interrupted = false;
      while (true) {
        try {
          done.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static final class Helper extends Thread {
    final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile int tid = -1;
    /** The core this helper is kept off now (-1: none); guarded by this. */
    private int keptOff = -1;

    Helper(int i) {
      super("lipwatch-helper-" + i);
      setDaemon(true);
    }

    @Override
    public void run() {
      tid = CpuAffinity.threadId();
      started.countDown();
      while (true) {
        try {
          queue.take().runIfWaiting();
        } catch (InterruptedException e) {
          // a daemon that lives as long as the process: an interrupt is not a request to stop
        }
      }
    }

    /** Keeps this helper off {@code cpu} unless it already is (one system call when the caller's core changed). */
    synchronized void place(int cpu) {
      if (cpu < 0 || cpu == keptOff || tid <= 0) {
        return;
      }
      if (CpuAffinity.keepOff(tid, cpu)) {
        keptOff = cpu;
      }
    }
  }

  private static Helper[] start(int n) {
    Helper[] h = new Helper[n];
    for (int i = 0; i < n; i++) {
      h[i] = new Helper(i + 1);
      h[i].start();
    }
    for (Helper x : h) { // so that the first section can place them
      try {
        x.started.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return h;
  }
}
