package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.certify.CertificateCheck;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * Pairwise and local certificates in the probe run, against the linear ground truth of {@link LinearGroundTruthTest}:
 * on z = xW + b the pairwise bound of z_y − z_j is ‖w_y − w_j‖₂, so a sample is pairwise-certified at ε exactly when
 * its unconstrained distance to the decision boundary, min_j (z_y − z_j)/‖w_y − w_j‖₂, exceeds ε. And the run-time
 * check: a deliberately wrong certificate is caught by the attacks of the same run.
 */
class CertifyMethodsTest {
  static MultiLayerNetwork model;
  static ExtractedNetwork net;
  /** Exact unconstrained L2 distance to the decision boundary of each correctly classified sample (0 otherwise). */
  static double[] exact;

  @BeforeAll
  static void setUp() {
    LinearGroundTruthTest.setUp();
    model = Fixtures.linear(LinearGroundTruthTest.w, LinearGroundTruthTest.b, Activation.SOFTMAX);
    net = NetworkExtractor.extract(model);
    int n = LinearGroundTruthTest.N;
    exact = new double[n];
    double[][] w = LinearGroundTruthTest.w;
    for (int i = 0; i < n; i++) {
      double[] x = LinearGroundTruthTest.set.input(i);
      double[] z = LinearGroundTruthTest.logits(x);
      int y = LinearGroundTruthTest.set.labels()[i];
      if (LinearGroundTruthTest.argmax(z) != y) {
        continue;
      }
      double best = Double.POSITIVE_INFINITY;
      for (int j = 0; j < z.length; j++) {
        if (j == y) {
          continue;
        }
        double nn = 0;
        for (double[] row : w) {
          nn += (row[y] - row[j]) * (row[y] - row[j]);
        }
        best = Math.min(best, (z[y] - z[j]) / Math.sqrt(nn));
      }
      exact[i] = best;
    }
  }

  /** Radii half-way between two consecutive exact distances: float32 weights cannot move a sample across them. */
  static List<Double> radii() {
    double[] s = Arrays.stream(exact).filter(e -> e > 0).sorted().toArray();
    List<Double> out = new ArrayList<>();
    for (double q : new double[] {0.1, 0.3, 0.5, 0.8}) {
      int k = (int) (q * (s.length - 1));
      while (s[k + 1] - s[k] < 1e-4 * s[k]) {
        k++;
      }
      out.add(0.5 * (s[k] + s[k + 1]));
    }
    return out;
  }

