package io.lipwatch.estimator.linalg;

import java.util.Random;

/** Kernels and explicit matrices the convolution tests (here and in the bounds tests) check the Fourier values against. */
public final class ConvFixtures {
  private ConvFixtures() {}

  /** len independent N(0, scale²) entries from a generator seeded with {@code seed}. */
  public static double[] gaussian(long seed, int len, double scale) {
    Random r = new Random(seed);
    double[] k = new double[len];
    for (int i = 0; i < len; i++) {
      k[i] = scale * r.nextGaussian();
    }
    return k;
  }

  /** y[o, u, v] = Σ K[o,i,p,q]·x[i, (u+p) mod n, (v+q) mod n]: the circular convolution as a matrix. */
  public static DenseMatrix circulant(double[] kernel, int ci, int co, int k, int n) {
    int in = ci * n * n;
    double[] a = new double[co * n * n * in];
    for (int o = 0; o < co; o++) {
      for (int u = 0; u < n; u++) {
        for (int v = 0; v < n; v++) {
          for (int i = 0; i < ci; i++) {
            for (int p = 0; p < k; p++) {
              for (int q = 0; q < k; q++) {
                int row = (o * n + u) * n + v;
                int col = (i * n + (u + p) % n) * n + (v + q) % n;
                a[row * in + col] += kernel[((o * ci + i) * k + p) * k + q];
              }
            }
          }
        }
      }
    }
    return new DenseMatrix(co * n * n, in, a);
  }
}
