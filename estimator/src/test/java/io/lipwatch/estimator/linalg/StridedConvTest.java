package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Strided convolutions through their polyphase Fourier blocks ({@link ConvSpectral#stridedCertified}) against the SVD
 * of the explicit matrices: exact (to 1e-6) for the strided circular operator, refused just below it, an upper bound
 * of the zero-padded layer, and tighter than the stride-1 bound it replaces.
 */
class StridedConvTest {
  /** y[o, m₁, m₂] = Σ K[o,i,p,q]·x[i, (m₁s + p·d) mod n, (m₂s + q·d) mod n], m on the (n/s)² grid, as a matrix. */
  static DenseMatrix stridedCirculant(double[] kernel, int ci, int co, int k, int n, int s, int dil) {
    int m = n / s;
    int in = ci * n * n;
    double[] a = new double[co * m * m * in];
    for (int o = 0; o < co; o++) {
      for (int u = 0; u < m; u++) {
        for (int v = 0; v < m; v++) {
          int row = (o * m + u) * m + v;
          for (int i = 0; i < ci; i++) {
            for (int p = 0; p < k; p++) {
              for (int q = 0; q < k; q++) {
                int col = (i * n + (u * s + p * dil) % n) * n + (v * s + q * dil) % n;
                a[row * in + col] += kernel[((o * ci + i) * k + p) * k + q];
              }
            }
          }
        }
      }
    }
    return new DenseMatrix(co * m * m, in, a);
  }

  @Test
  void circularStridedAtTheExplicitNorm() {
    // {ci, co, k, n, stride, dilation}
    int[][] shapes = {{1, 1, 3, 8, 2, 1}, {2, 3, 3, 8, 2, 1}, {3, 2, 4, 9, 3, 1}, {4, 4, 3, 12, 2, 2}, {2, 5, 1, 6, 2, 1}};
    for (int[] sh : shapes) {
      int ci = sh[0];
      int co = sh[1];
      int k = sh[2];
      int n = sh[3];
      int s = sh[4];
      int dil = sh[5];
      double[] kernel = ConvFixtures.gaussian(31L * ci + co + n, co * ci * k * k, 0.4);
      Conv2dOperator op = new Conv2dOperator(ci, n, n, co, n / s, n / s, k, k, s, s, dil, dil, 0, 0, kernel);
      double exact = SpectralNorm.svdLargest(stridedCirculant(kernel, ci, co, k, n, s, dil));
      ConvSpectral.Certified c = ConvSpectral.stridedCertified(op, n, n, 10);
      String at = Arrays.toString(sh) + ": proven " + c.value() + ", explicit " + exact;
      assertTrue(c.value() >= exact * (1 - 1e-13), at);
      assertTrue(c.value() <= exact * (1 + 1e-6), at);
      assertTrue(ConvSpectral.certifiesStrided(op, n, n, c.value()), at);
      assertFalse(ConvSpectral.certifiesStrided(op, n, n, exact * (1 - 1e-7)), at);
      // the stride-1 operator on the same torus is strictly looser here
      double stride1 = ConvSpectral.circularCertified(op, n, n, 10).value();
      assertTrue(c.value() <= stride1 * (1 + 1e-9), at + ", stride-1 " + stride1);
    }
  }

  @Test
  void zeroPaddedStridedLayersBelowTheProof() {
    // {ci, n, co, k, pad, stride, dilation}
    int[][] geo = {{2, 10, 3, 3, 1, 2, 1}, {4, 8, 2, 2, 0, 2, 1}, {3, 11, 4, 3, 1, 2, 1}, {2, 9, 2, 5, 2, 3, 1}, {2, 12, 3, 3, 2, 2, 2}};
    for (int[] g : geo) {
      int eff = (g[3] - 1) * g[6] + 1;
      int out = (g[1] + 2 * g[4] - eff) / g[5] + 1;
      double[] kernel = ConvFixtures.gaussian(g[1] * 7L + g[3], g[2] * g[0] * g[3] * g[3], 0.5);
      Conv2dOperator op = new Conv2dOperator(g[0], g[1], g[1], g[2], out, out, g[3], g[3], g[5], g[5], g[6], g[6], g[4], g[4], kernel);
      double exact = SpectralNorm.svdLargest(op.toDense());
      double proven = ConvSpectral.paddedGramUpper(op, 10);
      int[] grid = op.paddedGrid();
      double stride1 = ConvSpectral.circularCertified(op, grid[0], grid[1], 10).value();
      String at = Arrays.toString(g) + ": proven " + proven + ", explicit " + exact + ", stride-1 bound " + stride1;
      System.out.println(at);
      assertTrue(proven >= exact, at);
      // dilation = stride puts every tap on the sub-lattice: the aliases repeat one symbol and nothing is gained
      assertTrue(g[6] == g[5] ? proven <= stride1 * (1 + 1e-9) : proven < 0.9 * stride1, at);
      assertTrue(OperatorNorms.sound(op).value() >= exact, at);
    }
  }

  @Test
  void aTorusOffTheStrideIsRefused() {
    Conv2dOperator op = new Conv2dOperator(1, 9, 9, 1, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, ConvFixtures.gaussian(1, 9, 1));
    try {
      ConvSpectral.stridedCertified(op, 9, 9, 10);
      throw new AssertionError("an odd torus with stride 2 was accepted");
    } catch (IllegalArgumentException expected) {
      assertTrue(expected.getMessage().contains("multiple of the stride"));
    }
  }
}
