package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lipwatch.estimator.format.onnx.OnnxFixtures;
import io.lipwatch.estimator.format.onnx.OnnxModelReader;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An ONNX ReLU MLP is probed on the dense GEMM path, with the engine path's logits and attack results. */
class OnnxDensePathTest {
  @Test
  void onnxReluMlpTakesTheDensePathWithTheEnginesNumbers() {
    ExtractedNetwork net = new OnnxModelReader(SnapshotLimits.defaults()).read(OnnxFixtures.load("relu_nonneg_o9").model());
    Classifier dense = Classifiers.network(net);
    Classifier engine = new NetworkClassifier(net);
    assertEquals("dense-fast", dense.path());
    SplittableRandom r = new SplittableRandom(2);
    int n = 64;
    int d = net.inputDim();
    byte[] codes = new byte[n * d];
    int[] labels = new int[n];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) r.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(net.outputDim());
    }
    ProbeSet set = new ProbeSet("p", List.of(d), net.outputDim(), 0, 1, labels, codes, null);
    INDArray x = ProbeRunner.batches(set, n).get(0).x();
    INDArray a = dense.logitsDouble(x);
    INDArray b = engine.logitsDouble(x);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < net.outputDim(); k++) {
        assertEquals(b.getDouble(i, k), a.getDouble(i, k), 1e-9 * (1 + Math.abs(b.getDouble(i, k))));
      }
    }
    ProbeConfig cfg = ProbeConfig.defaults().withNoiseSigmas(List.of()).withCertifiedEps(List.of())
        .withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(1))
        .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 0.5, 20, 0.1).plain()));
    double viaDense = ProbeRunner.run(dense, set, cfg, null).probes().attacks().get(0).robustAccuracy();
    double viaEngine = ProbeRunner.run(engine, set, cfg, null).probes().attacks().get(0).robustAccuracy();
    assertEquals(viaEngine, viaDense, 2.0 / n, "float rounding may flip a borderline sample, not more");
  }
}
