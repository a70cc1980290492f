package io.lipwatch.estimator.certify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Soundness of the local certificate, checked against the network itself: points sampled in the ball (inside and on the
 * sphere) never leave the interval bounds, never change a margin faster than its local Lipschitz bound, and a margin
 * ascent inside the ball never breaks a certified sample.
 */
class LocalCertifierTest {
  static final int D = 12;
  static final int K = 4;

  enum Act {
    RELU(Activation.RELU), TANH(Activation.TANH), SIGMOID(Activation.SIGMOID), SOFTPLUS(Activation.SOFTPLUS),
    LEAKYRELU(Activation.LEAKYRELU), HARDTANH(Activation.HARDTANH), IDENTITY(Activation.IDENTITY);

    final Activation a;

    Act(Activation a) {
      this.a = a;
    }
  }

  static MultiLayerNetwork mlp(long seed, Activation act, int... widths) {
    NeuralNetConfiguration.ListBuilder lb = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).list();
    for (int i = 0; i + 2 < widths.length; i++) {
      lb.layer(new DenseLayer.Builder().nIn(widths[i]).nOut(widths[i + 1]).activation(act).build());
    }
    int n = widths.length;
    lb.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(widths[n - 2]).nOut(widths[n - 1])
        .activation(Activation.SOFTMAX).build());
    MultiLayerNetwork net = new MultiLayerNetwork(lb.build());
    net.init();
    return net;
  }

  static double[][] inputs(long seed, int n, int d) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        row[i] = r.nextDouble();
      }
    }
    return x;
  }

  /** A point in B(x, eps): a random direction at a random radius (a third of them on the sphere). */
  static double[] inBall(double[] x, double eps, SplittableRandom r) {
    double[] d = new double[x.length];
    double n = 0;
    for (int i = 0; i < d.length; i++) {
      d[i] = r.nextGaussian();
      n += d[i] * d[i];
    }
    double rad = r.nextInt(3) == 0 ? eps : eps * Math.pow(r.nextDouble(), 1.0 / d.length);
    double[] y = x.clone();
    for (int i = 0; i < d.length; i++) {
      y[i] += rad * d[i] / Math.sqrt(n);
    }
    return y;
  }

  @ParameterizedTest
  @EnumSource(Act.class)
  void intervalsAndLocalLipschitzBoundsHoldOnTheBall(Act act) {
    ExtractedNetwork net = NetworkExtractor.extract(mlp(3, act.a, D, 16, 16, K));
    DenseChain chain = DenseChain.of(net).orElseThrow();
    LocalCertifier lc = new LocalCertifier(chain);
    PairwiseBounds pw = PairwiseBounds.compute(net, null, 0);
    SplittableRandom r = new SplittableRandom(5);
    double tightest = Double.POSITIVE_INFINITY;
    for (double[] x : inputs(7, 6, D)) {
      for (double eps : new double[] {0.05, 0.3, 1.0}) {
        LocalCertifier.Point p = lc.point(x);
        LocalCertifier.Ball ball = lc.ball(p, eps);
        double[][] lip = new double[K][K];
        for (int y = 0; y < K; y++) {
          for (int j = 0; j < K; j++) {
            if (y != j) {
              lip[y][j] = lc.marginLipschitz(ball, y, j, pw.lip()[y][j]);
              assertTrue(lip[y][j] <= pw.lip()[y][j], "local above pairwise");
            }
          }
        }
        for (int t = 0; t < 200; t++) {
          double[] a = inBall(x, eps, r);
          double[] b = t % 2 == 0 ? x : inBall(x, eps, r);
          double[][] za = chain.preActivations(a);
          double[][] zb = chain.preActivations(b);
          for (int k = 0; k < chain.layers() - 1; k++) {
            for (int i = 0; i < za[k].length; i++) {
              assertTrue(za[k][i] >= ball.lo()[k][i] && za[k][i] <= ball.hi()[k][i],
                  act + " layer " + k + " neuron " + i + ": " + za[k][i] + " outside [" + ball.lo()[k][i] + ", " + ball.hi()[k][i] + "]");
            }
          }
          double dist = 0;
          for (int i = 0; i < D; i++) {
            dist += (a[i] - b[i]) * (a[i] - b[i]);
          }
          dist = Math.sqrt(dist);
          double[] la = za[za.length - 1];
          double[] lb = zb[zb.length - 1];
          for (int y = 0; y < K; y++) {
            for (int j = 0; j < K; j++) {
              if (y != j) {
                double change = Math.abs((la[y] - la[j]) - (lb[y] - lb[j]));
                assertTrue(change <= lip[y][j] * dist * (1 + 1e-9) + 1e-12,
                    act + ": margin " + y + "," + j + " moved " + change + " over " + dist + ", local bound " + lip[y][j]);
                if (dist > 0) {
                  tightest = Math.min(tightest, lip[y][j] * dist / Math.max(change, 1e-300));
                }
              }
            }
          }
        }
      }
    }
    assertTrue(Double.isFinite(tightest));
  }

  @ParameterizedTest
  @EnumSource(value = Act.class, names = {"RELU", "TANH", "SOFTPLUS"})
  void certifiedSamplesSurviveAMarginAscentAndLocalBeatsPairwiseBeatsGlobal(Act act) {
    ExtractedNetwork net = NetworkExtractor.extract(mlp(11, act.a, D, 32, 32, K));
    double[][] x = inputs(13, 200, D);
    int[] labels = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      labels[i] = Certifier.argmax(net.output(x[i]));
    }
    // a sound global bound: the product of Frobenius norms would do; AutoLip's is the engine's own
    double global = io.lipwatch.estimator.bounds.AutoLip.sound(net).value();
    List<Double> eps = List.of(0.02, 0.05, 0.1, 0.2);
    CertifiedSets cs = Certifier.run(net, x, labels, null, eps, global, 0);
    int better = 0;
    for (CertifiedSets.PerEps pe : cs.perEps()) {
      for (int i = 0; i < x.length; i++) {
        assertTrue(!pe.global()[i] || pe.pairwise()[i], "global but not pairwise, sample " + i);
        assertTrue(!pe.pairwise()[i] || pe.local()[i], "pairwise but not local, sample " + i);
        if (pe.local()[i]) {
          assertFalse(attack(net, x[i], labels[i], pe.eps()), act + ": certified sample " + i + " broken at ε=" + pe.eps());
        }
      }
      better += count(pe.local()) - count(pe.pairwise());
    }
    assertTrue(better > 0, act + ": local certificates should certify more samples than pairwise ones somewhere");
    assertEquals(x.length, cs.localSamples());
  }

  /** Projected gradient ascent on every margin −(z_y − z_j) in double, 40 steps from 4 starts: true when it crosses. */
  static boolean attack(ExtractedNetwork net, double[] x, int y, double eps) {
    SplittableRandom r = new SplittableRandom(17);
    for (int j = 0; j < net.outputDim(); j++) {
      if (j == y) {
        continue;
      }
      for (int s = 0; s < 4; s++) {
        double[] p = s == 0 ? x.clone() : inBall(x, eps, r);
        for (int t = 0; t < 40; t++) {
          double[][] v = net.forward(p);
          double[] z = v[v.length - 1];
          if (z[j] >= z[y]) {
            return true;
          }
          double[] u = new double[z.length];
          u[j] = 1;
          u[y] = -1;
          double[] g = net.vjp(v, p, u);
          double gn = 0;
          for (double e : g) {
            gn += e * e;
          }
          gn = Math.sqrt(gn);
          if (gn == 0) {
            break;
          }
          for (int i = 0; i < p.length; i++) {
            p[i] += 0.25 * eps * g[i] / gn;
          }
          double dn = 0;
          for (int i = 0; i < p.length; i++) {
            dn += (p[i] - x[i]) * (p[i] - x[i]);
          }
          dn = Math.sqrt(dn);
          if (dn > eps) {
            for (int i = 0; i < p.length; i++) {
              p[i] = x[i] + (p[i] - x[i]) * eps / dn;
            }
          }
        }
      }
    }
    return false;
  }

  @Test
  void slopeRangesContainEverySecantSlope() {
    SplittableRandom r = new SplittableRandom(23);
    List<ActivationSpec> specs = List.of(
        new ActivationSpec("relu", 0, 1, true, 0), new ActivationSpec("leakyrelu", 0.01, 1, true, 0.01),
        new ActivationSpec("tanh", 0, 1, true), new ActivationSpec("sigmoid", 0, 0.25, true),
        new ActivationSpec("softplus", 0, 1, true), new ActivationSpec("softsign", 0, 1, true),
        new ActivationSpec("hardtanh", 0, 1, true), new ActivationSpec("relu6", 0, 1, true),
        new ActivationSpec("hardsigmoid", 0, 0.2, true), new ActivationSpec("elu", 0, 1, true, 1.0),
        ActivationSpec.IDENTITY);
    for (ActivationSpec s : specs) {
      for (int t = 0; t < 2000; t++) {
        double c = 8 * (r.nextDouble() - 0.5);
        double w = r.nextInt(4) == 0 ? 0.01 : 3 * r.nextDouble();
        double lo = c - w;
        double hi = c + w;
        double[] range = SlopeRange.of(s, lo, hi);
        assertTrue(range[0] >= s.slopeMin() && range[1] <= s.slopeMax() && range[0] <= range[1], s.name());
        double a = lo + (hi - lo) * r.nextDouble();
        double b = lo + (hi - lo) * r.nextDouble();
        if (Math.abs(a - b) < 1e-6) {
          continue;
        }
        double secant = (s.apply(a) - s.apply(b)) / (a - b);
        assertTrue(secant >= range[0] - 1e-9 && secant <= range[1] + 1e-9,
            s.name() + " on [" + lo + ", " + hi + "]: secant " + secant + " outside " + range[0] + ".." + range[1]);
      }
    }
    // a stable ReLU has its slope fixed
    assertEquals(1.0, SlopeRange.of(new ActivationSpec("relu", 0, 1, true, 0), 0.5, 2)[0]);
    assertEquals(0.0, SlopeRange.of(new ActivationSpec("relu", 0, 1, true, 0), -2, -0.5)[1]);
  }

  @Test
  void aSpentBudgetKeepsThePairwiseResultAndSaysSo() {
    ExtractedNetwork net = NetworkExtractor.extract(mlp(11, Activation.RELU, D, 32, 32, K));
    double[][] x = inputs(13, 50, D);
    int[] labels = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      labels[i] = Certifier.argmax(net.output(x[i]));
    }
    CertifiedSets cs = Certifier.run(net, x, labels, null, List.of(0.002), null, System.nanoTime() - 1);
    assertEquals(0, cs.localSamples());
    assertTrue(cs.warnings().stream().anyMatch(w -> w.contains("stopped by the time budget")), cs.warnings().toString());
    CertifiedSets.PerEps pe = cs.perEps().get(0);
    for (int i = 0; i < x.length; i++) {
      assertEquals(pe.pairwise()[i], pe.local()[i]);
      assertFalse(pe.global()[i], "no global bound, no global certificate");
    }
    assertTrue(count(pe.pairwise()) > 0, "pairwise bounds need no global bound");
  }

  static int count(boolean[] b) {
    int k = 0;
    for (boolean v : b) {
      k += v ? 1 : 0;
    }
    return k;
  }

  /**
   * The second layer's product (OpenBLAS dgemm) is within the rounding {@code secondLayer} allows for: every entry
   * within γ_a·(|V||G|)ᵢⱼ of the exact product (summed in double-double), on shapes from one column to the demo MLP's
   * 256 rows × 200 neurons, signed zeros included; and the same bits when computed twice.
   */
  @Test
  void secondLayerProductIsWithinItsRoundingBound() {
    SplittableRandom r = new SplittableRandom(17);
    for (int[] shape : new int[][] {{7, 5}, {256, 37}, {9, 1}, {4, 12}, {256, 200}}) {
      int n = shape[0];
      int a = shape[1];
      double[] v = new double[n * a];
      double[] g = new double[a * a];
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextInt(3) == 0 ? (r.nextBoolean() ? 0.0 : -0.0) : r.nextDouble(-2, 2);
      }
      for (int i = 0; i < g.length; i++) {
        g[i] = r.nextDouble(-1, 1);
      }
      double[] got = LocalCertifier.product(v, n, g, a);
      assertArrayEquals(got, LocalCertifier.product(v, n, g, a), 0.0, "repeatable");
      double gamma = Rounding.gamma(a);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < a; j++) {
          // the exact sum in double-double (error-free products and sums): ~1e-30 relative, far below the bound
          double hi = 0;
          double lo = 0;
          double abs = 0;
          for (int k = 0; k < a; k++) {
            double x = v[i * a + k];
            double y = g[k * a + j];
            double p = x * y;
            double s = hi + p;
            double bb = s - hi;
            lo += ((hi - (s - bb)) + (p - bb)) + Math.fma(x, y, -p);
            hi = s;
            abs += Math.abs(p);
          }
          double err = Math.abs((got[i * a + j] - hi) - lo);
          assertTrue(err <= gamma * abs * (1 + 1e-9) + Double.MIN_NORMAL,
              "entry (" + i + ", " + j + ") of " + n + "×" + a + ": error " + err + " > γ·Σ|terms| = " + gamma * abs);
        }
      }
    }
  }

  /** The pipelined Cholesky still factors a positive definite matrix and refuses an indefinite one. */
  @Test
  void choleskyDecidesDefiniteness() {
    int n = 9;
    double[] a = new double[n * n];
    double[] b = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        a[i * n + j] = i == j ? n + 1.0 : 1.0; // diagonally dominant: positive definite
        b[i * n + j] = i == j ? 1.0 : 2.0; // the all-ones direction has eigenvalue 1 + 2(n − 1) and the rest −1
      }
    }
    double[] f = a.clone();
    assertTrue(LocalCertifier.cholesky(f, n));
    // L Lᵀ reproduces A (lower triangle holds L)
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = 0;
        for (int k = 0; k <= j; k++) {
          s += f[i * n + k] * f[j * n + k];
        }
        assertEquals(a[i * n + j], s, 1e-12);
      }
    }
    assertFalse(LocalCertifier.cholesky(b, n));
  }
}
