package io.lipwatch.estimator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A binary classifier with one sigmoid output (class 1 when z = w·x + b > 0) is estimated and probed like any other:
 * seen as logits (0, z), its bound is exactly ‖w‖, and against the exact minimal perturbations |z|/‖w‖ no certified
 * sample is breakable and the attacks never report less robustness than exists.
 */
class BinaryClassifierTest {
  static final int D = 20;
  static final int N = 200;

  @Test
  void singleSigmoidOutputIsBoundedProbedAndCertifiedAgainstTheExactAnswer() {
    SplittableRandom r = new SplittableRandom(3);
    double[] w = new double[D];
    double norm2 = 0;
    for (int i = 0; i < D; i++) {
      w[i] = r.nextDouble(-1, 1);
      norm2 += w[i] * w[i];
    }
    double wNorm = Math.sqrt(norm2);
    double b = -0.5 * java.util.Arrays.stream(w).sum();
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nIn(D).nOut(1).activation(Activation.SIGMOID).build())
        .build());
    net.init();
    net.setParam("0_W", Nd4j.createFromArray(w).castTo(DataType.FLOAT).reshape(D, 1));
    net.setParam("0_b", Nd4j.createFromArray(new double[] {b}).castTo(DataType.FLOAT).reshape(1, 1));

    byte[] codes = new byte[N * D];
    int[] labels = new int[N];
    double[] radius = new double[N];
    for (int s = 0; s < N; s++) {
      double z = b;
      for (int i = 0; i < D; i++) {
        int c = r.nextInt(256);
        codes[s * D + i] = (byte) c;
        z += w[i] * (c / 255.0);
      }
      // 90 % labelled as the model decides, 10 % against it (misclassified)
      boolean agree = r.nextDouble() < 0.9;
      labels[s] = (z > 0) == agree ? 1 : 0;
      radius[s] = agree ? Math.abs(z) / wNorm : 0.0;
    }
    ProbeSet set = new ProbeSet("binary", List.of(D), 2, 0, 1, labels, codes, null);
    double eps = 0.1;
    ProbeConfig probes = ProbeConfig.defaults().withSeed(5).withNoiseSigmas(List.of())
        .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, eps, 50, eps / 8)))
        .withCertifiedEps(List.of(eps)).withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(2));
    EstimatePipeline p = new EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), probes);
    byte[] zip = TestModels.zip(net);
    Estimate e = p.run(SnapshotMetadata.of("binary", 1, Sha256.hex(zip)), Map.of(), zip, null, set, null).estimate();

    assertTrue(e.lipschitz().bestUpper() >= wNorm * (1 - 1e-6) && e.lipschitz().bestUpper() <= wNorm * (1 + 1e-4),
        "bound " + e.lipschitz().bestUpper() + " vs exact " + wNorm);
    Probes pr = e.probes();
    long correct = java.util.Arrays.stream(radius).filter(x -> x > 0).count();
    assertEquals((double) correct / N, pr.cleanAccuracy(), 1e-9, e.warnings().toString());
    double exactRobust = java.util.Arrays.stream(radius).filter(x -> x > eps).count() / (double) N;
    assertFalse(pr.attacks().isEmpty(), "attacks ran: " + e.warnings());
    assertTrue(pr.attacks().get(0).robustAccuracy() >= exactRobust - 1e-9,
        "PGD " + pr.attacks().get(0).robustAccuracy() + " below the exact robust accuracy " + exactRobust);
    assertFalse(pr.certified().isEmpty(), e.warnings().toString());
    for (Probes.CertifiedAccuracy c : pr.certified()) {
      assertTrue(c.accuracy() <= exactRobust + 1e-9, c + " above the exact " + exactRobust);
      assertTrue(c.accuracy() > 0, "something is certified at ε=" + eps + ": " + c);
    }
  }
}
