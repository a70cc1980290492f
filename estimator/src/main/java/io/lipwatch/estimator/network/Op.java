package io.lipwatch.estimator.network;

import io.lipwatch.estimator.linalg.LinearOperator;

/** What one node of an {@link ExtractedNetwork} computes from its inputs. */
public sealed interface Op {

  /** y = A x + b (bias may be null): dense, convolution, batch norm, average pooling. */
  record Affine(LinearOperator linear, double[] bias) implements Op {}

  /** An element-wise activation. */
  record Activation(ActivationSpec spec) implements Op {}

  /** Softmax over a feature vector (not at the output, where it is dropped): 1-Lipschitz in L2. */
  record Softmax() implements Op {}

  /**
   * y_r = max over windows[r] of x. Lipschitz constant √(max multiplicity): |max_W x − max_W x′| ≤ max_W |x−x′|
   * ≤ ‖(x−x′)_W‖₂, so ‖y−y′‖² ≤ Σ_r ‖(x−x′)_{W_r}‖² = Σ_i c_i (x_i−x′_i)² ≤ (max_i c_i)‖x−x′‖², c_i = number of
   * windows containing i (1 when stride ≥ kernel; ≤ ⌈k_h/s_h⌉·⌈k_w/s_w⌉ otherwise).
   */
  record MaxPool(int[][] windows, int inDim, int maxMultiplicity) implements Op {
    public double lipschitz() {
      return Math.sqrt(maxMultiplicity);
    }
  }

  /** y = Σ c_i x_i (ElementWiseVertex add / subtract / average). L ≤ Σ |c_i| L_i. */
  record Sum(double[] coeffs) implements Op {}

  /** y = concatenation of the inputs (MergeVertex). L ≤ √(Σ L_i²): ‖(Δf, Δg)‖² = ‖Δf‖² + ‖Δg‖². */
  record Concat() implements Op {}
}
