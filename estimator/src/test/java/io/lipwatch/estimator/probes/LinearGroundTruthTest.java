package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;

/**
 * Ground truth: for a linear classifier z = xW + b the minimal L2 perturbation that makes class k beat class y is the
 * distance to a half-space; with the [0,1] box it is the projection of 0 onto half-space ∩ box, found exactly by a
 * one-dimensional search. PGD-L2 must never claim less robustness than exists, and find nearly all of it.
 */
class LinearGroundTruthTest {
  static final int D = 20;
  static final int K = 5;
  static final int N = 1000;
  static double[][] w;
  static double[] b;
  static ProbeSet set;
  static double[] exact;
  static boolean[] correct;

  @BeforeAll
  static void setUp() {
    SplittableRandom r = new SplittableRandom(7);
    w = new double[D][K];
    b = new double[K];
    // a large weight scale makes softmax cross-entropy close to the max-margin loss; distances do not depend on it
    for (double[] row : w) {
      for (int k = 0; k < K; k++) {
        row[k] = 4 * r.nextGaussian();
      }
    }
    for (int k = 0; k < K; k++) {
      b[k] = r.nextGaussian();
    }
    MultiLayerNetwork net = Fixtures.linear(w, b, Activation.SOFTMAX);
    // points well inside the box, so that the box matters little; 3% deliberately mislabelled
    set = Fixtures.labelledBy(net, Fixtures.uniformSet("linear", N, List.of(D), K, 0.3, 0.7, 11), 0.03, 13);
    exact = new double[N];
    correct = new boolean[N];
    for (int i = 0; i < N; i++) {
      double[] x = set.input(i);
      double[] z = logits(x);
      int y = set.labels()[i];
      correct[i] = argmax(z) == y;
      exact[i] = correct[i] ? exactDistance(x, y, z, 0.0, 1.0) : 0.0;
    }
  }

  static double[] logits(double[] x) {
    double[] z = b.clone();
    for (int j = 0; j < D; j++) {
      for (int k = 0; k < K; k++) {
        z[k] += x[j] * w[j][k];
      }
    }
    return z;
  }

  static int argmax(double[] z) {
    int m = 0;
    for (int k = 1; k < z.length; k++) {
      if (z[k] > z[m]) {
        m = k;
      }
    }
    return m;
  }

  /** min over k ≠ y of min ‖δ‖ s.t. (w_k − w_y)·δ ≥ z_y − z_k and lo ≤ x + δ ≤ hi; δ(λ) = clip(λ a) is exact. */
  static double exactDistance(double[] x, int y, double[] z, double lo, double hi) {
    double best = Double.POSITIVE_INFINITY;
    for (int k = 0; k < K; k++) {
      if (k == y) {
        continue;
      }
      double[] a = new double[D];
      for (int j = 0; j < D; j++) {
        a[j] = w[j][k] - w[j][y];
      }
      double c = z[y] - z[k];
      if (gain(a, x, 1e12, lo, hi) < c) {
        continue; // class k unreachable inside the box
      }
      double l = 0;
      double u = 1e-6;
      while (gain(a, x, u, lo, hi) < c) {
        u *= 2;
      }
      for (int it = 0; it < 200; it++) {
        double m = 0.5 * (l + u);
        if (gain(a, x, m, lo, hi) >= c) {
          u = m;
        } else {
          l = m;
        }
      }
      double n2 = 0;
      for (int j = 0; j < D; j++) {
        double dj = Math.max(lo - x[j], Math.min(hi - x[j], u * a[j]));
        n2 += dj * dj;
      }
      best = Math.min(best, Math.sqrt(n2));
    }
    return best;
  }

