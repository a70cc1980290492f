package io.lipwatch.estimator.linalg;

/**
 * A linear map R^inDim → R^outDim on flat double arrays (CNN tensors flattened NCHW, c-order, one example). Every
 * weighted layer the engine handles (dense, convolution, batch-norm scale, average pooling) is one of these, so
 * spectral-norm methods (power iteration, Hölder bound, explicit SVD) are written once.
 */
public interface LinearOperator {
  int inDim();

  int outDim();

  /** y = A x (y is overwritten). */
  void apply(double[] x, double[] y);

  /** x = Aᵀ y (x is overwritten). */
  void applyTranspose(double[] y, double[] x);

  /** Row sums of |A| (length outDim): the Hölder bound needs ‖A‖∞ = max of these. */
  double[] absRowSums();

  /** Column sums of |A| (length inDim): ‖A‖₁ = max of these. */
  double[] absColSums();

  /** Multiply-adds of one apply (for FLOP counts). */
  long macs();

  /** The explicit matrix, by pushing basis vectors through {@link #apply}; only for small operators. */
  default DenseMatrix toDense() {
    int n = inDim();
    int m = outDim();
    double[] a = new double[m * n];
    double[] e = new double[n];
    double[] col = new double[m];
    for (int j = 0; j < n; j++) {
      e[j] = 1;
      apply(e, col);
      e[j] = 0;
      for (int i = 0; i < m; i++) {
        a[i * n + j] = col[i];
      }
    }
    return new DenseMatrix(m, n, a);
  }

  /**
   * Sound and cheap: ‖A‖₂ ≤ √(‖A‖₁‖A‖∞) (Hölder/Schur: ‖A‖₂² = ρ(AᵀA) ≤ ‖AᵀA‖₁ ≤ ‖Aᵀ‖₁‖A‖₁ = ‖A‖∞‖A‖₁). Sums of
   * non-negative terms only round by a relative n·ε, covered by the allowance.
   */
  default double holderBound() {
    double r = 0;
    for (double v : absRowSums()) {
      r = Math.max(r, v);
    }
    double c = 0;
    for (double v : absColSums()) {
      c = Math.max(c, v);
    }
    return Math.sqrt(r * c) * (1 + 1e-12 * Math.max(inDim(), outDim()));
  }
}
