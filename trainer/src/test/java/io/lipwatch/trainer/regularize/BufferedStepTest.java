package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The buffered float32 step (sgemm into kept buffers, loss in Java) trains exactly as the generic step through the
 * network's own layers: same parameters after several Adam steps, plain and with CLIP (same pairs, same ascent), and
 * for MSE; networks it cannot serve take the generic path.
 */
class BufferedStepTest {
  static MultiLayerNetwork mlp(Activation hidden, boolean mse, long seed) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).list()
        .layer(new DenseLayer.Builder().nIn(20).nOut(16).activation(hidden).build())
        .layer(new DenseLayer.Builder().nIn(16).nOut(12).activation(hidden).build());
    b.layer(mse ? new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(12).nOut(3).activation(Activation.IDENTITY)
        .build() : new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(12).nOut(5)
        .activation(Activation.SOFTMAX).build());
    MultiLayerNetwork net = new MultiLayerNetwork(b.build());
    net.init();
    return net;
  }

  static List<DataSet> batches(int count, int rows, int classes, boolean regression, long seed) {
    Random rnd = new Random(seed);
    List<DataSet> out = new ArrayList<>();
    for (int c = 0; c < count; c++) {
      float[] x = new float[rows * 20];
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextFloat();
      }
      float[] y = new float[rows * classes];
      for (int r = 0; r < rows; r++) {
        if (regression) {
          for (int j = 0; j < classes; j++) {
            y[r * classes + j] = (float) rnd.nextGaussian();
          }
        } else {
          y[r * classes + rnd.nextInt(classes)] = 1f;
        }
      }
      out.add(new DataSet(Nd4j.create(x, new long[] {rows, 20}, 'c'), Nd4j.create(y, new long[] {rows, classes}, 'c')));
    }
    return out;
  }

  private static void assertSameParams(MultiLayerNetwork a, MultiLayerNetwork b, double tol) {
    double[] pa = a.params().toDoubleVector();
    double[] pb = b.params().toDoubleVector();
    double worst = 0;
    for (int i = 0; i < pa.length; i++) {
      worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
    }
    assertTrue(worst < tol, "largest parameter difference " + worst);
    // and the steps moved the parameters at all
    assertFalse(a.params().equalsWithEps(mlp(Activation.RELU, false, 1).params(), 1e-3));
  }

  @Test
  void plainStepsEqualTheGenericPath() {
    List<DataSet> data = batches(4, 32, 5, false, 5);
    data.add(batches(1, 7, 5, false, 6).get(0)); // a short last batch: buffers of another row count
    RegularizedTrainer fast = new RegularizedTrainer(mlp(Activation.RELU, false, 1), Regularization.none(), 0, 1, 1);
    RegularizedTrainer slow = new RegularizedTrainer(mlp(Activation.RELU, false, 1), Regularization.none(), 0, 1, 1)
        .withoutKernel();
    assertTrue(fast.buffered());
    RegularizedTrainer.EpochStats a = fast.epoch(data, null);
    RegularizedTrainer.EpochStats b = slow.epoch(data, null);
    assertEquals(b.loss(), a.loss(), 1e-5);
    assertEquals(b.trainAccuracy(), a.trainAccuracy(), 0.0);
    assertSameParams(fast.network(), slow.network(), 1e-5);
    assertEquals(slow.network().getIterationCount(), fast.network().getIterationCount());
  }

  @Test
  void clipStepsEqualTheGenericPath() {
    List<DataSet> data = batches(6, 32, 5, false, 7);
    for (Regularization reg : List.of(Regularization.clip(0.5, 0, Double.NaN, 8),
        Regularization.trackingClip(0.5, 0.5, 8).withTracking(new ClipTracking(1.5, 2, 2, 2, 0)))) {
      RegularizedTrainer fast = new RegularizedTrainer(mlp(Activation.RELU, false, 2), reg, 0, 1, 3);
      RegularizedTrainer slow = new RegularizedTrainer(mlp(Activation.RELU, false, 2), reg, 0, 1, 3).withoutKernel();
      RegularizedTrainer.EpochStats a = fast.epoch(data, null);
      RegularizedTrainer.EpochStats b = slow.epoch(data, null);
      assertEquals(b.penalty(), a.penalty(), 1e-4 * Math.max(1, b.penalty()), reg.toString());
      assertTrue(a.penalty() > 0);
      assertSameParams(fast.network(), slow.network(), 1e-4);
      double[] pa = fast.pairs().reshape(-1).toDoubleVector();
      double[] pb = slow.pairs().reshape(-1).toDoubleVector();
      for (int i = 0; i < pa.length; i++) {
        assertEquals(pb[i], pa[i], 1e-4, "pair coordinate " + i);
      }
    }
  }

  @Test
  void mseStepsEqualTheGenericPath() {
    List<DataSet> data = batches(4, 16, 3, true, 9);
    RegularizedTrainer fast = new RegularizedTrainer(mlp(Activation.IDENTITY, true, 4), Regularization.none(), 0, 1, 1);
    RegularizedTrainer slow = new RegularizedTrainer(mlp(Activation.IDENTITY, true, 4), Regularization.none(), 0, 1, 1)
        .withoutKernel();
    assertTrue(fast.buffered());
    RegularizedTrainer.EpochStats a = fast.epoch(data, null);
    RegularizedTrainer.EpochStats b = slow.epoch(data, null);
    assertEquals(b.loss(), a.loss(), 1e-5);
    double[] pa = fast.network().params().toDoubleVector();
    double[] pb = slow.network().params().toDoubleVector();
    for (int i = 0; i < pa.length; i++) {
      assertEquals(pb[i], pa[i], 1e-5);
    }
  }

  @Test
  void otherNetworksTakeTheGenericPath() {
    assertFalse(new RegularizedTrainer(mlp(Activation.TANH, false, 1), Regularization.none(), 0, 1, 1).buffered());
    assertFalse(new RegularizedTrainer(ClipGradientTest.tiny(Activation.RELU), Regularization.none(), 0, 1, 1)
        .buffered());
  }
}
