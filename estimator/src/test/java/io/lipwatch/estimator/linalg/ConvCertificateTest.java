package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The proven bound of convolutions ({@link ConvSpectral#circularCertified}) against norms known exactly: closed forms of
 * one-channel symbols, and the explicit circulant or zero-padded matrix of small multi-channel layers. The proof must
 * hold (value ≥ the truth), be tight (within a small relative factor), and refuse values below the truth.
 */
class ConvCertificateTest {

  private static Conv2dOperator conv(int ci, int n, int co, int k, int pad, int stride, int dil, double[] kernel) {
    int eff = (k - 1) * dil + 1;
    int out = (n + 2 * pad - eff) / stride + 1;
    return new Conv2dOperator(ci, n, n, co, out, out, k, k, stride, stride, dil, dil, pad, pad, kernel);
  }

  /** All-ones 3×3: the symbol Σ e^{−iθ} peaks at ξ = 0 with value 9, on every torus. */
  @Test
  void allOnesKernelProvenAtNine() {
    double[] k = new double[9];
    java.util.Arrays.fill(k, 1.0);
    Conv2dOperator op = conv(1, 8, 1, 3, 1, 1, 1, k);
    int[] g = op.paddedGrid();
    ConvSpectral.Certified c = ConvSpectral.circularCertified(op, g[0], g[1], 10);
    assertTrue(c.value() >= 9 && c.value() <= 9 * (1 + 1e-9), "proven " + c.value() + " vs exact 9");
    assertTrue(ConvSpectral.certifiesCircular(op, g[0], g[1], c.value()));
    assertFalse(ConvSpectral.certifiesCircular(op, g[0], g[1], 0.999 * 9), "0.999·9 must be refused");
    assertFalse(ConvSpectral.certifiesCircular(op, g[0], g[1], 9 * (1 - 1e-9)), "just below 9 must be refused");
    // the zero-padded layer's own norm (explicit matrix) sits below
    double padded = SpectralNorm.svdLargest(op.toDense());
    assertTrue(padded <= c.value(), padded + " > " + c.value());
  }

  /**
   * LipBound for one channel is √(max_grid |K̂|² / (1 − π(D_h + D_w)/S)): for the all-ones 3×3 kernel the grid maximum
   * is 81 at ω = 0 (on every grid), so the value is 9/√(1 − 4π/S) up to the proven rounding, and never below 9.
   */
  @Test
  void lipBoundAtItsClosedForm() {
    double[] k = new double[9];
    java.util.Arrays.fill(k, 1.0);
    Conv2dOperator op = conv(1, 8, 1, 3, 1, 1, 1, k);
    for (int s : new int[] {16, 33, 128}) {
      double exact = 9 / Math.sqrt(1 - 4 * Math.PI / s);
      double v = ConvSpectral.lipBound(op, s);
      assertTrue(v >= exact && v <= exact * (1 + 1e-9), "S=" + s + ": " + v + " vs " + exact);
    }
  }

  /**
   * (1, −1)⊗(1, −1) with mixed signs: |K̂(ξ)| = 4|sin(πa/N)·sin(πb/N)|, so on an even torus the maximum is 4 at
   * (N/2, N/2), and on an odd one it is 4·cos²(π/(2N)) (closed form). Scaled by 3.7 to make the value inexact.
   */
  @Test
  void differenceKernelAtItsClosedForm() {
    double[] k = {3.7, -3.7, -3.7, 3.7};
    for (int n : new int[] {6, 7, 9, 12}) {
      Conv2dOperator op = new Conv2dOperator(1, n, n, 1, n, n, 2, 2, 1, 1, 1, 1, 0, 0, k);
      double m = Math.cos(Math.PI / (2 * n));
      double exact = 3.7 * 4 * (n % 2 == 0 ? 1 : m * m);
      double v = ConvSpectral.circularCertified(op, n, n, 10).value();
      assertTrue(v >= exact && v <= exact * (1 + 1e-9), "n=" + n + ": proven " + v + " vs exact " + exact);
      assertFalse(ConvSpectral.certifiesCircular(op, n, n, exact * 0.999), "n=" + n);
      assertFalse(ConvSpectral.certifiesCircular(op, n, n, exact * (1 - 1e-8)), "n=" + n);
    }
  }

  /** Multi-channel: the explicit circulant matrix's largest singular value, both channel orders (ci < co, ci > co). */
  @Test
  void multiChannelAgainstExplicitCirculant() {
    int[][] shapes = {{2, 3, 3, 6}, {5, 2, 3, 5}, {4, 4, 2, 7}};
    for (int[] sh : shapes) {
      int ci = sh[0];
      int co = sh[1];
      int k = sh[2];
      int n = sh[3];
      double[] kernel = ConvFixtures.gaussian(11L * ci + co, co * ci * k * k, 0.3);
      Conv2dOperator op = new Conv2dOperator(ci, n, n, co, n, n, k, k, 1, 1, 1, 1, 0, 0, kernel);
      DenseMatrix circ = ConvFixtures.circulant(kernel, ci, co, k, n);
      double exact = SpectralNorm.svdLargest(circ);
      ConvSpectral.Certified c = ConvSpectral.circularCertified(op, n, n, 10);
      String at = ci + "→" + co + " k" + k + " n" + n;
      // LAPACK's value is accurate to a few ulps; the proof must sit at or above it, and close
      assertTrue(c.value() >= exact * (1 - 1e-13), at + ": proven " + c.value() + " < " + exact);
      assertTrue(c.value() <= exact * (1 + 1e-6), at + ": proven " + c.value() + " far above " + exact);
      assertFalse(ConvSpectral.certifiesCircular(op, n, n, exact * 0.999), at);
      assertFalse(ConvSpectral.certifiesCircular(op, n, n, exact * (1 - 1e-7)), at);
      // the explicit matrix's own proof agrees
      assertTrue(NormCertificate.certifies(circ, c.value() * (1 + 1e-9)), at);
    }
  }

  /** Zero-padded, strided and dilated layers: the proven torus value bounds the explicit matrix's norm. */
  @Test
  void paddedStridedDilatedBelowProof() {
    int[][] geo = {{3, 9, 4, 3, 1, 1, 1}, {2, 10, 3, 3, 1, 2, 1}, {2, 11, 2, 3, 2, 1, 2}, {4, 8, 2, 2, 0, 2, 1}};
    for (int[] g : geo) {
      double[] kernel = ConvFixtures.gaussian(g[1] * 7L + g[3], g[2] * g[0] * g[3] * g[3], 0.5);
      Conv2dOperator op = conv(g[0], g[1], g[2], g[3], g[4], g[5], g[6], kernel);
      DenseMatrix dense = op.toDense();
      double exact = SpectralNorm.svdLargest(dense);
      double proven = ConvSpectral.paddedGramUpper(op, 10);
      assertTrue(proven >= exact, java.util.Arrays.toString(g) + ": " + proven + " < " + exact);
      assertTrue(OperatorNorms.sound(op).value() >= exact);
    }
  }

  /** A zero kernel is proven at 0 (the error term scales with the taps); huge taps stay finite and proven. */
  @Test
  void scaleExtremes() {
    Conv2dOperator zero = conv(2, 6, 3, 3, 1, 1, 1, new double[54]);
    assertTrue(ConvSpectral.paddedGramUpper(zero, 10) == 0.0);
    double[] big = ConvFixtures.gaussian(5, 54, 1e150);
    Conv2dOperator op = conv(2, 6, 3, 3, 1, 1, 1, big);
    int[] g = op.paddedGrid();
    double v = ConvSpectral.circularCertified(op, g[0], g[1], 10).value();
    double exact = SpectralNorm.svdLargest(ConvFixtures.circulant(big, 2, 3, 3, g[0]));
    assertTrue(Double.isFinite(v) && v >= exact * (1 - 1e-13) && v <= exact * (1 + 1e-6), v + " vs " + exact);
  }
}
