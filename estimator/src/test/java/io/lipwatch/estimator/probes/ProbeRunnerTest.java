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
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Invariants of the suite on a small ReLU MLP; the convolutional path against a linear CNN's exact figures. */
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

  /** conv(3×3, 2, identity) → avg-pool 2 → dense 6 (identity) → softmax: logits z = Ax + c, a linear map. */
  static MultiLayerNetwork linearCnn(long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(2).activation(Activation.IDENTITY).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(6).activation(Activation.IDENTITY).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(8, 8, 1))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    // moderate logits: a saturated softmax would zero the cross-entropy gradient in float32
    net.getOutputLayer().setParam("b", Nd4j.createFromArray(new float[][] {{0.3f, -0.2f, 0.1f}}));
    return net;
  }

  /**
   * The CNN path (DL4J's own gradients) against ground truth. The model is linear, so its logits z = Ax + c come from
   * DL4J's forward pass on basis vectors, the exact minimal L2 and L∞ perturbations inside the [0, 1] box are distances
   * to half-spaces (a one-dimensional search each), and with L = ‖A‖_F (sound) certified accuracy is exactly the share
   * of correct samples with margin > √2·L·ε.
   */
  @Test
  void convolutionalModelMatchesItsExactRobustness() {
    MultiLayerNetwork cnn = linearCnn(31);
    ProbeSet s = Fixtures.labelledBy(cnn, Fixtures.uniformSet("cnn", 120, List.of(8, 8), 3, 0.2, 0.8, 32), 0.1, 33);
    LinearTruth t = LinearTruth.of(cnn, s);
    double lip = t.frobenius();
    double[] l2 = {t.quantile(t.l2(), 0.25), t.quantile(t.l2(), 0.5)};
    double linf = t.quantile(t.linf(), 0.5);
    double[] ce = {t.quantile(t.l2(), 0.25) / 4, t.quantile(t.l2(), 0.5) / 4};
    ProbeConfig cfg = ProbeConfig.defaults().withNoiseSigmas(List.of(0.0, 0.3))
        .withAttacks(List.of(AttackSpec.fgsm(Norm.LINF, linf), AttackSpec.pgd(Norm.L2, l2[0], 40, l2[0] / 8),
            AttackSpec.pgd(Norm.L2, l2[1], 40, l2[1] / 8)))
        .withCertifiedEps(List.of(ce[0], ce[1])).withMinPerturbation(new ProbeConfig.MinPerturbationSpec(4.0, 10, 20))
        .withTimeBudget(Duration.ofMinutes(5));
    ProbeResult r = ProbeRunner.run(cnn, s, cfg, lip);
    // the DLR loss has an exactly zero gradient where the top two logits tie in float32; the warning is right to say so
    // and the figures are still checked against the exact values below
    assertTrue(r.warnings().stream().allMatch(w -> w.startsWith("input gradient is exactly zero")), r.warnings().toString());
    Probes p = r.probes();
    assertEquals(LinearTruth.fraction(t.correct()), p.cleanAccuracy(), 1e-12, "clean accuracy");
    assertEquals(p.cleanAccuracy(), p.noiseAccuracy().get(0).accuracy(), 1e-12, "σ = 0 is clean");
    for (int i = 0; i < s.count(); i++) {
      assertEquals(t.margins()[i], r.detail().margins()[i], 1e-4 * (1 + t.margins()[i]), "margin of sample " + i);
    }
    // certified: exactly the samples whose margin clears √2·L·ε (up to float32 rounding at the threshold), all truly robust
    for (int e = 0; e < ce.length; e++) {
      double need = Math.sqrt(2) * lip * ce[e];
      boolean[] cert = r.detail().certified().get(e).certified();
      int agree = 0;
      for (int i = 0; i < s.count(); i++) {
        boolean want = t.correct()[i] && t.margins()[i] > need;
        boolean near = Math.abs(t.margins()[i] - need) < 1e-4 * (1 + need);
        assertTrue(want == cert[i] || near, "sample " + i + " certified " + cert[i] + " at ε=" + ce[e] + ", margin " + t.margins()[i]
            + " vs needed " + need);
        assertTrue(!cert[i] || t.l2()[i] > ce[e], "sample " + i + " certified at ε=" + ce[e] + " but exact distance " + t.l2()[i]);
        agree += want ? 1 : 0;
      }
      assertEquals((double) agree / s.count(), p.certified().get(e).accuracy(), 1.0 / s.count() + 1e-12, "certified at " + ce[e]);
      assertTrue(agree > 0, "some samples certified at ε=" + ce[e]);
    }
    // FGSM-L∞ can only miss attacks: never below the exact robust accuracy
    double fgsm = p.attacks().get(0).robustAccuracy();
    assertTrue(fgsm >= t.robust(t.linf(), linf), "FGSM-L∞ " + fgsm + " below exact " + t.robust(t.linf(), linf));
    assertTrue(fgsm < p.cleanAccuracy(), "FGSM-L∞ at the median distance broke nothing");
    // PGD-L2 on a linear model: never claims less robustness than exists, and breaks every sample whose exact distance
    // is below 95% of ε (cross-entropy PGD may stall on the ones just inside the ball)
    for (int a = 0; a < l2.length; a++) {
      double got = p.attacks().get(1 + a).robustAccuracy();
      double truth = t.robust(t.l2(), l2[a]);
      assertTrue(got >= truth - 1e-12, "PGD-L2 at ε=" + l2[a] + ": " + got + " below exact " + truth);
      boolean[] robust = r.detail().attacks().get(1 + a).robust();
      for (int i = 0; i < s.count(); i++) {
        assertTrue(!robust[i] || t.l2()[i] > 0.95 * l2[a], "PGD-L2 at ε=" + l2[a] + " missed sample " + i + " at exact distance "
            + t.l2()[i]);
      }
      assertTrue(got <= truth + 0.03, "PGD-L2 at ε=" + l2[a] + ": " + got + " vs exact " + truth);
    }
    // minimal perturbation: an upper bound of the exact one per sample, and close in the median
    double[] mp = r.detail().minPerturbation();
    for (int i = 0; i < s.count(); i++) {
      assertTrue(mp[i] >= t.l2()[i] * (1 - 1e-4) - 1e-6, "sample " + i + ": " + mp[i] + " below exact " + t.l2()[i]);
    }
    double truthMedian = ProbeRunner.median(t.l2());
    double got = p.medianMinPerturbation().value();
    assertTrue(got >= truthMedian * (1 - 1e-4) && got <= truthMedian * 1.05, "median " + got + " vs exact " + truthMedian);
  }
}
