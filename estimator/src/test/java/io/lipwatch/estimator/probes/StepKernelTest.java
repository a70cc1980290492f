package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * same logits, same input gradient for every logit loss, also when the kernel's buffers are reused. Its row blocks run
 * in parallel give exactly the values of the same blocks run one after the other on one thread, and the attack loops
 * give exactly the same outcomes whether each block runs its whole attack alone (no observer) or every step goes over
 * the whole batch (an observer watching).
 */
class StepKernelTest {
  /** 406 rows: four blocks, the last one shorter. */
  private static final int ROWS = 2 * RowBlocks.ROWS + 22;

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

  /** The branch-free ReLU mask and ReLU are {@code a > 0 ? g : 0} and {@code x > 0 ? x : 0} bit for bit. */
  @Test
  void reluMaskIsTheBranchyMask() {
    float[] special = {0f, -0f, Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, 0.5f, 1f, 3e38f, Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fffffff), Float.intBitsToFloat(0xffc00000),
        -Float.MIN_VALUE, -1f, Float.NEGATIVE_INFINITY};
    float[] grads = {0f, -0f, 1.5f, -2.5f, Float.NaN, Float.POSITIVE_INFINITY, -1e-40f};
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    for (int k = 0; k < 200_000; k++) {
      float a = k < special.length * grads.length ? special[k / grads.length]
          : Float.intBitsToFloat(r.nextInt());
      float g = k < special.length * grads.length ? grads[k % grads.length] : Float.intBitsToFloat(r.nextInt());
      assertEquals(Float.floatToRawIntBits(a > 0f ? g : 0f),
          Float.floatToRawIntBits(io.lipwatch.estimator.linalg.BranchFree.reluMask(a, g)), "a=" + a + " g=" + g);
      assertEquals(Float.floatToRawIntBits(a > 0f ? a : 0f),
          Float.floatToRawIntBits(io.lipwatch.estimator.linalg.BranchFree.relu(a)), "relu " + a);
    }
  }

  /** The branch-free L∞ step is signum(g)·f on every finite g (a zero g adds a zero of either sign). */
  @Test
  void signStepIsSignumTimesTheStep() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(4);
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1f, -1f, Float.MAX_VALUE,
        -Float.MAX_VALUE};
    for (int k = 0; k < 200_000; k++) {
      float g = k < special.length ? special[k] : Float.intBitsToFloat(r.nextInt());
      if (!Float.isFinite(g)) {
        continue;
      }
      float f = k % 3 == 0 ? 0.03f : (float) r.nextDouble(0, 10);
      float want = Math.signum(g) * f;
      float got = Attacks.signStep(g, f);
      if (want == 0f) {
        assertEquals(0f, got, 0f, "g=" + g);
      } else {
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "g=" + g + " f=" + f);
      }
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

  @Test
  void parallelRowBlocksGiveExactlyTheSequentialValues() {
    MultiLayerNetwork net = Fixtures.mlp(11, 64, 32, 10, Activation.RELU);
    ProbeSet s = Fixtures.labelledBy(net, Fixtures.uniformSet("blocks", ROWS, List.of(64), 10, 0.0, 1.0, 12), 0.1, 13);
    Attacks.Batch b = ProbeRunner.batches(s, s.count()).get(0);
    DenseClassifier dense = DenseClassifier.tryOf(net);
    RowBlocks blocks = new RowBlocks(b.n());
    assertEquals(4, blocks.count());
    try (StepKernel kernel = StepKernel.of(dense, b)) {
      Attacks.Work w = new Attacks.Work(b, kernel.classes());
      float[] z = new float[w.z.length];
      float[] g = new float[w.g.length];
      for (LogitLoss loss : LogitLoss.values()) {
        kernel.step(w.x, loss, w.z, w.g);
        try (StepKernel.Rows rows = kernel.rows()) {
          for (int blk = 0; blk < blocks.count(); blk++) {
            rows.step(w.x, loss, z, g, blocks.from(blk), blocks.to(blk));
          }
        }
        assertArrayEquals(z, w.z, loss + " logits");
        assertArrayEquals(g, w.g, loss + " input gradient");
      }
      // the classifier's own logits (the clean-accuracy phase) come from the same blocks
      assertArrayEquals(w.z, dense.logits(b.x()).dup('c').data().asFloat(), "Classifier.logits");
    }
  }

  @Test
  void attacksGiveTheSameOutcomesBlockByBlockAndStepByStep() {
    MultiLayerNetwork net = Fixtures.mlp(21, 64, 32, 10, Activation.RELU);
    ProbeSet s = Fixtures.labelledBy(net, Fixtures.uniformSet("loops", ROWS, List.of(64), 10, 0.0, 1.0, 22), 0.1, 23);
    Attacks.Batch b = ProbeRunner.batches(s, s.count()).get(0);
    DenseClassifier dense = DenseClassifier.tryOf(net);
    Attacks.Observer watch = (x, xAdv) -> { };
    int n = b.n();
    for (ProbeConfig.Norm norm : ProbeConfig.Norm.values()) {
      double e = norm == ProbeConfig.Norm.L2 ? 0.5 : 0.05;
      double[] eps = new double[n];
      double[] alpha = new double[n];
      for (int i = 0; i < n; i++) {
        eps[i] = e * (0.5 + i % 3 * 0.25); // per-row radii, as the bisection uses
        alpha[i] = 2.5 * eps[i] / 12;
      }
      Attacks.Outcome blockwise = Attacks.pgd(dense, b, norm, eps, alpha, 12, true, 5, 0, 1, true, null, null);
      Attacks.Outcome stepwise = Attacks.pgd(dense, b, norm, eps, alpha, 12, true, 5, 0, 1, true, null, watch);
      assertArrayEquals(stepwise.fooled, blockwise.fooled, norm + " PGD fooled");
      assertArrayEquals(stepwise.foolNorm, blockwise.foolNorm, norm + " PGD smallest fooling norm");
      assertEquals(stepwise.bestDelta == null, blockwise.bestDelta == null);
      if (stepwise.bestDelta != null) {
        assertArrayEquals(stepwise.bestDelta.data().asFloat(), blockwise.bestDelta.data().asFloat(), norm + " best");
      }
      assertEquals(12, blockwise.stepsDone);
      assertEquals(stepwise.zeroRowsFirstStep, blockwise.zeroRowsFirstStep);
      int broken = 0;
      for (boolean f : blockwise.fooled) {
        broken += f ? 1 : 0;
      }
      assertTrue(broken > 0 && broken < n, norm + ": some rows broken, some not (" + broken + ")");
      Attacks.Outcome f1 = Attacks.fgsm(dense, b, norm, e, 0, 1, null);
      Attacks.Outcome f2 = Attacks.fgsm(dense, b, norm, e, 0, 1, watch);
      assertArrayEquals(f2.fooled, f1.fooled, norm + " FGSM fooled");
    }
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
