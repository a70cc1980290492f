package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.ConvSpectral;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.linalg.OperatorNorms;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The measured figures of the README's engine section; not a test (the name keeps it out of the suite), run when asked
 * for: {@code mvn -pl estimator test -Dtest=BoundFigures} (csdp installed). Prints the ground-truth table (every
 * default method on each network, the engine's defaults: 3 s per method, 8 random probe inputs in [0, 1]), the geometric
 * mean of bestUpper/bestLower over the four networks with a known constant, the strided-convolution bounds before and
 * after the polyphase blocks, and the engine's lower bound against a plain multi-start search.
 */
class BoundFigures {
  record Row(String name, ExtractedNetwork net, double exact) {}

  static List<Row> groundTruth() {
    List<Row> rows = new ArrayList<>();
    MultiLayerNetwork lin = Nets.mlp(11, Activation.IDENTITY, false, 12, 9, 7, 4);
    BoundsTest.zeroBiases(lin);
    rows.add(new Row("linear 12-9-7-4 (identity)", NetworkExtractor.extract(lin), Truth.spectralNorm(Truth.logitJacobian(lin, 12))));
    ExtractedNetwork small = EclipseFastTest.net(EclipseFastTest.weights(3, false, 2, 16, 16, 1), EclipseFastTest.RELU);
    rows.add(new Row("ReLU 2-16-16-1", small, RegionEnumerationTest.regionMax(small)));
    List<DenseMatrix> nn = EclipseFastTest.weights(21, true, 3, 8, 8, 2);
    Random r = new Random(2);
    List<double[]> b = List.of(new double[8], new double[8], new double[2]);
    for (double[] v : b) {
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextGaussian();
      }
    }
    rows.add(new Row("ReLU 3-8-8-2, non-negative", RegionEnumerationTest.net(nn, b, EclipseFastTest.RELU), EclipseFastTest.product(nn)));
    ExtractedNetwork cnn = SmallCnnLipSdpTest.cnn(1, true);
    rows.add(new Row("CNN 1×6×6 → conv 3×3×3 → 4, non-negative", cnn,
        EclipseFastTest.product(List.of(cnn.nodes().get(0).linear().toDense(), (DenseMatrix) cnn.nodes().get(2).linear()))));
    rows.add(new Row("CNN 1×6×6 → conv 3×3×3 → 4", SmallCnnLipSdpTest.cnn(2, false), Double.NaN));
    rows.add(new Row("ReLU 784-50-10", EclipseFastTest.net(EclipseFastTest.weights(7, false, 784, 50, 10), EclipseFastTest.RELU), Double.NaN));
    rows.add(new Row("ReLU 784-256-256-10", EclipseFastTest.net(EclipseFastTest.weights(11, false, 784, 256, 256, 10), EclipseFastTest.RELU), Double.NaN));
    rows.add(new Row("ReLU 784-1024-1024-10", EclipseFastTest.net(EclipseFastTest.weights(12, false, 784, 1024, 1024, 10), EclipseFastTest.RELU), Double.NaN));
    return rows;
  }

  @Test
  void groundTruthTable() {
    double logSum = 0;
    int known = 0;
    for (Row row : groundTruth()) {
      LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults()).compute(row.net(), WarmStart.EMPTY, null);
      StringBuilder sb = new StringBuilder("| " + row.name() + " | " + (Double.isNaN(row.exact()) ? "–" : String.format("%.6g", row.exact())) + " |");
      for (UpperBound u : c.upper()) {
        sb.append(String.format(" %s%s %.6g (%.0f ms);", u.method(), u.sound() ? "" : "~", u.value(), u.seconds() * 1e3));
      }
      sb.append(" |");
      for (LowerBound l : c.lower()) {
        sb.append(String.format(" %s %.6g (%.0f ms);", l.method(), l.value(), l.seconds() * 1e3));
      }
      double ratio = c.bounds().bestUpper() / c.bounds().bestLower();
      sb.append(String.format(" | best %.6g / %.6g = %.4f |", c.bounds().bestUpper(), c.bounds().bestLower(), ratio));
      if (!Double.isNaN(row.exact())) {
        logSum += Math.log(ratio);
        known++;
        sb.append(String.format(" upper/exact %.6f, lower/exact %.6f", c.bounds().bestUpper() / row.exact(), c.bounds().bestLower() / row.exact()));
      }
      System.out.println(sb);
      System.out.println("   warnings: " + c.warnings());
    }
    System.out.printf("geometric mean of bestUpper/bestLower over the %d networks with a known constant: %.4f%n", known, Math.exp(logSum / known));
  }

  /** conv 64→64 3×3 stride 2 padding 1 on 16×16 (He-scaled Gaussian taps). */
  static Conv2dOperator conv64(long seed) {
    return conv(seed, 64, 16, 64, 3, 2, 1);
  }

  static Conv2dOperator conv(long seed, int ci, int n, int co, int k, int s, int pad) {
    Random r = new Random(seed);
    double[] w = new double[co * ci * k * k];
    double sd = Math.sqrt(2.0 / (ci * k * k));
    for (int i = 0; i < w.length; i++) {
      w[i] = sd * r.nextGaussian();
    }
    int out = (n + 2 * pad - k) / s + 1;
    return new Conv2dOperator(ci, n, n, co, out, out, k, k, s, s, 1, 1, pad, pad, w);
  }

  /** The stride-1 bound the engine used before the polyphase blocks: min of Hölder and the padded circular value. */
  static double before(LinearOperator a) {
    if (a instanceof Conv2dOperator c) {
      int[] g = c.paddedGrid();
      return Math.min(a.holderBound(), ConvSpectral.circularCertified(c, g[0], g[1], OperatorNorms.GRAM_STEPS).value());
    }
    return OperatorNorms.sound(a).value();
  }

  static double power(LinearOperator a) {
    return SpectralNorm.power(a, null, 3000, 1e-12, 7).sigma();
  }

  @Test
  void stridedConvolutions() {
    Conv2dOperator c = conv64(5);
    long t0 = System.nanoTime();
    double after = OperatorNorms.sound(c).value();
    double ms = (System.nanoTime() - t0) / 1e6;
    System.out.printf("64→64 3×3 s2 p1 on 16×16: stride-1 bound %.4f, polyphase %.4f (%.0f ms), power iteration %.4f%n",
        before(c), after, ms, power(c));
    // 28×28 CNN: conv 1→32 3×3 s2 p1 (→14×14), ReLU, conv 32→64 3×3 s2 p1 (→7×7), ReLU, dense 3136 → 10
    Conv2dOperator c1 = conv(1, 1, 28, 32, 3, 2, 1);
    Conv2dOperator c2 = conv(2, 32, 14, 64, 3, 2, 1);
    Random r = new Random(3);
    double[] w = new double[10 * c2.outDim()];
    for (int i = 0; i < w.length; i++) {
      w[i] = Math.sqrt(2.0 / c2.outDim()) * r.nextGaussian();
    }
    DenseMatrix d = new DenseMatrix(10, c2.outDim(), w);
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node("conv1", "ConvolutionLayer", new int[] {-1}, new Op.Affine(c1, null), c1.outDim()));
    nodes.add(new Node("relu1", "activation", new int[] {0}, new Op.Activation(EclipseFastTest.RELU), c1.outDim()));
    nodes.add(new Node("conv2", "ConvolutionLayer", new int[] {1}, new Op.Affine(c2, null), c2.outDim()));
    nodes.add(new Node("relu2", "activation", new int[] {2}, new Op.Activation(EclipseFastTest.RELU), c2.outDim()));
    nodes.add(new Node("out", "OutputLayer", new int[] {3}, new Op.Affine(d, null), 10));
    ExtractedNetwork net = new ExtractedNetwork("MultiLayerNetwork", nodes, new long[] {1, 28, 28}, 784, 10, 3, 0);
    double old = AutoLip.propagate(net, n -> before(n.linear()));
    t0 = System.nanoTime();
    UpperBound now = AutoLip.sound(net);
    ms = (System.nanoTime() - t0) / 1e6;
    double exactProduct = power(c1) * power(c2) * SpectralNorm.exactUpper(d);
    System.out.printf("28×28 CNN, two stride-2 convs: AutoLip before %.4f, after %.4f (%.0f ms; %s), product of per-layer norms (power iteration) %.4f%n",
        old, now.value(), ms, now.note(), exactProduct);
    System.out.printf("   per layer: conv1 %.4f → %.4f (power %.4f), conv2 %.4f → %.4f (power %.4f)%n", before(c1), OperatorNorms.sound(c1).value(),
        power(c1), before(c2), OperatorNorms.sound(c2).value(), power(c2));
  }

  /** The engine's best lower bound against a plain search: the Jacobian norm at 2000 uniform points of [0, 1]^n. */
  @Test
  void lowerBoundsAgainstAPlainSearch() {
    List<Row> nets = List.of(new Row("CNN 1×6×6 → conv 3×3×3 → 4", SmallCnnLipSdpTest.cnn(2, false), 0),
        new Row("ReLU 784-50-10", EclipseFastTest.net(EclipseFastTest.weights(7, false, 784, 50, 10), EclipseFastTest.RELU), 0));
    for (Row row : nets) {
      LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults()).compute(row.net(), WarmStart.EMPTY, null);
      long t0 = System.nanoTime();
      double plain = LowerBounds.gradientNorm(row.net(), LowerBounds.randomInputs(2000, row.net().inputDim(), 99), 50, 5, 0).bound().value();
      double ms = (System.nanoTime() - t0) / 1e6;
      StringBuilder sb = new StringBuilder(row.name() + ": engine bestLower " + c.bounds().bestLower() + " (");
      for (LowerBound l : c.lower()) {
        sb.append(String.format("%s %.6g in %.0f ms; ", l.method(), l.value(), l.seconds() * 1e3));
      }
      sb.append(String.format("), plain search (2000 uniform points) %.6g in %.0f ms", plain, ms));
      System.out.println(sb);
    }
  }
}
