package io.lipwatch.trainer.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Network architectures the trainer can build. */
public final class Architectures {
  private Architectures() {}

  /**
   * An MLP with the given hidden sizes and activation and a softmax output (bounds are taken of its logits).
   *
   * @param learningRate Adam learning rate
   */
  public static MultiLayerNetwork mlp(int inputs, int[] hidden, int classes, Activation activation, double learningRate, long seed) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(WeightInit.XAVIER)
        .updater(new Adam(learningRate))
        .list();
    int in = inputs;
    for (int i = 0; i < hidden.length; i++) {
      b.layer(new DenseLayer.Builder().name("dense" + i).nIn(in).nOut(hidden[i]).activation(activation).build());
      in = hidden[i];
    }
    b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("logits").nIn(in).nOut(classes)
        .activation(Activation.SOFTMAX).build());
    MultiLayerConfiguration conf = b.build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** Parses "256,256" into hidden sizes. */
  public static int[] parseHidden(String spec) {
    String[] parts = spec.split(",");
    int[] h = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        h[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("hidden sizes must be comma-separated positive integers, got '" + spec + "'");
      }
      if (h[i] <= 0 || h[i] > 100_000) {
        throw new IllegalArgumentException("hidden size " + h[i] + " out of range (1..100000)");
      }
    }
    return h;
  }
}
