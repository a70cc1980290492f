package io.lipwatch.estimator.bounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.NativeDense;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.NativeLayers;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The lower-bound searches' layers in OpenBLAS ({@link NativeDense}, {@link NativeLayers}): the same products as the
 * Java loop up to rounding (each entry within 2γ_n·Σ|terms| of it), from several threads at once, the same network
 * maps (forward, JVP, VJP), and the same search result on the demo-sized MLP.
 */
class NativeLayersTest {
  private static final double U = Math.ulp(1.0) / 2;

  @Test
  void productsMatchTheJavaLoopWithinRounding() {
    SplittableRandom r = new SplittableRandom(5);
    for (int[] shape : new int[][] {{256, 784}, {130, 129}, {10, 256}, {1, 20000}}) {
      DenseMatrix m = random(r, shape[0], shape[1]);
      try (NativeDense nd = new NativeDense(m)) {
        double[] x = vector(r, shape[1]);
        double[] y = vector(r, shape[0]);
        assertClose(m, x, false, nd);
        assertClose(m, y, true, nd);
      }
    }
  }

  @Test
  void threadsUseTheirOwnVectors() throws Exception {
    SplittableRandom r = new SplittableRandom(6);
    DenseMatrix m = random(r, 256, 784);
    double[][] xs = new double[4][];
    double[][] want = new double[4][256];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = vector(r, 784);
      m.apply(xs[i], want[i]);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (NativeDense nd = new NativeDense(m)) {
      List<Future<Double>> worst = new java.util.ArrayList<>();
      for (int t = 0; t < xs.length; t++) {
        int k = t;
        worst.add(pool.submit(() -> {
          double w = 0;
          double[] y = new double[256];
          for (int rep = 0; rep < 300; rep++) {
            nd.apply(xs[k], y);
            for (int i = 0; i < y.length; i++) {
              w = Math.max(w, Math.abs(y[i] - want[k][i]));
            }
          }
          return w;
        }));
      }
      for (Future<Double> f : worst) {
        assertTrue(f.get() < 1e-9, "a thread's product differs by " + f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sameNetworkMapsAndSameSearchResult() {
    List<DenseMatrix> w = EclipseFastTest.weights(7, false, 784, 256, 256, 10);
    ExtractedNetwork net = EclipseFastTest.net(w, EclipseFastTest.RELU);
    double[][] inputs = LowerBounds.randomInputs(8, 784, 3);
    try (NativeLayers fast = NativeLayers.of(net)) {
      ExtractedNetwork f = fast.network();
      long natives = f.nodes().stream().filter(n -> n.linear() instanceof NativeDense).count();
      assertEquals(2, natives, "the two large layers in OpenBLAS, the 10×256 one left in Java");
      SplittableRandom r = new SplittableRandom(8);
      double[] x = inputs[0];
      double[] t = vector(r, 784);
      double[][] v = net.forward(x);
      double[][] vf = f.forward(x);
      assertNear(v[v.length - 1], vf[vf.length - 1], "forward");
      assertNear(net.jvp(v, x, t), f.jvp(vf, x, t), "jvp");
      double[] u = vector(r, 10);
      assertNear(net.vjp(v, x, u), f.vjp(vf, x, u), "vjp");
      double[] box = LowerBounds.domain(inputs);
      long end = System.nanoTime() + 60_000_000_000L;
      LowerBounds.Result plain = LowerBounds.search(net, inputs, List.of(), box, 8, 11, end);
      LowerBounds.Result nat = LowerBounds.search(f, inputs, List.of(), box, 8, 11, end);
      assertEquals(plain.bound().value(), nat.bound().value(), 1e-9 * plain.bound().value(), "pair-search on the same seeds");
    }
  }

  private static void assertClose(DenseMatrix m, double[] v, boolean transpose, NativeDense nd) {
    int n = transpose ? m.rows() : m.cols();
    int out = transpose ? m.cols() : m.rows();
    double[] want = new double[out];
    double[] got = new double[out];
    if (transpose) {
      m.applyTranspose(v, want);
      nd.applyTranspose(v, got);
    } else {
      m.apply(v, want);
      nd.apply(v, got);
    }
    double gamma = n * U / (1 - n * U);
    double[] d = m.data();
    for (int i = 0; i < out; i++) {
      double abs = 0;
      for (int k = 0; k < n; k++) {
        abs += Math.abs(transpose ? d[k * m.cols() + i] * v[k] : d[i * m.cols() + k] * v[k]);
      }
      assertTrue(Math.abs(got[i] - want[i]) <= 2 * gamma * abs * (1 + 1e-9),
          (transpose ? "Aᵀy" : "Ax") + " entry " + i + " of " + m.rows() + "×" + m.cols() + ": " + got[i] + " vs " + want[i]);
    }
  }

  private static void assertNear(double[] want, double[] got, String what) {
    double norm = 0;
    double diff = 0;
    for (int i = 0; i < want.length; i++) {
      norm = Math.max(norm, Math.abs(want[i]));
      diff = Math.max(diff, Math.abs(want[i] - got[i]));
    }
    assertTrue(diff <= 1e-12 * Math.max(norm, 1), what + ": differs by " + diff + " (largest entry " + norm + ")");
  }

  private static DenseMatrix random(SplittableRandom r, int rows, int cols) {
    double[] d = new double[rows * cols];
    for (int i = 0; i < d.length; i++) {
      d[i] = r.nextGaussian() / Math.sqrt(cols);
    }
    return new DenseMatrix(rows, cols, d);
  }

  private static double[] vector(SplittableRandom r, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextDouble(-1, 1);
    }
    return v;
  }
}
