package io.lipwatch.trainer.model;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
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

  /**
   * A small CNN for 28×28×1 inputs given flat (784 values; a preprocessor reshapes them): conv 5×5 8 → max-pool 2 →
   * conv 5×5 16 → max-pool 2 → dense softmax. Only layers the Lipschitz engine bounds (convolution, non-overlapping
   * max pooling, dense, flattening preprocessors); 5994 parameters. Measured on a shared 2-core machine: about 0.8 s
   * per minibatch of 128 through the trainer's step (DL4J's CPU convolution dominates), so use --train-samples.
   */
  public static MultiLayerNetwork cnn(int height, int width, int channels, int classes, double learningRate, long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(WeightInit.RELU)
        .updater(new Adam(learningRate))
        .list()
        .layer(new ConvolutionLayer.Builder(5, 5).name("conv0").nOut(8).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool0").kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(5, 5).name("conv1").nOut(16).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool1").kernelSize(2, 2).stride(2, 2).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("logits").nOut(classes)
            .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER).build())
        .setInputType(InputType.convolutionalFlat(height, width, channels))
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /**
   * The 1-D regression network: sigmoid hidden layers and a linear output with MSE (the CLIP paper uses 500/200/100).
   */
  public static MultiLayerNetwork regression(int[] hidden, double learningRate, long seed) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .weightInit(WeightInit.XAVIER)
        .updater(new Adam(learningRate))
        .list();
    int in = 1;
    for (int i = 0; i < hidden.length; i++) {
      b.layer(new DenseLayer.Builder().name("dense" + i).nIn(in).nOut(hidden[i]).activation(Activation.SIGMOID).build());
      in = hidden[i];
    }
    b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(in).nOut(1)
        .activation(Activation.IDENTITY).build());
    MultiLayerNetwork net = new MultiLayerNetwork(b.build());
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
