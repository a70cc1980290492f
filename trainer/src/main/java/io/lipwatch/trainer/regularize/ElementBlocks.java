package io.lipwatch.trainer.regularize;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Elementwise work of the buffered step split in two blocks of an index range: the upper block is offered to one
 * shared daemon worker, the caller runs the lower block and then the upper one itself if the worker has not claimed it
 * yet (on a loaded machine the worker may not be scheduled in time; then the split costs one queue offer, never a
 * wait). Each index is computed by exactly one block with the same arithmetic, so the result is bit-identical to one
 * sequential pass; blocks must write disjoint elements. The trainer step's passes stay on the calling thread unless
 * {@code -Dlipwatch.train.split=true} ({@link #STEP_MIN_SPLIT}: measured slower on 2 cores).
 */
final class ElementBlocks {
  private ElementBlocks() {}

  /** Work on the indices [from, to). */
  interface Block {
    void run(int from, int to);
  }

  /** Below this many elements a block is cheaper than the hand-over (~10–50 µs to wake the worker). */
  static final int MIN_SPLIT = 1 << 15;

  /** {@code -Dlipwatch.train.split=false}: every block on the calling thread, even where a caller asks for a split. */
  static final boolean SPLIT = !"false".equals(System.getProperty("lipwatch.train.split"));

  /**
   * The trainer step's threshold for its elementwise passes: no split unless {@code -Dlipwatch.train.split=true}.
   * Measured on this project's 2-core VMs ({@code bench train --compare}, four interleaved pairs of runs, load 0.8–1.8):
   * the plain step's epoch took 92–104 ms without the split against 107–146 ms with it (0.85–1.01× PyTorch against
   * 0.89–1.16×), CLIP 226–249 ms against 263–318 ms. Handing half a pass to the worker costs more than it saves: the
   * worker has to be woken, and OpenBLAS's workers spin on the other core between the step's products.
   */
  static final int STEP_MIN_SPLIT = "true".equals(System.getProperty("lipwatch.train.split")) ? MIN_SPLIT
      : Integer.MAX_VALUE;

  private static final ExecutorService WORKER = !SPLIT || Runtime.getRuntime().availableProcessors() < 2 ? null
      : Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lipwatch-train-elementwise");
        t.setDaemon(true);
        return t;
      });

  /**
   * Runs {@code block} over [0, n), in two blocks split at a multiple of {@code align} when n ≥ {@code minSplit} and
   * the machine has a second core; returns when both blocks are done (an exception in either is rethrown).
   */
  static void run(int n, int minSplit, int align, Block block) {
    if (WORKER == null || n < Math.max(2, minSplit)) {
      block.run(0, n);
      return;
    }
    int a = Math.max(1, align);
    int mid = (n / 2 + a - 1) / a * a;
    if (mid <= 0 || mid >= n) {
      block.run(0, n);
      return;
    }
    Upper upper = new Upper(block, mid, n, Thread.currentThread());
    WORKER.execute(upper);
    try {
      block.run(0, mid);
    } catch (RuntimeException | Error e) {
      upper.abandon(); // the worker's block must not still be writing when the caller's exception propagates
      throw e;
    }
    upper.finish();
  }

  /** Runs {@code block} over [0, n) with the default threshold, blocks split anywhere. */
  static void run(int n, Block block) {
    run(n, MIN_SPLIT, 1, block);
  }

  /** The upper block: run by whoever claims it first. */
  private static final class Upper implements Runnable {
    private static final int PENDING = 0;
    private static final int CLAIMED = 1;
    private static final int DONE = 2;
    private final Block block;
    private final int from;
    private final int to;
    private final Thread caller;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private volatile Throwable error;

    Upper(Block block, int from, int to, Thread caller) {
      this.block = block;
      this.from = from;
      this.to = to;
      this.caller = caller;
    }

    @Override
    public void run() {
      if (!state.compareAndSet(PENDING, CLAIMED)) {
        return; // the caller took it
      }
      try {
        block.run(from, to);
      } catch (Throwable t) {
        error = t;
      } finally {
        state.set(DONE);
        LockSupport.unpark(caller);
      }
    }

    /** After the caller's block failed: the upper block is not run if unclaimed, else waited for (its error dropped). */
    void abandon() {
      if (!state.compareAndSet(PENDING, DONE)) {
        await();
      }
    }

    private void await() {
      for (int spin = 0; state.get() != DONE; spin++) {
        if (spin < 2000) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(this, 50_000);
        }
      }
    }

    /** Called by the caller after its own block: runs the upper block if unclaimed, else waits for the worker. */
    void finish() {
      if (state.compareAndSet(PENDING, CLAIMED)) {
        block.run(from, to);
        state.set(DONE);
        return;
      }
      await();
      Throwable t = error;
      if (t instanceof RuntimeException r) {
        throw r;
      }
      if (t instanceof Error e) {
        throw e;
      }
      if (t != null) {
        throw new IllegalStateException(t);
      }
    }
  }
}
