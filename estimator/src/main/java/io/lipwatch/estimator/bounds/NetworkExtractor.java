package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.snapshot.RestoredModel;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Turns a restored DL4J model into an {@link ExtractedNetwork}, refusing (by name) any layer it cannot bound. */
public final class NetworkExtractor {
  private NetworkExtractor() {}

  public static ExtractedNetwork extract(RestoredModel model) {
    if (model.mln() != null) {
      return extract(model.mln());
    }
    throw new UnsupportedLayerException("(graph)", "ComputationGraph", "ComputationGraph models are not yet supported by the engine");
  }

  public static ExtractedNetwork extract(MultiLayerNetwork net) {
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    List<Stage> stages = new ArrayList<>();
    int inputDim = -1;
    for (int i = 0; i < layers.length; i++) {
      org.deeplearning4j.nn.conf.layers.Layer conf = layers[i].conf().getLayer();
      String name = conf.getLayerName() == null ? "layer" + i : conf.getLayerName();
      String type = conf.getClass().getSimpleName();
      boolean last = i == layers.length - 1;
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      if (pre != null && !(pre instanceof CnnToFeedForwardPreProcessor) && !(pre instanceof FeedForwardToCnnPreProcessor)) {
        throw new UnsupportedLayerException(name, type, "input preprocessor " + pre.getClass().getSimpleName() + " is not supported");
      }
      // flattening preprocessors only reorder coordinates: an isometry, nothing to bound
      if (conf instanceof DenseLayer || conf instanceof BaseOutputLayer) {
        org.deeplearning4j.nn.conf.layers.BaseLayer bl = (org.deeplearning4j.nn.conf.layers.BaseLayer) conf;
        INDArray w = layers[i].getParam("W");
        if (w == null) {
          throw new UnsupportedLayerException(name, type, "has no weight parameter W");
        }
        DenseMatrix a = DenseMatrix.fromDl4jWeights(w);
        INDArray b = layers[i].getParam("b");
        double[] bias = b == null ? new double[a.rows()] : b.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup().data().asDouble();
        ActivationSpec act = ActivationSpec.of(bl.getActivationFn(), name, type);
        stages.add(new Stage(name, type, a, bias, outputActivation(act, last)));
        if (inputDim < 0) {
          inputDim = a.cols();
        }
      } else if (conf instanceof ActivationLayer al) {
        stages.add(new Stage(name, type, null, null, outputActivation(ActivationSpec.of(al.getActivationFn(), name, type), last)));
      } else if (conf instanceof DropoutLayer) {
        stages.add(new Stage(name, type, null, null, ActivationSpec.IDENTITY));
      } else {
        throw new UnsupportedLayerException(name, type, "the engine has no Lipschitz bound for this layer type yet");
      }
    }
    List<Stage> linear = stages.stream().filter(s -> s.linear() != null).toList();
    if (linear.isEmpty()) {
      throw new UnsupportedLayerException("(network)", "MultiLayerNetwork", "no layer with weights");
    }
    for (int k = 1; k < linear.size(); k++) {
      if (linear.get(k).inDim() != linear.get(k - 1).outDim()) {
        throw new UnsupportedLayerException(linear.get(k).name(), linear.get(k).type(),
            "input size " + linear.get(k).inDim() + " does not match the previous layer's " + linear.get(k - 1).outDim());
      }
    }
    return new ExtractedNetwork("MultiLayerNetwork", List.copyOf(stages), inputDim, linear.get(linear.size() - 1).outDim(),
        layers.length, net.numParams());
  }

  /** A softmax on the last layer is dropped: bounds are of the logits. */
  private static ActivationSpec outputActivation(ActivationSpec act, boolean last) {
    if (last && act.name().equals("softmax")) {
      return ActivationSpec.IDENTITY;
    }
    return act;
  }
}
