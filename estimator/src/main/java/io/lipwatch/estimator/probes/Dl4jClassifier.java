package io.lipwatch.estimator.probes;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossNegativeLogLikelihood;

/**
 * General path through DL4J itself (CNNs, graphs): logits from the output layer's pre-activation, input gradients from
 * {@code MultiLayerNetwork.calculateGradients} (the output layer's own loss). Graphs get logits only: DL4J
 * 1.0.0-M2.1 exposes no input gradient for a ComputationGraph.
 */
final class Dl4jClassifier implements Classifier {
  private final MultiLayerNetwork mln;
  private final ComputationGraph graph;
  private final long[] sampleShape;
  private final DataType netType;
  private final String outputLayerName;
  private final String outputInputName;
  private final INDArray w;
  private final INDArray b;
  private final InputPreProcessor outputPre;
  final boolean crossEntropyLoss;

  /** DL4J 1.0.0-M2.1 has calculateGradients (input gradients) for MultiLayerNetwork only. */
  static final String GRAPH_NO_GRADIENT = "ComputationGraph input gradients are not available in DL4J 1.0.0-M2.1";

  @Override
  public boolean hasGradients() {
    return mln != null;
  }

  Dl4jClassifier(Model model, long[] sampleShape) {
    this.sampleShape = sampleShape;
    org.deeplearning4j.nn.api.Layer out;
    if (model instanceof MultiLayerNetwork m) {
      mln = m;
      graph = null;
      out = m.getOutputLayer();
      outputPre = m.getLayerWiseConfigurations().getInputPreProcess(m.getnLayers() - 1);
      outputLayerName = null;
      outputInputName = null;
      netType = m.params().dataType();
    } else if (model instanceof ComputationGraph g) {
      if (g.getNumInputArrays() != 1 || g.getNumOutputArrays() != 1) {
        throw new IllegalArgumentException("probes need a graph with one input and one output, this one has "
            + g.getNumInputArrays() + " and " + g.getNumOutputArrays());
      }
      mln = null;
      graph = g;
      outputLayerName = g.getConfiguration().getNetworkOutputs().get(0);
      List<String> ins = g.getConfiguration().getVertexInputs().get(outputLayerName);
      if (ins == null || ins.size() != 1) {
        throw new IllegalArgumentException("output vertex " + outputLayerName + " must have exactly one input");
      }
      outputInputName = ins.get(0);
      out = g.getLayer(outputLayerName);
      if (out == null) {
        throw new IllegalArgumentException("graph output " + outputLayerName + " is not a layer");
      }
      var vconf = g.getConfiguration().getVertices().get(outputLayerName);
      outputPre = vconf instanceof LayerVertex lv ? lv.getPreProcessor() : null;
      netType = g.params().dataType();
    } else {
      throw new IllegalArgumentException("probes need a MultiLayerNetwork or ComputationGraph, got "
          + (model == null ? "null" : model.getClass().getSimpleName()));
    }
    org.deeplearning4j.nn.conf.layers.Layer conf = out.conf().getLayer();
    if (conf instanceof BaseOutputLayer bol && out.getParam("W") != null) {
      w = out.getParam("W");
      INDArray bb = out.getParam("b");
      b = bb == null ? null : bb.reshape(1, w.size(1));
      crossEntropyLoss = isCrossEntropy(bol.getLossFn(), bol.getActivationFn());
    } else if (conf instanceof LossLayer ll) {
      w = null;
      b = null;
      crossEntropyLoss = isCrossEntropy(ll.getLossFn(), ll.getActivationFn());
    } else {
      throw new IllegalArgumentException("output layer " + conf.getClass().getSimpleName()
          + " is not supported by the probes (need an OutputLayer or LossLayer)");
    }
  }

  private static boolean isCrossEntropy(ILossFunction loss, org.nd4j.linalg.activations.IActivation act) {
    return act instanceof ActivationSoftmax && (loss instanceof LossMCXENT || loss instanceof LossNegativeLogLikelihood);
  }

