package io.lipwatch.estimator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine running beside the probes (the certificate phases waiting for its sound bound) gives the estimate of the
 * sequential pipeline: the same bounds, figures, per-sample outcomes and warnings, only sooner.
 */
class OverlappedEstimateTest {
  static final int D = 64;
  static final int N = 120;

  @Test
  void overlappedEstimateEqualsTheSequentialOne() {
    MultiLayerNetwork net = TestModels.mlp(41, Activation.RELU, D, 32, 32, 10);
    SplittableRandom r = new SplittableRandom(42);
    byte[] codes = new byte[N * D];
    float[] x = new float[N * D];
    for (int k = 0; k < codes.length; k++) {
      codes[k] = (byte) r.nextInt(256);
      x[k] = (codes[k] & 0xff) / 255f;
    }
    // labels: the model's own predictions, one in ten changed (misclassified samples)
    int[] pred = net.output(Nd4j.createFromArray(x).reshape(N, D).castTo(DataType.FLOAT)).argMax(1).toIntVector();
    int[] labels = new int[N];
    for (int i = 0; i < N; i++) {
      labels[i] = i % 10 == 0 ? (pred[i] + 1) % 10 : pred[i];
    }
    ProbeSet set = new ProbeSet("overlap", List.of(D), 10, 0, 1, labels, codes, null);
    ProbeConfig probes = ProbeConfig.defaults().withSamples(N).withBatchSize(50).withNoiseSigmas(List.of(0.1))
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 0.5), AttackSpec.pgd(Norm.L2, 0.5, 20, 0.06),
            AttackSpec.fgsm(Norm.LINF, 0.03), AttackSpec.pgd(Norm.LINF, 0.03, 10, 0.0075)))
        .withCertifiedEps(List.of(0.05, 0.1)).withMinPerturbation(new ProbeConfig.MinPerturbationSpec(4.0, 3, 5))
        .withTimeBudget(Duration.ofMinutes(5));
    // methods that finish far inside their budget (a budget-cut method's value depends on the machine's speed)
    EngineConfig engine = EngineConfig.defaults().withBudget(Duration.ofMinutes(1))
        .withMethods(Set.of("autolip", "gram", "eclipse-fast", "gradient-norm", "clip-pairs"));
    EstimatePipeline overlapped = new EstimatePipeline(new LipschitzEngine(engine), probes);
    byte[] zip = TestModels.zip(net);
    SnapshotMetadata meta = SnapshotMetadata.of("overlap", 1, Sha256.hex(zip));

    Estimate a = overlapped.run(meta, Map.of(), zip, null, set, null).estimate();
    Estimate b = overlapped.sequential().run(meta, Map.of(), zip, null, set, null).estimate();

    assertNotNull(a.probes());
    assertFalse(a.probes().certified().isEmpty(), "certificates ran (they need the engine's bound)");
    assertTrue(a.probes().certified().stream().anyMatch(c -> c.accuracy() > 0), "some sample certified");
    assertEquals(values(b), values(a));
    assertEquals(b.lipschitz().bestUpper(), a.lipschitz().bestUpper());
    assertEquals(b.lipschitz().bestLower(), a.lipschitz().bestLower());
    assertEquals(withoutTimes(b.probes()), withoutTimes(a.probes()));
    assertEquals(b.probes().outcomes(), a.probes().outcomes());
    assertEquals(b.warnings(), a.warnings());
  }

  private static List<String> values(Estimate e) {
    return java.util.stream.Stream.concat(
        e.lipschitz().upper().stream().map(u -> u.method() + "=" + u.value() + (u.sound() ? " sound" : "")),
        e.lipschitz().lower().stream().map(l -> l.method() + "≥" + l.value())).toList();
  }

  private static Probes withoutTimes(Probes p) {
    return new Probes(p.dataset(), p.samples(), p.cleanAccuracy(), p.noiseAccuracy(), p.attacks().stream()
        .map(x -> new Probes.AttackResult(x.attack(), x.norm(), x.eps(), x.steps(), x.stepSize(), x.robustAccuracy(),
            null, x.losses(), x.schedule()))
        .toList(), p.certified(), p.medianMinPerturbation(), null);
  }
}
