package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast paths give the values of the slow ones: the Gram + Lanczos σ_max proves the same bound as LAPACK's SVD value
 * (small sides by the plain Cholesky, large ones by LAPACK's), and power iteration started in float32 ends at the
 * all-double value.
 */
class FastNormTest {
  private static DenseMatrix random(int m, int n, long seed) {
    Random r = new Random(seed);
    double[] d = new double[m * n];
    for (int i = 0; i < d.length; i++) {
      d[i] = r.nextGaussian() / Math.sqrt(n);
    }
    return new DenseMatrix(m, n, d);
  }

  @Test
  void lanczosProvesWhatTheSvdValueProves() {
    for (int[] mn : new int[][] {{10, 256}, {256, 784}, {60, 35}, {35, 60}, {300, 200}, {1, 5}, {5, 1}, {100, 100}}) {
      DenseMatrix w = random(mn[0], mn[1], 31L * mn[0] + mn[1]);
      double svd = SpectralNorm.svdLargest(w);
      NormCertificate.Proven slow = NormCertificate.prove(w, svd);
      NormCertificate.Proven fast = NormCertificate.proveLargest(w);
      assertEquals("cholesky-certified", fast.how(), mn[0] + "x" + mn[1]);
      assertEquals(slow.value(), fast.value(), 1e-12 * svd, mn[0] + "x" + mn[1]);
      assertTrue(fast.value() >= svd, mn[0] + "x" + mn[1]);
      assertEquals(fast.value(), SpectralNorm.exactUpper(w));
    }
  }

  @Test
  void invariantSubspacesAndZeroMatrices() {
    // the identity: every start vector is an eigenvector (Lanczos breaks down at once and restarts)
    double[] id = new double[100 * 100];
    double[] diag = new double[100 * 100];
    for (int i = 0; i < 100; i++) {
      id[i * 101] = 1;
      diag[i * 101] = i % 7 + 1;
    }
    double one = NormCertificate.proveLargest(new DenseMatrix(100, 100, id)).value();
    assertTrue(one >= 1 && one <= 1 + 1e-9, "identity " + one);
    double seven = NormCertificate.proveLargest(new DenseMatrix(100, 100, diag)).value();
    assertTrue(seven >= 7 && seven <= 7 * (1 + 1e-9), "diagonal " + seven);
    // rank one, far from normalised
    double[] r1 = new double[80 * 90];
    for (int i = 0; i < 80; i++) {
      for (int j = 0; j < 90; j++) {
        r1[i * 90 + j] = (i + 1) * (j % 5 - 2);
      }
    }
    DenseMatrix rank1 = new DenseMatrix(80, 90, r1);
    double svd = SpectralNorm.svdLargest(rank1);
    double p = NormCertificate.proveLargest(rank1).value();
    assertTrue(p >= svd && p <= svd * (1 + 1e-9), p + " vs " + svd);
    assertEquals(0.0, SpectralNorm.exactUpper(new DenseMatrix(3, 4, new double[12])), 1e-150);
  }

  @Test
  void floatStartedPowerIterationEndsAtTheDoubleValue() {
    DenseMatrix w = random(256, 784, 5);
    double svd = SpectralNorm.svdLargest(w);
    SpectralNorm.PowerResult p = SpectralNorm.power(w, null, 3000, 1e-12, 7);
    assertTrue(p.converged(), "iterations " + p.iterations());
    // an estimate from below, to double precision once converged
    assertTrue(p.sigma() <= svd * (1 + 1e-12) && p.sigma() >= svd * (1 - 1e-6), p.sigma() + " vs " + svd);
    assertEquals(1.0, SpectralNorm.norm(p.vector()), 1e-12);
    // warm start from the converged vector: settles at once, in double
    SpectralNorm.PowerResult warm = SpectralNorm.power(w, p.vector(), 3000, 1e-10, 7);
    assertTrue(warm.iterations() <= 6, "warm iterations " + warm.iterations());
    assertEquals(p.sigma(), warm.sigma(), 1e-9 * svd);
    // a fixed count of iterations (the benchmark's form): float ones then the double finish
    SpectralNorm.PowerResult fixed = SpectralNorm.power(w, null, 100, 0, 7);
    assertEquals(100, fixed.iterations());
    assertTrue(fixed.sigma() <= svd * (1 + 1e-12) && fixed.sigma() > 0.99 * svd, fixed.sigma() + " vs " + svd);
  }
}
