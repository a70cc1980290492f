package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.linalg.ConvSpectral;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.trainer.model.Architectures;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The LipBound penalty: its gradient in the network's flattened parameter layout against central finite differences,
 * its grid maximum against a direct evaluation, the grid value never below the exact spectral norm of the circular
 * convolution it describes, and the errors for networks it does not cover.
 */
class LipBoundPenaltyTest {

  /** Two convolutions (the second dilated), a dense layer and a softmax output, in double precision. */
  static MultiLayerNetwork smallCnn(long seed) {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).list()
        .layer(new ConvolutionLayer.Builder(3, 3).name("c0").nOut(3).activation(Activation.TANH).build())
        .layer(new ConvolutionLayer.Builder(3, 3).name("c1").dilation(2, 2).nOut(2).activation(Activation.TANH).build())
        .layer(new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(9, 9, 2))
        .build());
    net.init();
    return net;
  }

  /** p_o(ω) = Σ_i |Σ_{p,q} K[o,i,p,q]·e^{i(p·dh·ω₁+q·dw·ω₂)}|², directly. */
  static double rowPoly(double[] k, int co, int ci, int kh, int kw, int dh, int dw, int o, double w1, double w2) {
    double s = 0;
    for (int i = 0; i < ci; i++) {
      double re = 0;
      double im = 0;
      for (int p = 0; p < kh; p++) {
        for (int q = 0; q < kw; q++) {
          double th = p * dh * w1 + q * dw * w2;
          double v = k[((o * ci + i) * kh + p) * kw + q];
          re += v * Math.cos(th);
          im += v * Math.sin(th);
        }
      }
      s += re * re + im * im;
    }
    return s;
  }

  static double[] kernel(MultiLayerNetwork net, int layer) {
    return net.getLayer(layer).getParam("W").dup('c').data().asDouble();
  }

  @Test
  void gridMaximaMatchADirectEvaluation() {
    Random r = new Random(5);
    int co = 3, ci = 4, k = 5, s = 10;
    double[] kern = new double[co * ci * k * k];
    for (int t = 0; t < kern.length; t++) {
      kern[t] = r.nextGaussian();
    }
    ConvSpectral.GridMaxima g = ConvSpectral.lipBoundGrid(kern, co, ci, k, k, 1, 1, s);
    double sum = 0;
    for (int o = 0; o < co; o++) {
      double best = 0;
      for (int a = 0; a < s; a++) {
        for (int b = 0; b < s; b++) {
          best = Math.max(best, rowPoly(kern, co, ci, k, k, 1, 1, o, 2 * Math.PI * a / s, 2 * Math.PI * b / s));
        }
      }
      assertEquals(best, g.rowMax()[o], 1e-9 * best);
      assertEquals(best, rowPoly(kern, co, ci, k, k, 1, 1, o, 2 * Math.PI * g.argA()[o] / s, 2 * Math.PI * g.argB()[o] / s),
          1e-9 * best, "argmax of row " + o);
      sum += best;
    }
    assertEquals(Math.sqrt(sum), g.value(), 1e-12 * Math.sqrt(sum));
  }

  @Test
  void gradientMatchesCentralFiniteDifferencesInTheFlattenedLayout() {
    MultiLayerNetwork net = smallCnn(17);
    LipBoundPenalty pen = new LipBoundPenalty(net, 10);
    assertEquals(java.util.List.of("c0", "c1"), pen.layerNames());
    // away from argmax ties: in every row the best grid value leads every other one (but its mirror −ω, which is the
    // same function of K for a real kernel) by a clear margin, so the finite differences never cross a tie
    int[][] geo = {{3, 2, 3, 3, 1, 1}, {2, 3, 3, 3, 2, 2}};
    for (int l = 0; l < 2; l++) {
      double[] k = kernel(net, l);
      int[] g = geo[l];
      ConvSpectral.GridMaxima m = ConvSpectral.lipBoundGrid(k, g[0], g[1], g[2], g[3], g[4], g[5], 10);
      for (int o = 0; o < g[0]; o++) {
        int a0 = m.argA()[o];
        int b0 = m.argB()[o];
        int dh = g[4];
        int dw = g[5];
        double second = 0;
        for (int a = 0; a < 10; a++) {
          for (int b = 0; b < 10; b++) {
            // grid points where p_o is the same function of K: ω + 2π·(Δa, Δb)/S with dilation·Δ ≡ 0 (mod S) (the
            // polynomial of a dilated kernel is periodic), and their mirrors −ω
            boolean same = (dh * (a - a0)) % 10 == 0 && (dw * (b - b0)) % 10 == 0;
            boolean mirror = (dh * (a + a0)) % 10 == 0 && (dw * (b + b0)) % 10 == 0;
            if (!same && !mirror) {
              second = Math.max(second, rowPoly(k, g[0], g[1], g[2], g[3], g[4], g[5], o, 2 * Math.PI * a / 10, 2 * Math.PI * b / 10));
            }
          }
        }
        assertTrue(second < m.rowMax()[o] * (1 - 1e-4), "layer " + l + " row " + o + " has a near tie; pick another seed");
      }
    }
    double w = 0.3;
    INDArray grad = Nd4j.zeros(DataType.DOUBLE, net.params().shape());
    double value = pen.addGradient(net, grad, w);
    assertEquals(pen.value(net), value, 1e-12);
    double[] gv = grad.toDoubleVector();
    INDArray params = net.params();
    double h = 1e-6;
    double worst = 0;
    int kernelEntries = 0;
    for (int i = 0; i < params.length(); i++) {
      double v = params.getDouble(i);
      params.putScalar(i, v + h);
      double up = w * pen.value(net);
      params.putScalar(i, v - h);
      double down = w * pen.value(net);
      params.putScalar(i, v);
      double fd = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - gv[i]) / Math.max(1e-3, Math.abs(fd)));
      if (fd != 0) {
        kernelEntries++;
      }
    }
    assertTrue(worst < 1e-6, "relative error " + worst);
    // exactly the kernel elements carry a gradient: 3·2·9 + 2·3·9 (no bias, no dense weight)
    assertEquals(3 * 2 * 9 + 2 * 3 * 9, kernelEntries);
  }

  @Test
  void addsToTheGradientInFloatNetworksToo() {
    MultiLayerNetwork net = Architectures.cnn(28, 28, 1, 10, 1e-3, 3);
    LipBoundPenalty pen = new LipBoundPenalty(net, 10);
    INDArray grad = Nd4j.zeros(net.params().dataType(), net.params().shape());
    pen.addGradient(net, grad, 1.0);
    // the conv0 kernel slice of grad, read back through DL4J's own parameter view
    INDArray saved = net.params().dup();
    net.params().assign(grad);
    double[] viaView = net.getLayer(0).getParam("W").dup('c').data().asDouble();
    net.params().assign(saved);
    double[] k = kernel(net, 0);
    ConvSpectral.GridMaxima m = ConvSpectral.lipBoundGrid(k, 8, 1, 5, 5, 1, 1, 10);
    double sum = m.value() * m.value();
    // spot check one entry of each output channel against the formula
    for (int o = 0; o < 8; o++) {
      int p = 2, q = 3;
      double w1 = 2 * Math.PI * m.argA()[o] / 10;
      double w2 = 2 * Math.PI * m.argB()[o] / 10;
      double re = 0;
      double im = 0;
      for (int pp = 0; pp < 5; pp++) {
        for (int qq = 0; qq < 5; qq++) {
          re += k[(o * 5 + pp) * 5 + qq] * Math.cos(pp * w1 + qq * w2);
          im += k[(o * 5 + pp) * 5 + qq] * Math.sin(pp * w1 + qq * w2);
        }
      }
      double expected = (re * Math.cos(p * w1 + q * w2) + im * Math.sin(p * w1 + q * w2)) / sum;
      assertEquals(expected, viaView[(o * 5 + p) * 5 + q], 1e-4 * Math.abs(expected) + 1e-7);
    }
  }

  /**
   * On an N×N torus with N dividing S the grid holds every frequency of the circular convolution, so
   * √(Σ_i max Σ_j |f_ij|²) ≥ √(max ‖F(ω)‖_F²) ≥ max σ_max(F(ω)) = ‖C‖₂: the uncorrected grid value is never below the
   * exact norm, here from the SVD of the explicit circulant matrix.
   */
  @ParameterizedTest(name = "cin {0} cout {1} k {2} dil {3} torus {4} grid {5} seed {6}")
  @CsvSource({
      "1, 1, 3, 1, 5, 10, 1",
      "2, 3, 3, 1, 10, 10, 2",
      "3, 2, 5, 1, 10, 10, 3",
      "4, 4, 3, 2, 5, 10, 4",
      "2, 5, 5, 1, 7, 14, 5",
      "6, 1, 3, 1, 6, 12, 6"})
  void gridValueNeverBelowTheExactCircularNorm(int ci, int co, int k, int d, int n, int s, long seed) {
    Random r = new Random(seed);
    for (int trial = 0; trial < 3; trial++) {
      double[] kern = new double[co * ci * k * k];
      for (int t = 0; t < kern.length; t++) {
        kern[t] = trial == 2 ? Math.abs(r.nextGaussian()) : r.nextGaussian(); // non-negative: ω = 0 is the max
      }
      double exact = SpectralNorm.singularValues(circulant(kern, ci, co, k, d, n))[0];
      double grid = ConvSpectral.lipBoundGrid(kern, co, ci, k, k, d, d, s).value();
      assertTrue(grid >= exact * (1 - 1e-12), "grid LipBound " + grid + " < exact " + exact);
    }
  }

  @Test
  void theSmallCnnsKernelsToo() {
    MultiLayerNetwork net = Architectures.cnn(28, 28, 1, 10, 1e-3, 9);
    LipBoundPenalty pen = new LipBoundPenalty(net, 10);
    double[] lb = pen.lipBounds(net);
    int[][] geo = {{1, 8}, {8, 16}};
    for (int l = 0; l < 2; l++) {
      double[] k = net.getLayer(2 * l).getParam("W").castTo(DataType.DOUBLE).dup('c').data().asDouble();
      double exact = SpectralNorm.singularValues(circulant(k, geo[l][0], geo[l][1], 5, 1, 10))[0];
      assertTrue(lb[l] >= exact * (1 - 1e-9), "layer " + l + ": " + lb[l] + " < " + exact);
    }
  }

  /** y[o, u, v] = Σ K[o,i,p,q]·x[i, (u+p·d) mod n, (v+q·d) mod n]: the circular convolution as a matrix. */
  static DenseMatrix circulant(double[] kernel, int ci, int co, int k, int d, int n) {
    int in = ci * n * n;
    double[] a = new double[co * n * n * in];
    for (int o = 0; o < co; o++) {
      for (int u = 0; u < n; u++) {
        for (int v = 0; v < n; v++) {
          for (int i = 0; i < ci; i++) {
            for (int p = 0; p < k; p++) {
              for (int q = 0; q < k; q++) {
                int row = (o * n + u) * n + v;
                int col = (i * n + (u + p * d) % n) * n + (v + q * d) % n;
                a[row * in + col] += kernel[((o * ci + i) * k + p) * k + q];
              }
            }
          }
        }
      }
    }
    return new DenseMatrix(co * n * n, in, a);
  }

  @Test
  void networksWithoutConvolutionsAreRefusedClearly() {
    MultiLayerNetwork mlp = Architectures.mlp(784, new int[] {16}, 10, Activation.RELU, 1e-3, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RegularizedTrainer(mlp, Regularization.lipBound(0.008, 0.004, 0.9), 0, 1, 1));
    assertEquals("lipbound regularises convolution layers; this network has none: use --arch cnn", e.getMessage());
    // the retraining loop's configuration refuses it before loading data or reaching Kafka
    IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
        () -> new io.lipwatch.trainer.loop.TrainerConfig("m", java.nio.file.Path.of("."), "d", new int[] {8}, "relu", 64, 1e-3,
            1, 1, java.time.Duration.ZERO, 0, 0, 1, "mlp", Regularization.lipBound(0.008, 0, Double.NaN)));
    assertEquals(e.getMessage(), c.getMessage());
    // the other regularisers never build the penalty
    new RegularizedTrainer(mlp, Regularization.weightDecay(1e-3, 0, Double.NaN), 0, 1, 1);
  }

  @Test
  void factoryDefaults() {
    Regularization r = Regularization.lipBound(0.008, 0.004, 0.9);
    assertEquals(Regularizer.LIPBOUND, r.regularizer());
    assertEquals(0.008, r.weight(), 0);
    assertEquals(0.004, r.step(), 0);
    assertEquals(10, r.lipBoundGrid());
    assertEquals(16, r.withLipBoundGrid(16).lipBoundGrid());
    assertThrows(IllegalArgumentException.class, () -> r.withLipBoundGrid(1));
  }
}
