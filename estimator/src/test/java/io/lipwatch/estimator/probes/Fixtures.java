package io.lipwatch.estimator.probes;

import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small models and probe sets with fixed seeds. */
public final class Fixtures {
  private Fixtures() {}

  /** A single softmax OutputLayer: logits z = xW + b with the given weights ([d][k]) and bias. */
  static MultiLayerNetwork linear(double[][] w, double[] b, Activation act) {
    int d = w.length;
    int k = w[0].length;
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT).list()
        .layer(new OutputLayer.Builder(act == Activation.SOFTMAX ? LossFunctions.LossFunction.MCXENT
            : LossFunctions.LossFunction.MSE).nIn(d).nOut(k).activation(act).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    net.getLayer(0).setParam("W", Nd4j.createFromArray(w).castTo(DataType.FLOAT));
    net.getLayer(0).setParam("b", Nd4j.createFromArray(new double[][] {b}).castTo(DataType.FLOAT));
    return net;
  }

  static MultiLayerNetwork mlp(long seed, int d, int hidden, int k, Activation act) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(d).nOut(hidden).activation(act).build())
        .layer(new DenseLayer.Builder().nIn(hidden).nOut(hidden).activation(act).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(hidden).nOut(k)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** conv(3×3, 4) → maxpool 2 → dense 16 → softmax, on [1, side, side] inputs. */
  static MultiLayerNetwork cnn(long seed, int side, int k) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.TANH).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(k).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(side, side, 1))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** n float inputs uniform in [a, b]^shape (inside the box [0, 1]), labels from the model's own prediction. */
  public static ProbeSet uniformSet(String name, int n, List<Integer> shape, int classes, double a, double b, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int d = shape.stream().reduce(1, Math::multiplyExact);
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (a + (b - a) * r.nextDouble());
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(classes);
    }
    return new ProbeSet(name, shape, classes, 0.0, 1.0, labels, null, x);
  }

  /** The same inputs, relabelled by the model (so most samples are correctly classified). */
  static ProbeSet labelledBy(org.deeplearning4j.nn.api.Model model, ProbeSet s, double wrongFraction, long seed) {
    List<String> ignore = new java.util.ArrayList<>();
    Classifier c = ProbeRunner.classifierFor(model, s, true, ignore);
    int[] pred = Attacks.predictions(c.logitsDouble(ProbeRunner.batches(s, s.count()).get(0).x()));
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < pred.length; i++) {
      if (r.nextDouble() < wrongFraction) {
        pred[i] = (pred[i] + 1 + r.nextInt(s.classes() - 1)) % s.classes();
      }
    }
    return new ProbeSet(s.name(), s.shape(), s.classes(), s.lo(), s.hi(), pred, s.uint8(), s.float32());
  }
}
