package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.linalg.SingleThreadBlas;
import io.lipwatch.estimator.probes.Attacks.Batch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Logits and input gradients of one batch on flat row-major float32 arrays the attack loops own ({@code x} is
 * {@code [n, d]}, logits {@code [n, k]}): the loops keep every per-step array of theirs preallocated, and a kernel that
 * writes into them lets a step allocate nothing of the batch's size. The dense MLP path has such a kernel
 * ({@link DenseClassifier#kernel}); every other classifier goes through {@link Classifier} and copies.
 *
 * <p>A kernel may also work on row ranges ({@link #rows}): rows are independent, so the attack loops then run each
 * {@link RowBlocks} block's whole attack on one thread, blocks in parallel, with no barrier between the products and
 * the per-row work of a step.
 */
interface StepKernel extends AutoCloseable {
  int classes();

  /**
   * A handle computing the same logits and gradients on any row range [from, to) of the batch, for one thread at a
   * time (each thread takes its own); null when this kernel only runs whole batches. The whole-batch calls run the
   * same {@link RowBlocks} blocks through such handles, so both give the same values on those blocks.
   */
  default Rows rows() {
    return null;
  }

  /** Releases kept buffers for reuse by later runs (the kernel is not used afterwards). */
  @Override
  default void close() {}

  /** {@link StepKernel#logits} and {@link StepKernel#step} on the rows [from, to) of the batch's flat arrays. */
  interface Rows extends AutoCloseable {
    void logits(float[] x, float[] z, int from, int to);

    void step(float[] x, LogitLoss loss, float[] z, float[] g, int from, int to);

    @Override
    void close();
  }

  /** Work on one block's rows [from, to) through a row handle of its own. */
  interface BlockWork {
    void run(Rows rows, int block, int from, int to);
  }

  /**
   * Runs {@code work} on every block, each through its own handle from {@code kern.rows()} (which must not be null),
   * OpenBLAS on the calling thread only meanwhile ({@link SingleThreadBlas}).
   */
  static void eachBlock(StepKernel kern, RowBlocks blocks, BlockWork work) {
    try (SingleThreadBlas s = SingleThreadBlas.enter()) {
      blocks.run((b, from, to) -> {
        try (Rows r = kern.rows()) {
          work.run(r, b, from, to);
        }
      });
    }
  }

  /** Logits of x into z. */
  void logits(float[] x, float[] z);

  /** Logits of x into z and, per row, the input gradient of {@code loss} (up to a positive per-row factor) into g. */
  void step(float[] x, LogitLoss loss, float[] z, float[] g);

  /** The allocation-free kernel of the dense path when it applies, else one over {@link Classifier}. */
  static StepKernel of(Classifier c, Batch b) {
    if (c instanceof DenseClassifier dc) {
      StepKernel k = dc.kernel(b.labels(), b.d());
      if (k != null) {
        return k;
      }
    }
    return new Generic(c, b);
  }

  /** Through the classifier's INDArray methods: wraps x, copies the results back (allocates per step). */
  final class Generic implements StepKernel {
    private final Classifier c;
    private final Batch b;
    private final int d;

    Generic(Classifier c, Batch b) {
      this.c = c;
      this.b = b;
      this.d = b.d();
    }

    @Override
    public int classes() {
      return (int) b.onehot().size(1);
    }

    private INDArray wrap(float[] x) {
      INDArray a = Nd4j.createFromArray(x).reshape('c', b.n(), d);
      return b.x().dataType() == DataType.FLOAT ? a : a.castTo(b.x().dataType());
    }

    @Override
    public void logits(float[] x, float[] z) {
      copy(c.logits(wrap(x)), z);
    }

    @Override
    public void step(float[] x, LogitLoss loss, float[] z, float[] g) {
      Classifier.Step st = c.step(wrap(x), b.onehot(), b.labels(), loss);
      copy(st.logits(), z);
      copy(st.grad(), g);
    }

    static void copy(INDArray a, float[] dst) {
      float[] f = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
      System.arraycopy(f, 0, dst, 0, dst.length);
    }
  }
}
