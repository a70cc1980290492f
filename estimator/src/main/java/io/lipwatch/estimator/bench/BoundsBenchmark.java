package io.lipwatch.estimator.bench;

import io.lipwatch.estimator.bounds.AutoLip;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.bench.CompareTable;
import io.lipwatch.estimator.bench.Npy;
import io.lipwatch.estimator.bench.Repeats;
import io.lipwatch.estimator.bench.TorchReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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
  /** Untimed runs of each --compare row before its repeats (PyTorch gets one). */
  static final int WARM_UP = 5;

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
    out.append("targets (README, Performance section): AutoLip with exact SVD ≤ 50 ms; 100 power iterations, all layers ≤ 10 ms (MLP)\n");
    return out.toString();
  }

  /**
   * {@code lipwatch bench bounds --compare}: 100 power iterations over all layers (MLP and CNN) and AutoLip with exact
   * SVD (MLP), by lipwatch and by the PyTorch reference on the same operators, repeats interleaved. Like for like:
   * power iteration on dense layers in float32 on both sides (lipwatch then adds {@code SpectralNorm.DOUBLE_FINISH}
   * double iterations per layer, timed, so its σ is a double value), on convolutions in float64 on both sides (the
   * engine's convolution operator is double); AutoLip's σ_max per layer in double on both sides (PyTorch: a full SVD;
   * lipwatch: Gram matrix + Lanczos, then proven by a verified Cholesky, timed). Without PyTorch: lipwatch's rows and
   * the install hint.
   */
  public static CompareTable compare(long seed, int repeats) throws IOException {
    Path dir = Files.createTempDirectory("lipwatch-bench-bounds-");
    try (TorchReference ref = TorchReference.start(dir, Runtime.getRuntime().availableProcessors())) {
      return compare(mlp(seed, 0), cnn(seed, 0), seed, repeats, ref, dir);
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** As above on the given networks; {@code ref} null: lipwatch's rows only. */
  public static CompareTable compare(ExtractedNetwork mlp, ExtractedNetwork cnn, long seed, int repeats,
      TorchReference ref, Path dir) throws IOException {
    CompareTable table = new CompareTable(String.format(Locale.ROOT,
        "bounds: MLP 784-256-256-10 and CNN (conv 1→16 3×3, conv 16→32 3×3 s2, dense), seeded He weights; power"
            + " iteration: dense float32 on both sides (lipwatch + 2 double iterations per layer), conv float64 on both;"
            + " AutoLip σ_max in double on both (PyTorch full SVD, lipwatch Gram+Lanczos+proof); %d interleaved repeats"
            + " per row%s", repeats, ref == null ? "" : String.format(Locale.ROOT,
            "; %s", ref.describe())));
    int iters = 100;
    for (ExtractedNetwork n : List.of(mlp, cnn)) {
      String name = n == mlp ? "mlp" : "cnn";
      String ops = name + "-ops.json";
      String ops64 = name + "-ops64.json";
      exportOps(n, dir, name, ops, false);
      exportOps(n, dir, name, ops64, true);
      long flops = 0;
      for (Node node : n.linearNodes()) {
        flops += 4L * node.linear().macs() * iters;
      }
      // warm-up, untimed: the JIT compiles the Java loops (the estimator is a long-running process)
      for (int w = 0; w < WARM_UP; w++) {
        for (Node node : n.linearNodes()) {
          SpectralNorm.power(node.linear(), null, iters, 0, seed);
        }
      }
      ObjectNode task = TorchReference.task("power");
      task.put("ops", ops);
      task.put("iters", iters);
      task.put("seed", seed);
      if (ref != null) {
        ref.run(task);
      }
      double[] lw = new double[repeats];
      double[] pt = new double[repeats];
      double[] lwv = null;
      double[] ptv = null;
      for (int r = 0; r < repeats; r++) {
        List<Double> sig = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Node node : n.linearNodes()) {
          sig.add(SpectralNorm.power(node.linear(), null, iters, 0, seed).sigma());
        }
        lw[r] = (System.nanoTime() - t0) / 1e9;
        lwv = sig.stream().mapToDouble(Double::doubleValue).toArray();
        if (ref != null) {
          JsonNode res = ref.run(task);
          pt[r] = res.path("seconds").asDouble();
          ptv = TorchReference.doubles(res.path("values").path("sigma")).stream().mapToDouble(Double::doubleValue).toArray();
        }
      }
      table.add(new CompareTable.Row(name + ": 100 power iterations, all layers", new Repeats(lw),
          ref == null ? null : new Repeats(pt), flops, 1.0, "σ per layer", lwv, ptv));
      if (n == mlp) {
        ObjectNode auto = TorchReference.task("autolip");
        auto.put("ops", ops64);
        for (int w = 0; w < WARM_UP; w++) {
          AutoLip.sound(n);
        }
        if (ref != null) {
          ref.run(auto);
        }
        double[] lwa = new double[repeats];
        double[] pta = new double[repeats];
        double lwb = 0;
        double ptb = 0;
        for (int r = 0; r < repeats; r++) {
          long t0 = System.nanoTime();
          lwb = AutoLip.sound(n).value();
          lwa[r] = (System.nanoTime() - t0) / 1e9;
          if (ref != null) {
            JsonNode res = ref.run(auto);
            pta[r] = res.path("seconds").asDouble();
            ptb = res.path("values").path("bound").asDouble();
          }
        }
        table.add(new CompareTable.Row("mlp: AutoLip, exact SVD", new Repeats(lwa), ref == null ? null : new Repeats(pta),
            0, 1.0, "bound", new double[] {lwb}, ref == null ? null : new double[] {ptb}));
      }
    }
    if (ref == null) {
      table.note(TorchReference.INSTALL_HINT);
    }
    return table;
  }

  /**
   * The linear operators of {@code n} as .npy files (dense: A [out, in]; conv: kernel [cOut, cIn, kH, kW]) and a spec
   * telling the reference the precision: dense layers in float64 when {@code denseDouble}, else float32; convolutions
   * always float64.
   */
  static void exportOps(ExtractedNetwork n, Path dir, String prefix, String specFile, boolean denseDouble)
      throws IOException {
    List<Map<String, Object>> spec = new ArrayList<>();
    int k = 0;
    for (Node node : n.linearNodes()) {
      String file = prefix + "-op" + (k++) + ".npy";
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("double", denseDouble || !(node.linear() instanceof DenseMatrix));
      if (node.linear() instanceof DenseMatrix d) {
        Npy.writeDouble(dir.resolve(file), d.data(), d.rows(), d.cols());
        o.put("kind", "dense");
        o.put("a", file);
      } else if (node.linear() instanceof Conv2dOperator c && c.dH() == 1 && c.dW() == 1) {
        Npy.writeDouble(dir.resolve(file), c.kernel(), c.cOut(), c.cIn(), c.kH(), c.kW());
        o.put("kind", "conv");
        o.put("k", file);
        o.put("stride", List.of(c.sH(), c.sW()));
        o.put("padding", List.of(c.padTop(), c.padLeft()));
        o.put("in_shape", List.of(c.cIn(), c.inH(), c.inW()));
      } else {
        throw new IllegalArgumentException("--compare has no reference for " + node.linear().getClass().getSimpleName());
      }
      spec.add(o);
    }
    TorchReference.writeJson(dir.resolve(specFile), spec);
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
  public static ExtractedNetwork mlp(long seed, double eps) {
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
  public static ExtractedNetwork cnn(long seed, double eps) {
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
