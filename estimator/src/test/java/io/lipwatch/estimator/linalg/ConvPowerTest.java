package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The GEMM form of a convolution used by power iteration ({@link ConvPower}) against the operator's own loops, on
 * seeded random geometries (channels, kernel, stride, padding on each side, dilation): apply and transpose equal to
 * 1e-12 of the result's norm, and 100 power iterations give the plain iteration's σ to 1e-10 and its vector.
 */
class ConvPowerTest {
  /** A random zero-padded conv (larger when {@code large}) whose output is at least 1×1; the bottom/right padding is implied by outH/outW. */
  static Conv2dOperator randomConv(Random r, boolean large) {
    int cIn = 1 + r.nextInt(large ? 8 : 6);
    int cOut = 1 + r.nextInt(large ? 16 : 8);
    int extra = large ? 24 : 12;
    int kH = 1 + r.nextInt(4);
    int kW = 1 + r.nextInt(4);
    int dH = 1 + r.nextInt(2);
    int dW = 1 + r.nextInt(2);
    int sH = 1 + r.nextInt(3);
    int sW = 1 + r.nextInt(3);
    int padTop = r.nextInt(3);
    int padLeft = r.nextInt(3);
    int padBottom = r.nextInt(3);
    int padRight = r.nextInt(3);
    int inH = Math.max(1, (kH - 1) * dH + 1 - padTop - padBottom) + r.nextInt(extra);
    int inW = Math.max(1, (kW - 1) * dW + 1 - padLeft - padRight) + r.nextInt(extra);
    int outH = (inH + padTop + padBottom - ((kH - 1) * dH + 1)) / sH + 1;
    int outW = (inW + padLeft + padRight - ((kW - 1) * dW + 1)) / sW + 1;
    double[] k = ConvFixtures.gaussian(r.nextLong(), cOut * cIn * kH * kW, 1.0);
    return new Conv2dOperator(cIn, inH, inW, cOut, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft, k);
  }

  /** The same map seen only as a {@link LinearOperator}: power iteration then runs the plain loops. */
  static LinearOperator plain(Conv2dOperator c) {
    return new LinearOperator() {
      public int inDim() {
        return c.inDim();
      }

      public int outDim() {
        return c.outDim();
      }

      public void apply(double[] x, double[] y) {
        c.apply(x, y);
      }

      public void applyTranspose(double[] y, double[] x) {
        c.applyTranspose(y, x);
      }

      public double[] absRowSums() {
        return c.absRowSums();
      }

      public double[] absColSums() {
        return c.absColSums();
      }

      public long macs() {
        return c.macs();
      }
    };
  }

  @Test
  void applyAndTransposeMatchTheLoopsOnRandomGeometries() {
    Random r = new Random(20261201L);
    for (int trial = 0; trial < 200; trial++) {
      Conv2dOperator c = randomConv(r, trial % 2 == 1);
      double[] x = ConvFixtures.gaussian(r.nextLong(), c.inDim(), 1.0);
      double[] y = ConvFixtures.gaussian(r.nextLong(), c.outDim(), 1.0);
      try (ConvPower g = ConvPower.of(c)) {
        double[] want = new double[c.outDim()];
        double[] got = new double[c.outDim()];
        c.apply(x, want);
        java.util.Arrays.fill(got, Double.NaN); // every entry must be written
        g.apply(x, got);
        assertClose(want, got, 1e-12, "apply " + c);
        double[] wantT = new double[c.inDim()];
        double[] gotT = new double[c.inDim()];
        c.applyTranspose(y, wantT);
        java.util.Arrays.fill(gotT, Double.NaN);
        g.applyTranspose(y, gotT);
        assertClose(wantT, gotT, 1e-12, "transpose " + c);
      }
    }
  }

  @Test
  void powerIterationMatchesThePlainIterationOnRandomGeometries() {
    Random r = new Random(7L);
    int fast = 0;
    for (int trial = 0; trial < 60; trial++) {
      Conv2dOperator c = randomConv(r, trial % 2 == 1);
      long seed = r.nextLong();
      SpectralNorm.PowerResult want = SpectralNorm.power(plain(c), null, 100, 0, seed);
      SpectralNorm.PowerResult got;
      // the GEMM iteration on every geometry, small ones included (power picks it only where it pays)
      try (ConvPower g = ConvPower.of(c)) {
        got = SpectralNorm.power(g, null, 100, 0, seed);
      }
      assertEquals(want.sigma(), got.sigma(), 1e-10 * want.sigma(), "σ " + c);
      if (want.iterations() == got.iterations()) {
        assertClose(want.vector(), got.vector(), 1e-6, "vector " + c);
      }
      if (ConvPower.pays(c)) {
        fast++;
        assertEquals(got.sigma(), SpectralNorm.power(c, null, 100, 0, seed).sigma(), 0.0, "power picks ConvPower " + c);
      }
    }
    assertTrue(fast >= 5, "too few geometries large enough for the GEMM path: " + fast);
  }

  @Test
  void benchmarkCnnLayersTakeTheGemmPathAndSmallOnesDoNot() {
    Conv2dOperator c2 = new Conv2dOperator(16, 26, 26, 32, 12, 12, 3, 3, 2, 2, 1, 1, 0, 0,
        ConvFixtures.gaussian(3, 32 * 16 * 9, 0.1));
    assertTrue(ConvPower.pays(c2));
    // its dgemms are split into column blocks (each under OpenBLAS's threading size): the split is what runs here
    assertTrue(ConvPower.blockColumns(32, 16 * 9, 144) < 144, "one block only");
    Conv2dOperator tiny = new Conv2dOperator(1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 0, 0, ConvFixtures.gaussian(4, 9, 1));
    assertFalse(ConvPower.pays(tiny));
    SpectralNorm.PowerResult want = SpectralNorm.power(plain(c2), null, 100, 0, 11);
    SpectralNorm.PowerResult got = SpectralNorm.power(c2, null, 100, 0, 11);
    assertEquals(want.sigma(), got.sigma(), 1e-10 * want.sigma());
    assertEquals(want.iterations(), got.iterations(), 2);
  }

  private static void assertClose(double[] want, double[] got, double rel, String what) {
    assertEquals(want.length, got.length, what);
    double scale = SpectralNorm.norm(want);
    double diff = 0;
    for (int i = 0; i < want.length; i++) {
      assertTrue(Double.isFinite(got[i]), what + ": entry " + i + " not written");
      diff += (want[i] - got[i]) * (want[i] - got[i]);
    }
    assertTrue(Math.sqrt(diff) <= rel * Math.max(scale, Double.MIN_NORMAL), what + ": ‖Δ‖ = " + Math.sqrt(diff)
        + " vs ‖want‖ = " + scale);
  }
}
