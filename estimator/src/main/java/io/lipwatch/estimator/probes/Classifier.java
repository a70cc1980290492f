package io.lipwatch.estimator.probes;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The view of a network the probes need. Inputs and input gradients are flat {@code [n, d]}; implementations reshape to
 * the network's own input layout.
 */
public interface Classifier {

  /** Logits (pre-activation of the output layer) of a flat batch, {@code [n, classes]}. */
  INDArray logits(INDArray x);

  /** Logits in double precision, for certification margins (float rounding must not decide a certificate). */
  INDArray logitsDouble(INDArray x);

  /**
   * Logits at x and, per row, the gradient of that row's cross-entropy loss (on the logits) w.r.t. that row's input,
   * possibly multiplied by a positive per-row factor (attacks use only each row's direction).
   *
   * @param onehot labels, {@code [n, classes]}, same data type as x
   */
  Step step(INDArray x, INDArray onehot);

  /**
   * Logits at x and, per row, the input gradient of {@code loss} at the logits (up to a positive per-row factor). The
   * default carries cross-entropy only; paths that can backpropagate any logit gradient override it.
   */
  default Step step(INDArray x, INDArray onehot, int[] labels, LogitLoss loss) {
    if (loss == LogitLoss.CE) {
      return step(x, onehot);
    }
    throw new UnsupportedOperationException(path() + " backpropagates cross-entropy only");
  }

  /** Whether {@link #step(INDArray, INDArray, int[], LogitLoss)} supports {@code loss}. */
  default boolean supports(LogitLoss loss) {
    return loss == LogitLoss.CE && hasGradients();
  }

  /** False when {@link #step} is unavailable (attacks are then skipped with a warning). */
  default boolean hasGradients() {
    return true;
  }

  /** Short name of the gradient path, for warnings and the benchmark table. */
  String path();

  /**
   * Logits and input gradient of one step. {@code grad} may be a buffer the classifier reuses: it is valid until the
   * next {@link #step} call on the same classifier (consume or copy it first; attacks do). {@code logits} is the
   * caller's own.
   */
  record Step(INDArray logits, INDArray grad) {}
}
