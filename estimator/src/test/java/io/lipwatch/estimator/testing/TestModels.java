package io.lipwatch.estimator.testing;

import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small DL4J models and snapshot zips for tests (fixed seeds). */
public final class TestModels {
  private TestModels() {}

  /** An MLP with the given layer sizes (sizes[0] inputs), hidden activation and a softmax output. */
  public static MultiLayerNetwork mlp(long seed, Activation hidden, int... sizes) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).list();
    for (int i = 1; i < sizes.length - 1; i++) {
      b.layer(new DenseLayer.Builder().nIn(sizes[i - 1]).nOut(sizes[i]).activation(hidden).build());
    }
    b.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(sizes[sizes.length - 2]).nOut(sizes[sizes.length - 1])
        .activation(Activation.SOFTMAX).build());
    MultiLayerConfiguration conf = b.build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** Replaces every weight by |w| (biases kept): with ReLU the Lipschitz constant is then exactly ‖W_L…W_1‖₂. */
  public static MultiLayerNetwork nonNegative(MultiLayerNetwork net) {
    for (var layer : net.getLayers()) {
      layer.setParam("W", Nd4j.math().abs(layer.getParam("W")));
    }
    return net;
  }

  public static byte[] zip(MultiLayerNetwork net) {
    try {
      ByteArrayOutputStream bos = new ByteArrayOutputStream();
      ModelSerializer.writeModel(net, bos, false);
      return bos.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The headers of a well-formed snapshot of this zip. */
  public static Map<String, String> headers(String model, long version, byte[] zip) {
    return SnapshotMetadata.of(model, version, Sha256.hex(zip)).withProvenance("fashion-mnist", new double[] {0, 1},
        "none", 0.0, 1, 0.5, "test-run").toHeaderMap();
  }

  public static byte[] randomBytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
