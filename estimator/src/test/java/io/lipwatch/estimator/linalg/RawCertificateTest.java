package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The certificate on raw arrays: real (SeqLip's patterns) and complex (convolution symbols, through the real
 * embedding). Just above the true norm it proves, just below it must refuse.
 */
class RawCertificateTest {

  /** A complex matrix with a known norm: a Hadamard matrix/4 (norm 1) times the unit e^{iφ}, so ‖F‖₂ = 1 exactly. */
  @Test
  void complexKnownNorm() {
    DenseMatrix h = NormCertificateTest.hadamard16();
    double c = Math.cos(0.7);
    double s = Math.sin(0.7);
    double[] re = new double[256];
    double[] im = new double[256];
    for (int i = 0; i < 256; i++) {
      re[i] = h.data()[i] * c;
      im[i] = h.data()[i] * s;
    }
    // the rounded re, im differ from e^{iφ}·H by ≤ u per entry: the norm is 1 within 16·2u
    assertTrue(NormCertificate.certifiesComplex(re, im, 16, 16, 1 + 1e-12));
    assertFalse(NormCertificate.certifiesComplex(re, im, 16, 16, 1 - 1e-12));
  }

  /** Random complex matrices of both shapes against the SVD of the real embedding [[re, −im], [im, re]]. */
  @Test
  void complexAgainstEmbeddingSvd() {
    Random r = new Random(9);
    for (int[] mn : new int[][] {{7, 4}, {4, 9}, {12, 12}, {30, 17}}) {
      int m = mn[0];
      int n = mn[1];
      double[] re = new double[m * n];
      double[] im = new double[m * n];
      double[] b = new double[4 * m * n];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          re[i * n + j] = r.nextGaussian();
          im[i * n + j] = r.nextGaussian();
          b[i * 2 * n + j] = re[i * n + j];
          b[i * 2 * n + n + j] = -im[i * n + j];
          b[(i + m) * 2 * n + j] = im[i * n + j];
          b[(i + m) * 2 * n + n + j] = re[i * n + j];
        }
      }
      double sigma = SpectralNorm.svdLargest(new DenseMatrix(2 * m, 2 * n, b));
      assertTrue(NormCertificate.certifiesComplex(re, im, m, n, sigma * (1 + 1e-9)), m + "x" + n);
      assertFalse(NormCertificate.certifiesComplex(re, im, m, n, sigma * (1 - 1e-9)), m + "x" + n);
      assertFalse(NormCertificate.certifiesComplex(re, im, m, n, sigma * 0.999), m + "x" + n);
    }
  }

  @Test
  void realRawAgreesWithDenseMatrix() {
    for (int[] mn : new int[][] {{5, 3}, {3, 8}, {20, 20}}) {
      DenseMatrix w = NormCertificateTest.random(mn[0], mn[1], 4 + mn[0]);
      double sigma = SpectralNorm.svdLargest(w);
      assertTrue(NormCertificate.certifies(w.data(), mn[0], mn[1], sigma * (1 + 1e-9)));
      assertFalse(NormCertificate.certifies(w.data(), mn[0], mn[1], sigma * (1 - 1e-9)));
    }
  }
}
