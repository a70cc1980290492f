package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.trainer.regularize.Regularization.Aggregate;
import io.lipwatch.trainer.regularize.Regularization.Form;
import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The CLIP penalty's gradient (weights and pair inputs) against central finite differences, in double precision. */
class ClipGradientTest {
  static MultiLayerNetwork tiny(Activation act) {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).updater(new Adam(1e-2)).list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(act).build())
        .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(act).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
        .build());
    net.init();
    return net;
  }

  static INDArray uniform(int r, int c, Random rnd) {
    double[][] v = new double[r][c];
    for (double[] row : v) {
      for (int i = 0; i < c; i++) {
        row[i] = rnd.nextDouble();
      }
    }
    return Nd4j.createFromArray(v);
  }

  @ParameterizedTest
  @CsvSource({"LIPSCHITZ,MEAN,TANH", "SQUARED,MEAN,SIGMOID", "LIPSCHITZ,MAX,TANH", "SQUARED,MAX,TANH", "LIPSCHITZ,TOP,TANH"})
  void penaltyGradientMatchesFiniteDifferences(Form form, Aggregate agg, Activation act) {
    MultiLayerNetwork net = tiny(act);
    Random rnd = new Random(11);
    INDArray x = uniform(5, 4, rnd);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, 5, 3);
    for (int i = 0; i < 5; i++) {
      y.putScalar(i, i % 3, 1.0);
    }
    INDArray px = uniform(3, 4, rnd);
    INDArray pxp = px.add(uniform(3, 4, rnd).muli(0.3));
    double w = 0.7;
    RegularizedTrainer t = new RegularizedTrainer(net,
        Regularization.clip(w, 0, Double.NaN, 3).withForm(form).withAggregate(agg), -10, 10, 1);
    RegularizedTrainer.Evaluation e = t.evaluate(x, y, px, pxp, w);
    double[] g = e.weightGradient().toDoubleVector();
    INDArray params = net.params();
    double h = 1e-6;
    double worst = 0;
    for (int k = 0; k < params.length(); k++) {
      double v = params.getDouble(k);
      params.putScalar(k, v + h);
      double up = objective(t, x, y, px, pxp, w);
      params.putScalar(k, v - h);
      double down = objective(t, x, y, px, pxp, w);
      params.putScalar(k, v);
      double fd = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[k]) / Math.max(1e-3, Math.abs(fd)));
    }
    assertTrue(worst < 1e-5, "weight gradient relative error " + worst);

    // pair inputs: the trainer returns ∂R_i/∂(x_i, x′_i) of each pair that enters the penalty (the ascent
    // direction); the penalty's own input gradient is that times the pair's share (1/P for the mean)
    INDArray pg = e.pairGradient().mul(agg == Aggregate.MEAN ? 1.0 / 3 : 1.0);
    double worstIn = 0;
    for (int which = 0; which < 2; which++) {
      INDArray m = which == 0 ? px : pxp;
      for (int i = 0; i < m.rows(); i++) {
        for (int j = 0; j < m.columns(); j++) {
          double v = m.getDouble(i, j);
          m.putScalar(i, j, v + h);
          double up = t.evaluate(x, y, px, pxp, w).penalty();
          m.putScalar(i, j, v - h);
          double down = t.evaluate(x, y, px, pxp, w).penalty();
          m.putScalar(i, j, v);
          double fd = (up - down) / (2 * h);
          double an = pg.getDouble(which * m.rows() + i, j);
          worstIn = Math.max(worstIn, Math.abs(fd - an) / Math.max(1e-3, Math.abs(fd)));
        }
      }
    }
    assertTrue(worstIn < 1e-5, "pair input gradient relative error " + worstIn);
  }

  private static double objective(RegularizedTrainer t, INDArray x, INDArray y, INDArray px, INDArray pxp, double w) {
    RegularizedTrainer.Evaluation e = t.evaluate(x, y, px, pxp, w);
    return e.loss() + w * e.penalty();
  }

  @Test
  void dataLossGradientEqualsDl4jOwn() {
    MultiLayerNetwork net = tiny(Activation.RELU);
    Random rnd = new Random(5);
    INDArray x = uniform(7, 4, rnd);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, 7, 3);
    for (int i = 0; i < 7; i++) {
      y.putScalar(i, (i * 2) % 3, 1.0);
    }
    RegularizedTrainer t = new RegularizedTrainer(net, Regularization.none(), 0, 1, 1);
    RegularizedTrainer.Evaluation e = t.evaluate(x, y, uniform(1, 4, rnd), uniform(1, 4, rnd), 0);
    net.setInput(x);
    net.setLabels(y);
    net.computeGradientAndScore();
    // DL4J sums over the minibatch and lets the updater divide by its size
    INDArray own = net.gradient().gradient().div(7);
    assertEquals(net.score(), e.loss(), 1e-9);
    assertTrue(own.reshape(own.length()).equalsWithEps(e.weightGradient().reshape(own.length()), 1e-9),
        "manual backward differs from DL4J's: " + own + " vs " + e.weightGradient());
  }

  @Test
  void discrepancyPrincipleMovesTheWeightTheRightWay() {
    assertEquals(0.6, Regularization.discrepancy(0.5, 0.93, 0.9, 0.1), 1e-12);
    assertEquals(0.4, Regularization.discrepancy(0.5, 0.85, 0.9, 0.1), 1e-12);
    assertEquals(0.4, Regularization.discrepancy(0.5, 0.9, 0.9, 0.1), 1e-12, "at the target: not above, so down");
    assertEquals(0.0, Regularization.discrepancy(0.05, 0.5, 0.9, 0.1), 0.0, "never negative");
    assertEquals(0.5, Regularization.discrepancy(0.5, 0.5, Double.NaN, 0.1), 0.0, "no target: fixed");
  }
}
