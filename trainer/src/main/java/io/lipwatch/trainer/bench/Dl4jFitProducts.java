package io.lipwatch.trainer.bench;

import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The matrix products DL4J's {@code fit} runs for a dense network, timed alone: per layer and minibatch, the forward
 * product {@code input.mmuli(W, out)} into an 'f'-order array, the weight gradient {@code Nd4j.gemm(input, delta,
 * weightGrad, true, false, 1, 0)} into the 'f'-order gradient view, and the gradient to the layer's input {@code
 * W.mmuli(delta.transpose(), eps)} into an 'f'-order array (DL4J's dense layers compute it for the first layer too).
 * Same shapes, orders and calls as DL4J's dense layers; no activations, loss or updater. It answers whether {@code
 * fit} could reach PyTorch's epoch by any setting of DL4J: its products alone are the floor of its epoch.
 */
final class Dl4jFitProducts {
  private final INDArray[] w;
  private final INDArray[] wGrad;

  Dl4jFitProducts(MultiLayerNetwork net) {
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    w = new INDArray[layers.length];
    wGrad = new INDArray[layers.length];
    for (int i = 0; i < layers.length; i++) {
      INDArray p = layers[i].getParam("W");
      w[i] = p.castTo(DataType.FLOAT).dup('f');
      wGrad[i] = Nd4j.create(DataType.FLOAT, new long[] {p.size(0), p.size(1)}, 'f');
    }
  }

  /** Seconds for one epoch's products over {@code batches}, in their order. */
  double epochSeconds(List<DataSet> batches) {
    long t0 = System.nanoTime();
    for (DataSet d : batches) {
      step(d.getFeatures().castTo(DataType.FLOAT));
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private void step(INDArray x) {
    long b = x.size(0);
    INDArray[] in = new INDArray[w.length];
    INDArray a = x;
    for (int i = 0; i < w.length; i++) {
      in[i] = a;
      INDArray out = Nd4j.createUninitialized(DataType.FLOAT, new long[] {b, w[i].size(1)}, 'f');
      a = a.mmuli(w[i], out);
    }
    INDArray delta = a; // any values of the output's shape: the products' cost does not depend on them
    for (int i = w.length - 1; i >= 0; i--) {
      Nd4j.gemm(in[i], delta, wGrad[i], true, false, 1.0, 0.0);
      INDArray eps = Nd4j.createUninitialized(DataType.FLOAT, new long[] {w[i].size(0), b}, 'f');
      delta = w[i].mmuli(delta.transpose(), eps).transpose();
    }
  }
}
