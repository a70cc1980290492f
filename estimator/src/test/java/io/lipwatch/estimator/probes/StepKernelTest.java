package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The dense path's buffered kernel (what the attack loops step with) against the generic step of the same network:
 * same logits, same input gradient for every logit loss, also when the kernel's buffers are reused.
 */
class StepKernelTest {

  @Test
  void bufferedKernelMatchesTheGenericStepForEveryLoss() {
    MultiLayerNetwork net = Fixtures.mlp(7, 20, 16, 5, Activation.RELU);
    ProbeSet s = GradientCheckTest.set(net, 9, List.of(20), 5);
    Attacks.Batch b = ProbeRunner.batches(s, s.count()).get(0);
    DenseClassifier dense = DenseClassifier.tryOf(net);
    StepKernel kernel = StepKernel.of(dense, b);
    assertTrue(kernel.getClass() != StepKernel.Generic.class, "a ReLU MLP gets the buffered kernel");
    StepKernel generic = new StepKernel.Generic(dense, b);
    Attacks.Work w = new Attacks.Work(b, kernel.classes());
    float[] z = new float[w.z.length];
    float[] g = new float[w.g.length];
    for (int rep = 0; rep < 2; rep++) {
      for (LogitLoss loss : LogitLoss.values()) {
        kernel.step(w.x, loss, w.z, w.g);
        generic.step(w.x, loss, z, g);
        assertClose(z, w.z, 1e-5, loss + " logits");
        assertClose(g, w.g, 1e-5, loss + " input gradient");
        double norm = 0;
        for (float v : w.g) {
          norm += v * v;
        }
        assertTrue(norm > 0, loss + ": a gradient at all");
      }
      kernel.logits(w.x, w.z);
      generic.logits(w.x, z);
      assertClose(z, w.z, 1e-5, "logits");
    }
  }

  @Test
  void otherActivationsAndTheExactScaleTakeTheGenericPath() {
    MultiLayerNetwork tanh = Fixtures.mlp(3, 12, 8, 4, Activation.TANH);
    ProbeSet s = GradientCheckTest.set(tanh, 4, List.of(12), 4);
    Attacks.Batch b = ProbeRunner.batches(s, s.count()).get(0);
    assertNull(DenseClassifier.tryOf(tanh).kernel(b.labels(), 12));
    MultiLayerNetwork relu = Fixtures.mlp(3, 12, 8, 4, Activation.RELU);
    assertNotNull(DenseClassifier.tryOf(relu).kernel(b.labels(), 12));
    assertNull(DenseClassifier.tryOf(relu).withExactScale().kernel(b.labels(), 12));
  }

  private static void assertClose(float[] want, float[] got, double tol, String what) {
    assertEquals(want.length, got.length, what);
    double scale = 0;
    for (float v : want) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], tol * Math.max(scale, 1), what + " at " + i);
    }
  }
}
