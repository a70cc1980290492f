package io.lipwatch.monitor.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.estimate.Verdict.Check;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Real estimates (the estimator's pipeline, probes and JSON) judged by the monitor: the same model probed twice on the
 * same samples pairs every accuracy check with nothing discordant; a broken model is a paired FAIL; a probe set with
 * other samples falls back to the unpaired rule.
 */
class PairedRealEstimatesTest {
  static final int D = 20;
  static final int K = 5;

  /** n inputs in [0.2, 0.8]^D, labelled by the model (10 % relabelled wrong), as a probe set named {@code name}. */
  static ProbeSet probeSet(MultiLayerNetwork net, String name, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (0.2 + 0.6 * r.nextDouble());
    }
    double[][] out = net.output(Nd4j.createFromArray(x).reshape(n, D).castTo(DataType.FLOAT)).toDoubleMatrix();
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int k = 1; k < K; k++) {
        best = out[i][k] > out[i][best] ? k : best;
      }
      labels[i] = r.nextDouble() < 0.1 ? (best + 1) % K : best;
    }
    return new ProbeSet(name, List.of(D), K, 0.0, 1.0, labels, null, x);
  }

  static Estimate estimate(MultiLayerNetwork net, long version, ProbeSet set) throws Exception {
    byte[] zip = TestModels.zip(net);
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(120).withNoiseSigmas(List.of())
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 0.3), AttackSpec.pgd(Norm.L2, 0.3, 10, 0.075)))
        .withCertifiedEps(List.of(0.02)).withMinPerturbation(null);
    Estimate e = new EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), cfg)
        .run(new SafeModelRestorer(SnapshotLimits.defaults()).restore(zip), SnapshotMetadata.of("m", version, Sha256.hex(zip)),
            WarmStart.EMPTY, set, List.of()).estimate();
    // as the monitor reads it from lipwatch.estimates
    return EstimateJson.fromBytes(EstimateJson.toBytes(e));
  }

  static VersionSummary passed(Estimate e) {
    return VersionSummary.of(e).withVerdict(new Verdict("m", e.version(), Verdict.PASS, List.of(), null, null, "now"));
  }

  static List<Check> accuracyChecks(Verdict v) {
    return v.checks().stream().filter(c -> c.name().contains("accuracy")).toList();
  }

  @Test
  void realEstimatesArePairedOnTheSameSamplesOnly() throws Exception {
    MultiLayerNetwork net = TestModels.mlp(3, Activation.TANH, D, 32, 32, K);
    ProbeSet set = probeSet(net, "uniform", 120, 17);
    Estimate v1 = estimate(net, 1, set);
    assertNotNull(v1.probes().outcomes(), v1.warnings().toString());
    VerdictPolicy policy = new VerdictPolicy(Policy.defaults());

    // the same weights again: every accuracy check paired, nothing discordant
    Verdict same = policy.decide("m", VersionSummary.of(estimate(net, 2, set)), passed(v1), Baselines.LAST_PASS);
    List<Check> checks = accuracyChecks(same);
    assertEquals(1 + 2 + 1, checks.size(), checks.toString()); // clean, two attacks, one radius
    for (Check c : checks) {
      assertEquals(McNemar.EXACT, c.test(), c.message());
      assertEquals(0, c.discordantLost() + c.discordantGained(), c.message());
      assertEquals(1.0, c.pValue());
    }
    assertEquals(Verdict.PASS, same.verdict(), same.checks().toString());

    // the output layer scrambled: clean accuracy collapses, a paired FAIL
    MultiLayerNetwork broken = net.clone();
    var w = broken.getLayer(2).getParam("W");
    broken.getLayer(2).setParam("W", w.mul(-1));
    Verdict fail = policy.decide("m", VersionSummary.of(estimate(broken, 3, set)), passed(v1), Baselines.LAST_PASS);
    Check clean = fail.checks().stream().filter(c -> c.name().equals("clean-accuracy")).findFirst().orElseThrow();
    assertEquals(Verdict.FAIL, clean.status(), clean.message());
    assertEquals(McNemar.EXACT, clean.test());
    assertTrue(clean.pValue() < 1e-6 && clean.discordantLost() > 20, clean.message());

    // other samples (another seed): unpaired, saying so
    Verdict other = policy.decide("m", VersionSummary.of(estimate(net, 4, probeSet(net, "uniform", 120, 18))), passed(v1),
        Baselines.LAST_PASS);
    for (Check c : accuracyChecks(other)) {
      assertEquals(McNemar.UNPAIRED, c.test(), c.message());
      assertTrue(c.message().contains("probed on other samples"), c.message());
    }
  }
}