  static ProbeConfig certifyOnly(List<Double> eps, List<AttackSpec> attacks) {
    return ProbeConfig.defaults().withAttacks(attacks).withNoiseSigmas(List.of()).withCertifiedEps(eps)
        .withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(5));
  }

  @Test
  void pairwiseCertifiedAccuracyIsTheExactRobustAccuracySampleBySample() {
    List<Double> eps = radii();
    double fro = 0;
    for (double[] row : LinearGroundTruthTest.w) {
      for (double v : row) {
        fro += v * v;
      }
    }
    List<String> warnings = new ArrayList<>();
    Classifier c = ProbeRunner.classifierFor(model, LinearGroundTruthTest.set, true, warnings);
    ProbeResult res = ProbeRunner.run(c, LinearGroundTruthTest.set, certifyOnly(eps, List.of()), Math.sqrt(fro), net,
        warnings, null);
    List<Probes.CertifiedAccuracy> cert = res.probes().certified();
    assertEquals(3 * eps.size(), cert.size(), cert.toString());
    boolean[] correct = res.detail().correct();
    for (int e = 0; e < eps.size(); e++) {
      double r = eps.get(e);
      boolean[] global = detail(res, "global", r);
      boolean[] pairwise = detail(res, "pairwise", r);
      boolean[] local = detail(res, "local", r);
      int exactCount = 0;
      for (int i = 0; i < exact.length; i++) {
        boolean truth = correct[i] && exact[i] > r;
        exactCount += truth ? 1 : 0;
        assertEquals(truth, pairwise[i], "sample " + i + " at ε=" + r + ": exact distance " + exact[i]);
        assertEquals(pairwise[i], local[i], "a linear classifier has no local gain, sample " + i);
        assertTrue(!global[i] || pairwise[i]);
      }
      assertEquals((double) exactCount / exact.length, accuracy(cert, "pairwise", r), 1e-12);
      assertTrue(accuracy(cert, "global", r) < accuracy(cert, "pairwise", r), "the global form is looser at ε=" + r);
    }
    assertTrue(res.warnings().stream().noneMatch(w -> w.contains("internal error")), res.warnings().toString());
  }

  @Test
  void aDeliberatelyWrongCertificateIsCaughtCountedAndReported() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EstimatorMetrics metrics = new EstimatorMetrics();
    metrics.bindTo(registry);
    long before = CertificateCheck.violations();
    double r = radii().get(2);
    // a "bound" of 1e-6 certifies every correct sample at any radius: the PGD of the same run must contradict it
    ProbeResult res = ProbeRunner.run(model, LinearGroundTruthTest.set,
        certifyOnly(List.of(r), List.of(AttackSpec.pgd(Norm.L2, r, 20, r / 4).plain())).withSamples(300), 1e-6);
    String w = res.warnings().stream().filter(s -> s.startsWith("internal error")).findFirst().orElse(null);
    assertNotNull(w, "no violation reported: " + res.warnings());
    assertTrue(w.contains("certified (global)") && w.contains("broken by pgd"), w);
    long found = CertificateCheck.violations() - before;
    assertTrue(found > 0, "violations counted in the process");
    // the stream's meter counts them under the estimate's model, and a clean estimate of another model at zero
    metrics.estimated(estimate("broken-model", res.warnings()));
    metrics.estimated(estimate("fine-model", List.of("some other warning")));
    assertEquals((double) found, registry.get(MeterNames.CERTIFICATE_VIOLATIONS).tag(MeterNames.TAG_MODEL, "broken-model")
        .counter().count(), 0.0);
    assertEquals(0.0, registry.get(MeterNames.CERTIFICATE_VIOLATIONS).tag(MeterNames.TAG_MODEL, "fine-model")
        .counter().count(), 0.0);
    assertEquals(found, CertificateCheck.violationsIn(res.warnings()));
  }

  private static io.lipwatch.estimator.estimate.Estimate estimate(String model, List<String> warnings) {
    return new io.lipwatch.estimator.estimate.Estimate(model, 1, "a".repeat(64), "2026-12-01T00:00:00Z",
        new io.lipwatch.estimator.estimate.Architecture("MultiLayerNetwork", 1, 105, List.of(20L), 5),
        io.lipwatch.estimator.estimate.LipschitzBounds.of(List.of(), List.of()), null, warnings, 0.1, null);
  }

  @Test
  void theCheckComparesRadiiAcrossNorms() {
    boolean[] correct = {true, true, true};
    boolean[] certified = {true, true, false};
    List<CertificateCheck.Certified> c = List.of(new CertificateCheck.Certified("local", 1.0, certified));
    // L∞ radius 0.2 in d = 16 lies in the L2 ball of radius 0.8 ≤ 1: breaking sample 0 contradicts its certificate
    CertificateCheck.AttackOutcome linf = new CertificateCheck.AttackOutcome("pgd-linf", "linf", 0.2, new boolean[] {false, true, false});
    // L∞ 0.3 reaches L2 1.2 > 1: breaking sample 1 there does not
    CertificateCheck.AttackOutcome wide = new CertificateCheck.AttackOutcome("pgd-linf", "linf", 0.3, new boolean[] {true, false, false});
    CertificateCheck.AttackOutcome l2 = new CertificateCheck.AttackOutcome("pgd-l2", "l2", 1.5, new boolean[] {false, false, false});
    List<CertificateCheck.Violation> v = CertificateCheck.find(correct, c, List.of(linf, wide, l2),
        new double[] {Double.POSITIVE_INFINITY, 0.5, 0.1}, 16);
    assertEquals(2, v.size(), v.toString());
    assertEquals(0, v.get(0).sample());
    assertEquals(1, v.get(1).sample()); // the minimal-perturbation search found 0.5 < 1 for sample 1
  }

  static boolean[] detail(ProbeResult res, String method, double eps) {
    return res.detail().certified().stream().filter(d -> d.method().equals(method) && d.eps() == eps).findFirst()
        .orElseThrow().certified();
  }

  static double accuracy(List<Probes.CertifiedAccuracy> cert, String method, double eps) {
    return cert.stream().filter(c -> c.methodOrGlobal().equals(method) && c.eps() == eps).findFirst().orElseThrow()
        .accuracy();
  }
}