  private static double gain(double[] a, double[] x, double lambda, double lo, double hi) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += a[j] * Math.max(lo - x[j], Math.min(hi - x[j], lambda * a[j]));
    }
    return s;
  }

  static double quantile(double p) {
    double[] v = Arrays.stream(exact).filter(e -> e > 0).sorted().toArray();
    return v[(int) (p * (v.length - 1))];
  }

  static double exactRobust(double eps) {
    int k = 0;
    for (int i = 0; i < N; i++) {
      k += correct[i] && exact[i] > eps ? 1 : 0;
    }
    return (double) k / N;
  }

  @ParameterizedTest(name = "fast path = {0}")
  @ValueSource(booleans = {true, false})
  void pgdL2MatchesExactRobustAccuracy(boolean fast) {
    List<AttackSpec> attacks = new ArrayList<>();
    double[] eps = {quantile(0.25), quantile(0.5), quantile(0.75)};
    for (double e : eps) {
      attacks.add(AttackSpec.pgd(Norm.L2, e, 100, e / 8).withRestarts(2));
    }
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(attacks).withNoiseSigmas(List.of()).withCertifiedEps(List.of())
        .withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(30)); // figures, not speed, are checked here
    ProbeResult res = ProbeRunner.run(Fixtures.linear(w, b, Activation.SOFTMAX), set, cfg, null, fast, null);
    assertEquals(fraction(correct), res.probes().cleanAccuracy(), 1e-12);
    for (int a = 0; a < eps.length; a++) {
      double got = res.probes().attacks().get(a).robustAccuracy();
      double truth = exactRobust(eps[a]);
      assertTrue(got >= truth, "PGD claims less robustness than exists at ε=" + eps[a] + ": " + got + " < " + truth);
      assertTrue(got <= truth + 0.01, "PGD misses attacks at ε=" + eps[a] + ": " + got + " vs exact " + truth);
      boolean[] robust = res.detail().attacks().get(a).robust();
      for (int i = 0; i < N; i++) {
        if (!robust[i] && correct[i]) {
          // every success is a real adversarial inside the ball (float32 slack)
          assertTrue(exact[i] <= eps[a] * (1 + 1e-4) + 1e-6, "sample " + i + " broken at ε=" + eps[a] + " but exact " + exact[i]);
        }
      }
    }
  }

  @Test
  void certifiedImpliesExactlyRobustAndMinPerturbationIsTight() {
    // ‖W‖_F ≥ ‖W‖₂: a sound (loose) Lipschitz bound of the logits
    double fro = 0;
    for (double[] row : w) {
      for (double v : row) {
        fro += v * v;
      }
    }
    double lip = Math.sqrt(fro);
    double[] ce = {quantile(0.1) / 4, quantile(0.25) / 4, quantile(0.5) / 4};
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(List.of()).withNoiseSigmas(List.of())
        .withCertifiedEps(Arrays.stream(ce).boxed().toList())
        .withMinPerturbation(new ProbeConfig.MinPerturbationSpec(1.0, 10, 40)).withTimeBudget(Duration.ofMinutes(30));
    ProbeResult res = ProbeRunner.run(Fixtures.linear(w, b, Activation.SOFTMAX), set, cfg, lip);
    List<Probes.CertifiedAccuracy> cert = res.probes().certified();
    assertEquals(3, cert.size());
    for (int e = 0; e < ce.length; e++) {
      boolean[] c = res.detail().certified().get(e).certified();
      for (int i = 0; i < N; i++) {
        if (c[i]) {
          assertTrue(exact[i] > ce[e], "sample " + i + " certified at ε=" + ce[e] + " but exact distance " + exact[i]);
        }
      }
      assertTrue(cert.get(e).accuracy() <= exactRobust(ce[e]));
      assertTrue(cert.get(e).accuracy() > 0, "some samples should be certified at ε=" + ce[e]);
    }
    double[] mp = res.detail().minPerturbation();
    for (int i = 0; i < N; i++) {
      if (!correct[i]) {
        assertEquals(0.0, mp[i]);
      } else {
        assertTrue(mp[i] >= exact[i] * (1 - 1e-4) - 1e-6, "sample " + i + ": found " + mp[i] + " below exact " + exact[i]);
      }
    }
    double truthMedian = ProbeRunner.median(exact);
    double got = res.probes().medianMinPerturbation().value();
    // an upper bound by construction; cross-entropy PGD at a radius just above the distance does not always cross
    assertTrue(got >= truthMedian * (1 - 1e-4) && got <= truthMedian * 1.05,
        "median minimal perturbation " + got + " vs exact " + truthMedian);
  }

  static double fraction(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return (double) k / b.length;
  }
}
