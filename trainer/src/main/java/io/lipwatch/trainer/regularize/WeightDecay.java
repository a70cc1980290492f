package io.lipwatch.trainer.regularize;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Weight decay, the CLIP paper's baseline: µ/2·‖W‖² over weight matrices and kernels (DL4J's "W" parameters), not
 * biases. Which entries of the flattened parameter vector are weights is read from DL4J's own parameter views once.
 */
public final class WeightDecay implements ParameterPenalty {
  private INDArray mask;

  /** Adds µ·W to the gradient of every weight matrix and kernel; returns ½‖W‖². */
  @Override
  public double addGradient(MultiLayerNetwork net, INDArray grad, double weight) {
    if (mask == null) {
      mask = weightMask(net);
    }
    INDArray w = net.params().mul(mask);
    double half = 0.5 * w.mul(w).sumNumber().doubleValue();
    if (weight > 0) {
      grad.addi(w.muli(weight).reshape(grad.shape()));
    }
    return half;
  }

  /** 1 where the flattened parameters hold a weight matrix or kernel, 0 elsewhere (detached: outlives any workspace). */
  private static INDArray weightMask(MultiLayerNetwork net) {
    INDArray m = Nd4j.zeros(net.params().dataType(), net.params().shape());
    INDArray saved = net.params().dup();
    net.params().assign(0);
    for (Layer l : net.getLayers()) {
      INDArray wv = l.paramTable().get("W");
      if (wv != null) {
        wv.assign(1);
      }
    }
    m.assign(net.params());
    net.params().assign(saved);
    return m.detach();
  }
}
