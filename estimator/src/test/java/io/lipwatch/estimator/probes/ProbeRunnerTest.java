package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Invariants of the suite on a small ReLU MLP. */
class ProbeRunnerTest {
  static MultiLayerNetwork net;
  static ProbeSet set;
  static double lip;
  static double[] eps;

  @BeforeAll
  static void setUp() {
    net = Fixtures.mlp(21, 64, 32, 10, Activation.RELU);
    set = Fixtures.labelledBy(net, Fixtures.uniformSet("mlp", 300, List.of(64), 10, 0.0, 1.0, 22), 0.05, 23);
    // sound: ReLU is 1-Lipschitz and ‖W‖₂ ≤ √(‖W‖₁‖W‖∞)
    lip = 1;
    for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
      INDArray w = l.getParam("W");
      double n1 = w.dup().norm1(0).maxNumber().doubleValue();
      double ninf = w.dup().norm1(1).maxNumber().doubleValue();
      lip *= Math.min(Math.sqrt(n1 * ninf), w.norm2Number().doubleValue());
    }
    ProbeResult clean = ProbeRunner.run(net, set, quiet(List.of()), null);
    double[] m = clean.detail().margins().clone();
    java.util.Arrays.sort(m);
    double med = m[m.length / 2] / (Math.sqrt(2) * lip);
    eps = new double[] {med * 0.25, med * 0.5, med, med * 2};
  }

  static ProbeConfig quiet(List<AttackSpec> attacks) {
    return ProbeConfig.defaults().withAttacks(attacks).withNoiseSigmas(List.of()).withCertifiedEps(List.of())
        .withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(5));
  }

  static List<AttackSpec> suite(double[] e) {
    List<AttackSpec> a = new ArrayList<>();
    for (double x : e) {
      a.add(AttackSpec.fgsm(Norm.L2, x));
      a.add(AttackSpec.pgd(Norm.L2, x, 20, x / 4));
    }
    for (double x : e) {
      a.add(AttackSpec.fgsm(Norm.LINF, x / 8));
      a.add(AttackSpec.pgd(Norm.LINF, x / 8, 10, x / 32));
    }
    return a;
  }

  @Test
  void certifiedSamplesAreNeverBrokenAndFiguresFallWithEps() {
    List<Double> ce = java.util.Arrays.stream(eps).boxed().toList();
    ProbeResult r = ProbeRunner.run(net, set, quiet(suite(eps)).withCertifiedEps(ce), lip);
    Probes p = r.probes();
    assertEquals(eps.length, p.certified().size());
    assertTrue(p.certified().get(0).accuracy() > 0, "the smallest radius should certify something");
    for (int c = 0; c < eps.length; c++) {
      boolean[] cert = r.detail().certified().get(c).certified();
      for (ProbeResult.AttackDetail a : r.detail().attacks()) {
        if (a.spec().norm() == Norm.L2 && a.spec().eps() <= eps[c]) {
          for (int i = 0; i < cert.length; i++) {
            assertFalse(cert[i] && !a.robust()[i], "sample " + i + " certified at " + eps[c] + " but broken by " + a.spec());
          }
        }
      }
    }
    for (int c = 1; c < eps.length; c++) {
      assertTrue(p.certified().get(c).accuracy() <= p.certified().get(c - 1).accuracy());
    }
    // per attack kind and norm, robust accuracy never increases with ε; PGD never beats FGSM's robustness here
    for (Kind k : Kind.values()) {
      for (Norm nm : Norm.values()) {
        List<Probes.AttackResult> rs = p.attacks().stream()
            .filter(a -> a.attack().equals(k.label()) && a.norm().equals(nm.label())).toList();
        assertEquals(eps.length, rs.size());
        for (int i = 1; i < rs.size(); i++) {
          assertTrue(rs.get(i).robustAccuracy() <= rs.get(i - 1).robustAccuracy(), k + " " + nm + " not monotone: " + rs);
        }
        for (Probes.AttackResult a : rs) {
          assertTrue(a.robustAccuracy() <= p.cleanAccuracy());
        }
      }
    }
    for (int i = 0; i < p.attacks().size(); i += 2) {
      assertTrue(p.attacks().get(i + 1).robustAccuracy() <= p.attacks().get(i).robustAccuracy() + 0.02,
          "PGD much weaker than FGSM: " + p.attacks().get(i) + " vs " + p.attacks().get(i + 1));
    }
  }

  @Test
  void iteratesStayInTheBallAndTheBox() {
    for (AttackSpec spec : suite(new double[] {eps[1], eps[3] * 4})) {
      double[] worst = new double[2];
      Attacks.Observer obs = (x, xAdv) -> {
        INDArray d = xAdv.sub(x);
        double norm = (spec.norm() == Norm.L2 ? d.norm2(1) : d.normmax(1)).maxNumber().doubleValue();
        worst[0] = Math.max(worst[0], norm);
        worst[1] = Math.max(worst[1], Math.max(xAdv.maxNumber().doubleValue() - 1.0, -xAdv.minNumber().doubleValue()));
      };
      ProbeRunner.run(net, set, quiet(List.of(spec.withRestarts(spec.kind() == Kind.PGD ? 2 : 1))), null, true, obs);
      assertTrue(worst[0] <= spec.eps() * (1 + 1e-5) + 1e-6, spec + " left the ball: " + worst[0]);
      assertTrue(worst[1] <= 0, spec + " left the input range by " + worst[1]);
    }
    // the minimal-perturbation search uses per-sample radii up to maxEps
    double[] worst = new double[2];
    ProbeRunner.run(net, set.head(50), quiet(List.of()).withMinPerturbation(new ProbeConfig.MinPerturbationSpec(3.0, 4, 10)),
        null, true, (x, xAdv) -> {
          worst[0] = Math.max(worst[0], xAdv.sub(x).norm2(1).maxNumber().doubleValue());
          worst[1] = Math.max(worst[1], Math.max(xAdv.maxNumber().doubleValue() - 1.0, -xAdv.minNumber().doubleValue()));
        });
    assertTrue(worst[0] <= 3.0 * (1 + 1e-5) && worst[1] <= 0);
  }

  @Test
  void sameSeedSameFigures() {
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(suite(new double[] {eps[2]}))
        .withMinPerturbation(new ProbeConfig.MinPerturbationSpec(4.0, 4, 10)).withSeed(99);
    Probes a = ProbeRunner.run(net, set, cfg, lip).probes();
    Probes b = ProbeRunner.run(net, set, cfg, lip).probes();
    assertEquals(withoutTimes(a), withoutTimes(b));
    Probes c = ProbeRunner.run(net, set, cfg.withSeed(100), lip).probes();
    assertEquals(a.cleanAccuracy(), c.cleanAccuracy());
  }

  static Probes withoutTimes(Probes p) {
    return new Probes(p.dataset(), p.samples(), p.cleanAccuracy(), p.noiseAccuracy(), p.attacks().stream()
        .map(a -> new Probes.AttackResult(a.attack(), a.norm(), a.eps(), a.steps(), a.stepSize(), a.robustAccuracy(), null))
        .toList(), p.certified(), p.medianMinPerturbation(), null);
  }

  @Test
  void noiseAccuracyFallsFromCleanAndZeroSigmaIsClean() {
    ProbeResult r = ProbeRunner.run(net, set, quiet(List.of()).withNoiseSigmas(List.of(0.0, 0.1, 1.0, 5.0)), null);
    List<Probes.NoiseAccuracy> n = r.probes().noiseAccuracy();
    assertEquals(r.probes().cleanAccuracy(), n.get(0).accuracy());
    assertTrue(n.get(3).accuracy() < r.probes().cleanAccuracy());
  }

  @Test
  void warningsForMissingBoundTimeBudgetAndDeadGradients() {
    ProbeResult noBound = ProbeRunner.run(net, set, ProbeConfig.defaults().withAttacks(List.of()).withMinPerturbation(null), null);
    assertTrue(noBound.probes().certified().isEmpty());
    assertTrue(noBound.warnings().stream().anyMatch(w -> w.contains("no sound Lipschitz upper bound")));

    ProbeResult late = ProbeRunner.run(net, set, ProbeConfig.defaults().withTimeBudget(Duration.ofNanos(1)), lip);
    assertTrue(late.probes().attacks().isEmpty());
    assertTrue(late.warnings().stream().anyMatch(w -> w.contains("time budget")), late.warnings().toString());

    // every hidden ReLU dead: the input gradient is exactly zero
    MultiLayerNetwork dead = Fixtures.mlp(21, 64, 32, 10, Activation.RELU);
    dead.getLayer(0).setParam("b", Nd4j.valueArrayOf(new long[] {1, 32}, -1000f));
    ProbeResult z = ProbeRunner.run(dead, set, quiet(List.of(AttackSpec.fgsm(Norm.L2, 1.0))), null);
    assertTrue(z.warnings().stream().anyMatch(w -> w.contains("exactly zero")), z.warnings().toString());

    MultiLayerNetwork nan = Fixtures.mlp(21, 64, 32, 10, Activation.RELU);
    nan.getLayer(1).getParam("W").putScalar(0, 0, Float.NaN);
    ProbeResult q = ProbeRunner.run(nan, set, quiet(List.of(AttackSpec.pgd(Norm.L2, 1.0, 3, 0.3))), null);
    assertTrue(q.warnings().stream().anyMatch(w -> w.contains("NaN")), q.warnings().toString());
  }

  @Test
  void convolutionalModelRunsTheWholeSuite() {
    MultiLayerNetwork cnn = Fixtures.cnn(31, 8, 3);
    ProbeSet s = Fixtures.labelledBy(cnn, Fixtures.uniformSet("cnn", 40, List.of(8, 8), 3, 0, 1, 32), 0.1, 33);
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(List.of(AttackSpec.fgsm(Norm.LINF, 0.1),
        AttackSpec.pgd(Norm.L2, 1.0, 10, 0.25))).withMinPerturbation(new ProbeConfig.MinPerturbationSpec(4.0, 3, 5));
    ProbeResult r = ProbeRunner.run(cnn, s, cfg, 10.0);
    assertEquals(2, r.probes().attacks().size());
    assertEquals(0.9, r.probes().cleanAccuracy(), 0.1);
    assertTrue(r.probes().medianMinPerturbation() != null);
    assertTrue(r.warnings().isEmpty(), r.warnings().toString());
  }
}
