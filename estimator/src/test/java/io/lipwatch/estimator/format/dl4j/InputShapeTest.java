package io.lipwatch.estimator.format.dl4j;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.UnsupportedLayerException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * CNNs configured with {@code InputType.convolutional(h, w, c)} take 4-D input and have no FeedForwardToCnn
 * preprocessor: their input shape comes from the configuration when it determines it, else from the
 * {@code lipwatch.input-shape} header; either way the extracted network computes DL4J's own output.
 */
class InputShapeTest {

  static MultiLayerNetwork cnn(boolean pooled, int h, int w, int c) {
    var list = new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.DOUBLE).weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(5, 3).nOut(4).activation(Activation.RELU).build());
    if (pooled) {
      list.layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build());
    }
    MultiLayerConfiguration conf = list.layer(new DenseLayer.Builder().nOut(12).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutional(h, w, c)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** Engine logits through softmax against DL4J's output, on random 4-D inputs. */
  static void matchesDl4j(MultiLayerNetwork net, ExtractedNetwork x, long[] shape) {
    Random r = new Random(1);
    int d = (int) (shape[0] * shape[1] * shape[2]);
    assertEquals(d, x.inputDim());
    for (int t = 0; t < 3; t++) {
      double[] in = new double[d];
      for (int i = 0; i < d; i++) {
        in[i] = r.nextDouble();
      }
      double[][] vals = x.forward(in);
      double[] z = vals[vals.length - 1];
      INDArray out = net.output(Nd4j.createFromArray(in).reshape(1, shape[0], shape[1], shape[2]), false);
      double m = java.util.Arrays.stream(z).max().orElseThrow();
      double s = java.util.Arrays.stream(z).map(v -> Math.exp(v - m)).sum();
      for (int k = 0; k < z.length; k++) {
        assertEquals(out.getDouble(0, k), Math.exp(z[k] - m) / s, 1e-9, "output " + k);
      }
    }
  }

  @Test
  void configurationDeterminesTheShapeWhenUnique() {
    MultiLayerNetwork net = cnn(false, 20, 17, 2);
    assertTrue(InputShapeInference.needsShape(net));
    assertArrayEquals(new long[] {2, 20, 17}, InputShapeInference.fromConfiguration(net));
    ExtractedNetwork x = NetworkExtractor.extract(net);
    assertArrayEquals(new long[] {2, 20, 17}, x.inputShape());
    matchesDl4j(net, x, new long[] {2, 20, 17});
  }

  @Test
  void ambiguousShapesNeedTheHeader() {
    MultiLayerNetwork net = cnn(true, 28, 28, 1);
    // 28 and 29 rows both end at 12 after a 5-row kernel and 2×2 pooling
    List<long[]> c = InputShapeInference.candidates(net);
    assertTrue(c.size() > 1, "candidates " + c.size());
    assertNull(InputShapeInference.fromConfiguration(net));
    UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, () -> NetworkExtractor.extract(net));
    assertTrue(e.getMessage().contains("lipwatch.input-shape"), e.getMessage());
    long[] shape = NetworkExtractor.parseInputShape(" 1, 28,28 ");
    ExtractedNetwork x = NetworkExtractor.extract(net, shape);
    matchesDl4j(net, x, shape);
  }

  @Test
  void headerParsing() {
    assertArrayEquals(new long[] {3, 32, 32}, NetworkExtractor.parseInputShape("3,32,32"));
    assertArrayEquals(new long[] {784}, NetworkExtractor.parseInputShape("784"));
    assertNull(NetworkExtractor.parseInputShape(null));
    assertNull(NetworkExtractor.parseInputShape(" "));
    for (String bad : new String[] {"0,28,28", "1,28", "a,b,c", "-1,2,3", "1,99999999999,1", "65536,65536,65536"}) {
      assertThrows(IllegalArgumentException.class, () -> NetworkExtractor.parseInputShape(bad), bad);
    }
  }
}
