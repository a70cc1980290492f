package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Benchmark of the engine (for {@code lipwatch bench bounds}): an MLP 784-256-256-10 and a small CNN (conv 1→16 3×3,
 * conv 16→32 3×3 stride 2, dense to 10, on 28×28), cold and warm (second snapshot with weights perturbed by 0.1%),
 * time per method, and power-iteration throughput. Networks are built directly as operator DAGs with seeded Gaussian
 * (He-scaled) weights, so no DL4J model is needed.
 */
public final class BoundsBenchmark {
  private BoundsBenchmark() {}

  public static String run(long seed) {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%-8s %-5s %-15s %12s %5s %10s %6s%n", "network", "run", "method", "value", "sound", "ms", "iters"));
    ExtractedNetwork mlp = mlp(seed, 0);
    ExtractedNetwork cnn = cnn(seed, 0);
    EngineConfig cfg = EngineConfig.defaults().withBudget(Duration.ofSeconds(2));
    LipschitzEngine engine = new LipschitzEngine(cfg);
    // JIT warm-up on a throwaway run
    engine.compute(mlp(seed + 99, 0), WarmStart.EMPTY, null);
    for (String name : new String[] {"mlp", "cnn"}) {
      ExtractedNetwork n0 = name.equals("mlp") ? mlp : cnn;
      ExtractedNetwork n1 = name.equals("mlp") ? mlp(seed, 1e-3) : cnn(seed, 1e-3);
      LipschitzEngine.Computed cold = engine.compute(n0, WarmStart.EMPTY, null);
      LipschitzEngine.Computed warm = engine.compute(n1, cold.warm(), null);
      rows(out, name, "cold", cold);
      rows(out, name, "warm", warm);
    }
    // 100 power iterations over all layers, and AutoLip with exact SVD, timed alone (best of 5)
    for (ExtractedNetwork n : List.of(mlp, cnn)) {
      String name = n == mlp ? "mlp" : "cnn";
      long flops = 0;
      for (Node node : n.linearNodes()) {
        flops += 4L * node.linear().macs() * 100; // A·v and Aᵀ·u, 2 flops per multiply-add
      }
      double bestPower = Double.MAX_VALUE;
      double bestAuto = Double.MAX_VALUE;
      for (int rep = 0; rep < 5; rep++) {
        long t0 = System.nanoTime();
        for (Node node : n.linearNodes()) {
          SpectralNorm.power(node.linear(), null, 100, 0, seed);
        }
        bestPower = Math.min(bestPower, (System.nanoTime() - t0) / 1e6);
        long t1 = System.nanoTime();
        AutoLip.sound(n);
        bestAuto = Math.min(bestAuto, (System.nanoTime() - t1) / 1e6);
      }
      out.append(String.format("%s: 100 power iterations, all layers: %.2f ms (%.2f GFLOP/s); AutoLip sound: %.2f ms%n",
          name, bestPower, flops / bestPower / 1e6, bestAuto));
    }
    out.append("targets (design §10): AutoLip with exact SVD ≤ 50 ms; 100 power iterations, all layers ≤ 10 ms (MLP)\n");
    return out.toString();
  }

  private static void rows(StringBuilder out, String net, String run, LipschitzEngine.Computed c) {
    for (UpperBound u : c.upper()) {
      out.append(String.format("%-8s %-5s %-15s %12.5g %5s %10.2f %6s%n", net, run, u.method(), u.value(), u.sound(),
          u.seconds() * 1e3, u.iterations() == null ? "" : u.iterations().toString()));
    }
    for (LowerBound l : c.lower()) {
      out.append(String.format("%-8s %-5s %-15s %12.5g %5s %10.2f %6s%n", net, run, l.method(), l.value(), "lower",
          l.seconds() * 1e3, l.iterations() == null ? "" : l.iterations().toString()));
    }
  }

  private static double[] gaussian(Random r, int n, double scale, Random noise, double eps) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextGaussian() * scale;
      if (eps > 0) {
        a[i] += noise.nextGaussian() * scale * eps;
      }
    }
    return a;
  }

  /** 784-256-256-10 ReLU MLP; {@code eps} perturbs the weights relatively (the "next snapshot"). */
  static ExtractedNetwork mlp(long seed, double eps) {
    Random r = new Random(seed);
    Random noise = new Random(seed + 1);
    int[] w = {784, 256, 256, 10};
    List<Node> nodes = new ArrayList<>();
    ActivationSpec relu = new ActivationSpec("relu", 0, 1, true, 0);
    for (int i = 0; i < 3; i++) {
      DenseMatrix a = new DenseMatrix(w[i + 1], w[i], gaussian(r, w[i + 1] * w[i], Math.sqrt(2.0 / w[i]), noise, eps));
      nodes.add(new Node("dense" + i, "DenseLayer", new int[] {nodes.size() - 1}, new Op.Affine(a, new double[w[i + 1]]), w[i + 1]));
      if (i < 2) {
        nodes.add(new Node("dense" + i + "/relu", "Activation(relu)", new int[] {nodes.size() - 1}, new Op.Activation(relu), w[i + 1]));
      }
    }
    return new ExtractedNetwork("MultiLayerNetwork", nodes, new long[] {784}, 784, 10, 3, 784 * 256 + 256 * 256 + 2560 + 522);
  }

  /** conv 1→16 3×3, conv 16→32 3×3 stride 2, dense to 10, ReLU, on 1×28×28. */
  static ExtractedNetwork cnn(long seed, double eps) {
    Random r = new Random(seed);
    Random noise = new Random(seed + 1);
    ActivationSpec relu = new ActivationSpec("relu", 0, 1, true, 0);
    List<Node> nodes = new ArrayList<>();
    Conv2dOperator c1 = new Conv2dOperator(1, 28, 28, 16, 26, 26, 3, 3, 1, 1, 1, 1, 0, 0, gaussian(r, 16 * 9, Math.sqrt(2.0 / 9), noise, eps));
    nodes.add(new Node("conv1", "ConvolutionLayer", new int[] {-1}, new Op.Affine(c1, null), c1.outDim()));
    nodes.add(new Node("conv1/relu", "Activation(relu)", new int[] {0}, new Op.Activation(relu), c1.outDim()));
    Conv2dOperator c2 = new Conv2dOperator(16, 26, 26, 32, 12, 12, 3, 3, 2, 2, 1, 1, 0, 0,
        gaussian(r, 32 * 16 * 9, Math.sqrt(2.0 / 144), noise, eps));
    nodes.add(new Node("conv2", "ConvolutionLayer", new int[] {1}, new Op.Affine(c2, null), c2.outDim()));
    nodes.add(new Node("conv2/relu", "Activation(relu)", new int[] {2}, new Op.Activation(relu), c2.outDim()));
    DenseMatrix d = new DenseMatrix(10, c2.outDim(), gaussian(r, 10 * c2.outDim(), Math.sqrt(2.0 / c2.outDim()), noise, eps));
    nodes.add(new Node("dense", "DenseLayer", new int[] {3}, new Op.Affine(d, null), 10));
    return new ExtractedNetwork("MultiLayerNetwork", nodes, new long[] {1, 28, 28}, 784, 10, 3, 144 + 4608 + 46080);
  }
}
