package io.lipwatch.estimator.probes;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ScratchTimingTest {
  @Test
  void timing() {
    var net = Fixtures.mlp(1, 784, 256, 10, Activation.RELU);
    ProbeSet s = Fixtures.uniformSet("t", 1000, List.of(784), 10, 0, 1, 3);
    Classifier c = ProbeRunner.classifierFor(net, s, true, new java.util.ArrayList<>());
    var b = ProbeRunner.batches(s, 1000).get(0);
    for (int rep = 0; rep < 3; rep++) {
      long t = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        c.step(b.x(), b.onehot());
      }
      long t2 = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        c.logits(b.x());
      }
      long t3 = System.nanoTime();
      INDArray w = Nd4j.rand(784, 256).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
      for (int i = 0; i < 20; i++) {
        b.x().mmul(w);
      }
      long t4 = System.nanoTime();
      double[] e = new double[1000];
      java.util.Arrays.fill(e, 2.0);
      double[] a = new double[1000];
      java.util.Arrays.fill(a, 0.25);
      Attacks.pgd(c, b, ProbeConfig.Norm.L2, e, a, 20, true, 1, 0, 1, false, null, null);
      long t5 = System.nanoTime();
      System.err.printf("step %.2f ms, logits %.2f ms, gemm784x256 %.2f ms, pgd step %.2f ms%n", (t2 - t) / 20e6, (t3 - t2) / 20e6,
          (t4 - t3) / 20e6, (t5 - t4) / 20e6);
    }
    System.err.println(Nd4j.getExecutioner().getClass() + " threads " + org.nd4j.linalg.factory.Nd4j.getEnvironment().maxThreads());
  }
}
