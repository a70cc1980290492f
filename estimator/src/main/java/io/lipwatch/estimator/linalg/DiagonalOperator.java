package io.lipwatch.estimator.linalg;

/** y = diag(d) x: batch normalisation at inference (γ/√(var+ε) per channel, repeated over the spatial positions). */
public record DiagonalOperator(double[] diag) implements LinearOperator {
  @Override
  public int inDim() {
    return diag.length;
  }

  @Override
  public int outDim() {
    return diag.length;
  }

  @Override
  public void apply(double[] x, double[] y) {
    for (int i = 0; i < diag.length; i++) {
      y[i] = diag[i] * x[i];
    }
  }

  @Override
  public void applyTranspose(double[] y, double[] x) {
    apply(y, x);
  }

  @Override
  public double[] absRowSums() {
    double[] r = new double[diag.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = Math.abs(diag[i]);
    }
    return r;
  }

  @Override
  public double[] absColSums() {
    return absRowSums();
  }

  @Override
  public long macs() {
    return diag.length;
  }

  /** Exact: the spectral norm of a diagonal map is max |d_i| (no rounding: a max of absolute values). */
  public double norm() {
    double m = 0;
    for (double d : diag) {
      m = Math.max(m, Math.abs(d));
    }
    return m;
  }
}
