package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-layer norm certificate: it proves s ≥ ‖W‖₂ just above the true norm and must fail just below it (where
 * s²I − WᵀW is indefinite, so any success would be a false proof).
 */
class NormCertificateTest {

  /** Sylvester's Hadamard matrix of order 16, divided by 4: entries ±1/4 (exact in binary), norm exactly 1. */
  static DenseMatrix hadamard16() {
    int n = 16;
    double[] d = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        d[i * n + j] = (Integer.bitCount(i & j) % 2 == 0 ? 1 : -1) / 4.0;
      }
    }
    return new DenseMatrix(n, n, d);
  }

  static DenseMatrix random(int m, int n, long seed) {
    Random r = new Random(seed);
    double[] d = new double[m * n];
    for (int i = 0; i < d.length; i++) {
      d[i] = r.nextGaussian() / Math.sqrt(n);
    }
    return new DenseMatrix(m, n, d);
  }

  @Test
  void knownNormIsCertifiedJustAboveAndRefusedJustBelow() {
    DenseMatrix h = hadamard16();
    assertTrue(NormCertificate.certifies(h, 1 + 1e-12));
    assertFalse(NormCertificate.certifies(h, 1 - 1e-12));
    assertFalse(NormCertificate.certifies(h, 1.0 - 1e-15));
    double up = SpectralNorm.exactUpper(h);
    assertTrue(up >= 1 && up <= 1 + 1e-10, "proven bound " + up);
  }

  @Test
  void randomMatricesOfBothShapes() {
    for (int[] mn : new int[][] {{60, 35}, {35, 60}, {300, 200}}) {
      DenseMatrix w = random(mn[0], mn[1], 7L * mn[0] + mn[1]);
      double sigma = SpectralNorm.svdLargest(w);
      assertTrue(NormCertificate.certifies(w, sigma * (1 + 1e-9)), "just above the norm, " + mn[0] + "x" + mn[1]);
      assertFalse(NormCertificate.certifies(w, sigma * (1 - 1e-9)), "just below the norm, " + mn[0] + "x" + mn[1]);
      NormCertificate.Proven p = NormCertificate.prove(w, sigma);
      assertEquals("cholesky-certified", p.how());
      assertTrue(p.value() >= sigma && p.value() <= sigma * (1 + 1e-8), "proven " + p.value() + " vs svd " + sigma);
      // Gram iteration is proven the same way
      double g = SpectralNorm.gramUpper(w, 10);
      assertTrue(g >= sigma && g <= sigma * (1 + 1e-3), "gram " + g + " vs " + sigma);
    }
  }

  @Test
  void aWrongEstimateFallsBackToTheFrobeniusNorm() {
    DenseMatrix w = random(20, 30, 3);
    double sigma = SpectralNorm.svdLargest(w);
    NormCertificate.Proven p = NormCertificate.prove(w, sigma * 0.5);
    assertEquals("frobenius", p.how());
    double fro = 0;
    for (double v : w.data()) {
      fro += v * v;
    }
    assertTrue(p.value() >= Math.sqrt(fro) && p.value() >= sigma);
    assertEquals(0.0, NormCertificate.prove(new DenseMatrix(0, 3, new double[0]), 1.0).value());
  }
}
