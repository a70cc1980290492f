package io.lipwatch.estimator.format.dl4j;

import io.lipwatch.estimator.network.UnsupportedLayerException;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The input shape of a MultiLayerNetwork configured with {@code InputType.convolutional(h, w, c)}: DL4J does not keep the
 * InputType, but it keeps what it derived from it — the first convolution's nIn (c) and the flattening preprocessor's
 * height and width after the convolution/pooling chain. Every (h, w) whose geometry maps to those is a candidate; the
 * shape is used only when it is the only one (strided layers can make two inputs end at the same size: then the
 * {@code lipwatch.input-shape} header, or a probe set of that shape, is needed).
 */
public final class InputShapeInference {
  static final int MAX_SIDE = 4096;

  private InputShapeInference() {}

  /** True when the first layer is convolutional and no preprocessor gives the input shape. */
  public static boolean needsShape(MultiLayerNetwork net) {
    if (net.getnLayers() == 0) {
      return false;
    }
    Layer first = net.getLayer(0).conf().getLayer();
    InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(0);
    return !(pre instanceof FeedForwardToCnnPreProcessor)
        && (first.getClass() == ConvolutionLayer.class || first.getClass() == SubsamplingLayer.class);
  }

  /**
   * True when a vertex reading the graph's input is convolutional without a preprocessor giving the shape: DL4J keeps no
   * input type in a graph's configuration, so the shape must come from the header or the probe set.
   */
  public static boolean needsShape(ComputationGraph graph) {
    var conf = graph.getConfiguration();
    if (conf.getNetworkInputs().size() != 1) {
      return false;
    }
    String in = conf.getNetworkInputs().get(0);
    for (var e : conf.getVertexInputs().entrySet()) {
      if (e.getValue().contains(in) && conf.getVertices().get(e.getKey()) instanceof LayerVertex lv) {
        Layer l = lv.getLayerConf().getLayer();
        boolean conv = l.getClass() == ConvolutionLayer.class || l.getClass() == SubsamplingLayer.class;
        if (conv && !(lv.getPreProcessor() instanceof FeedForwardToCnnPreProcessor)) {
          return true;
        }
      }
    }
    return false;
  }

  /** [c, h, w] when the configuration determines it uniquely; null otherwise (or when it is not needed). */
  public static long[] fromConfiguration(MultiLayerNetwork net) {
    List<long[]> c = candidates(net);
    return c.size() == 1 ? c.get(0) : null;
  }

  /** Every [c, h, w] consistent with the configuration (empty when it does not say, or is not convolutional). */
  public static List<long[]> candidates(MultiLayerNetwork net) {
    List<long[]> out = new ArrayList<>();
    if (!needsShape(net)) {
      return out;
    }
    Layer first = net.getLayer(0).conf().getLayer();
    if (!(first instanceof ConvolutionLayer conv)) {
      return out;
    }
    int channels = (int) conv.getNIn();
    List<Layer> chain = new ArrayList<>();
    CnnToFeedForwardPreProcessor flat = null;
    for (int i = 0; i < net.getnLayers(); i++) {
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      if (i > 0 && pre instanceof CnnToFeedForwardPreProcessor f) {
        flat = f;
        break;
      }
      if (i > 0 && pre != null) {
        return out;
      }
      Layer l = net.getLayer(i).conf().getLayer();
      if (l.getClass() == ConvolutionLayer.class || l.getClass() == SubsamplingLayer.class) {
        chain.add(l);
      } else if (!(l instanceof ActivationLayer || l instanceof BatchNormalization || l instanceof DropoutLayer)) {
        return out;
      }
    }
    if (flat == null || channels < 1) {
      return out;
    }
    List<Integer> hs = sides(chain, (int) flat.getInputHeight(), true);
    List<Integer> ws = sides(chain, (int) flat.getInputWidth(), false);
    for (int h : hs) {
      for (int w : ws) {
        out.add(new long[] {channels, h, w});
      }
    }
    return out;
  }

  /** Input sizes along one axis that the chain maps to {@code target}. */
  private static List<Integer> sides(List<Layer> chain, int target, boolean height) {
    List<Integer> out = new ArrayList<>();
    for (int n = 1; n <= MAX_SIDE; n++) {
      int v = n;
      boolean ok = true;
      for (Layer l : chain) {
        try {
          NetworkExtractor.Shape s = height ? NetworkExtractor.Shape.cnn(1, v, 64) : NetworkExtractor.Shape.cnn(1, 64, v);
          int[] geo;
          if (l instanceof ConvolutionLayer c) {
            long[] k = {c.getKernelSize()[0], c.getKernelSize()[1]};
            geo = NetworkExtractor.geometry("", "", c.getConvolutionMode(), s, new int[] {(int) k[0], (int) k[1]},
                c.getStride(), c.getPadding(), c.getDilation());
          } else {
            SubsamplingLayer p = (SubsamplingLayer) l;
            geo = NetworkExtractor.geometry("", "", p.getConvolutionMode(), s, p.getKernelSize(), p.getStride(),
                p.getPadding(), p.getDilation());
          }
          v = height ? geo[0] : geo[1];
        } catch (UnsupportedLayerException | ArithmeticException e) {
          // integer geometry only (no ND4J call): these two rule this candidate size out. Anything else — a bug, or an
          // Error — propagates to the record handler, which turns every Throwable into a DLQ record
          ok = false;
          break;
        }
      }
      if (ok && v == target) {
        out.add(n);
      }
    }
    return out;
  }
}
