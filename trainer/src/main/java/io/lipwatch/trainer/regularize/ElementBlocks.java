package io.lipwatch.trainer.regularize;

import io.lipwatch.estimator.linalg.CoreHelpers;

/**
 * Elementwise work of the buffered step split in two blocks of an index range, run on the caller and the estimator's
 * {@link CoreHelpers} (a helper kept off the caller's core): the caller runs the upper block too if the helper has not
 * taken it yet (on a loaded machine the helper may not be scheduled in time; then the split costs one queue offer,
 * never a wait). Each index is computed by exactly one block with the same arithmetic, so the result is bit-identical
 * to one sequential pass; blocks must write disjoint elements. The trainer step's passes stay on the calling thread
 * unless {@code -Dlipwatch.train.split=true} ({@link #STEP_MIN_SPLIT}: measured slower on 2 cores).
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

  /**
   * Runs {@code block} over [0, n), in two blocks split at a multiple of {@code align} when n ≥ {@code minSplit} and
   * the machine has a second core; returns when both blocks are done (an exception in either is rethrown).
   */
  static void run(int n, int minSplit, int align, Block block) {
    if (!SPLIT || CoreHelpers.count() == 0 || n < Math.max(2, minSplit)) {
      block.run(0, n);
      return;
    }
    int a = Math.max(1, align);
    int mid = (n / 2 + a - 1) / a * a;
    if (mid <= 0 || mid >= n) {
      block.run(0, n);
      return;
    }
    CoreHelpers.forEachBlock(2, b -> {
      if (b == 0) {
        block.run(0, mid);
      } else {
        block.run(mid, n);
      }
    });
  }

  /** Runs {@code block} over [0, n) with the default threshold, blocks split anywhere. */
  static void run(int n, Block block) {
    run(n, MIN_SPLIT, 1, block);
  }
}