  @Override
  public String path() {
    return mln != null ? "dl4j-mln" : "dl4j-graph";
  }

  private INDArray toNet(INDArray flat) {
    long[] shape = new long[sampleShape.length + 1];
    shape[0] = flat.size(0);
    System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
    INDArray x = flat.dataType() == netType ? flat : flat.castTo(netType);
    return x.reshape('c', shape);
  }

  /** Input of the output layer (after its preprocessor), in inference mode. */
  private INDArray outputLayerInput(INDArray flat) {
    INDArray x = toNet(flat);
    INDArray h;
    if (mln != null) {
      if (mln.getnLayers() == 1) {
        h = x;
      } else {
        List<INDArray> acts = mln.feedForwardToLayer(mln.getnLayers() - 2, x, false);
        h = acts.get(acts.size() - 1);
      }
    } else {
      Map<String, INDArray> acts = graph.feedForward(x, false);
      h = acts.get(outputInputName);
    }
    if (outputPre != null) {
      h = outputPre.preProcess(h, (int) flat.size(0), LayerWorkspaceMgr.noWorkspaces());
    }
    return h;
  }

  @Override
  public INDArray logits(INDArray x) {
    INDArray h = outputLayerInput(x);
    if (w == null) {
      return h.castTo(DataType.FLOAT);
    }
    INDArray z = h.mmul(w);
    if (b != null) {
      z.addiRowVector(b);
    }
    return z.castTo(DataType.FLOAT);
  }

  @Override
  public INDArray logitsDouble(INDArray x) {
    INDArray h = outputLayerInput(x).castTo(DataType.DOUBLE);
    if (w == null) {
      return h;
    }
    INDArray z = h.mmul(w.castTo(DataType.DOUBLE));
    if (b != null) {
      z.addiRowVector(b.castTo(DataType.DOUBLE));
    }
    return z;
  }

  @Override
  public boolean supports(LogitLoss loss) {
    return hasGradients() && (loss == LogitLoss.CE || crossEntropyLoss);
  }

  /**
   * Any loss through DL4J's own backward pass: with a softmax/cross-entropy output the gradient at the logits is
   * p − t for labels t, so labels t = p − g carry any logit gradient g (row-scaled) whose entries sum to zero (every LogitLoss's do).
   */
  @Override
  public Step step(INDArray x, INDArray onehot, int[] labels, LogitLoss loss) {
    if (loss == LogitLoss.CE || !crossEntropyLoss) {
      return Classifier.super.step(x, onehot, labels, loss);
    }
    INDArray logits = logits(x);
    INDArray g = loss.gradient(logits, labels);
    // rows scaled to max |g| = 1 (direction unchanged) so that p − (p − g) keeps g in float
    g.diviColumnVector(g.dup().amax(1).reshape(g.size(0), 1).addi(1e-30));
    INDArray t = org.nd4j.linalg.ops.transforms.Transforms.softmax(logits.castTo(netType), true).subi(g.castTo(netType));
    INDArray grad = mln.calculateGradients(toNet(x), t, null, null).getSecond();
    return new Step(logits, grad.castTo(DataType.FLOAT).reshape('c', x.size(0), x.size(1)));
  }

  @Override
  public Step step(INDArray x, INDArray onehot) {
    INDArray logits = logits(x);
    INDArray in = toNet(x);
    INDArray labels = onehot.dataType() == netType ? onehot : onehot.castTo(netType);
    INDArray grad;
    if (mln != null) {
      grad = mln.calculateGradients(in, labels, null, null).getSecond();
    } else {
      throw new UnsupportedOperationException(GRAPH_NO_GRADIENT);
    }
    return new Step(logits, grad.castTo(DataType.FLOAT).reshape('c', x.size(0), x.size(1)));
  }
}
