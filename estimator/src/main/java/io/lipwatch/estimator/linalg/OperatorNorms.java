package io.lipwatch.estimator.linalg;

/** Sound upper bounds of ‖A‖₂ per kind of {@link LinearOperator}: the minimum of sound candidates. */
public final class OperatorNorms {
  /** Explicit matrices up to this many entries get the exact σ_max (Gram + Lanczos, proven). */
  static final long EXPLICIT_LIMIT = 1_500_000L;
  public static final int GRAM_STEPS = 10;

  private OperatorNorms() {}

  public record Norm(double value, String how) {}

  /** Min of sound candidates; each candidate is an upper bound of ‖A‖₂, so their minimum is one too. */
  public static Norm sound(LinearOperator a) {
    if (a instanceof DenseMatrix d) {
      return new Norm(SpectralNorm.exactUpper(d), "lanczos+cholesky");
    }
    if (a instanceof DiagonalOperator d) {
      return new Norm(d.norm(), "max|diag|");
    }
    Norm best = new Norm(a.holderBound(), "holder");
    if (a instanceof Conv2dOperator c) {
      // proven per frequency of the padded torus (symbol rounding bounded, verified Cholesky): ConvSpectral
      double g = ConvSpectral.paddedGramUpper(c, GRAM_STEPS);
      if (g < best.value()) {
        best = new Norm(g, "fft-certified");
      }
    }
    if ((long) a.inDim() * a.outDim() <= EXPLICIT_LIMIT) {
      double s = SpectralNorm.exactUpper(a.toDense());
      if (s < best.value()) {
        best = new Norm(s, "explicit-lanczos+cholesky");
      }
    }
    return best;
  }

  /** The cheapest sound bound (Hölder, or exact for diagonal maps): the fallback once a budget is spent. */
  public static Norm cheap(LinearOperator a) {
    if (a instanceof DiagonalOperator d) {
      return new Norm(d.norm(), "max|diag|");
    }
    return new Norm(a.holderBound(), "holder");
  }
}
