package io.lipwatch.estimator.format.dl4j;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.DiagonalOperator;
import io.lipwatch.estimator.linalg.SparseMatrix;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import io.lipwatch.estimator.network.UnsupportedLayerException;

import io.lipwatch.estimator.snapshot.RestoredModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CenterLossOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a restored DL4J model into an {@link ExtractedNetwork}, refusing (by name and type) any layer, vertex,
 * preprocessor or setting it cannot bound: a clear error, never a silently wrong number. Layer classes are matched
 * exactly (Deconvolution2D, depthwise/separable and 1-D convolutions subclass ConvolutionLayer and are refused).
 */
public final class NetworkExtractor {
  private NetworkExtractor() {}

  /** Shape of one example: feed-forward [n] (cnn == false) or NCHW [c, h, w]. */
  public record Shape(boolean cnn, int c, int h, int w) {
    public static Shape ff(int n) {
      return new Shape(false, n, 1, 1);
    }

    public static Shape cnn(int c, int h, int w) {
      return new Shape(true, c, h, w);
    }

    int size() {
      return c * h * w;
    }
  }

  public static ExtractedNetwork extract(RestoredModel model) {
    return extract(model, null);
  }

  /** {@code inputShape} ([n] or [c, h, w]) is needed only when the model does not reveal it. */
  public static ExtractedNetwork extract(RestoredModel model, long[] inputShape) {
    if (model.mln() != null) {
      return extract(model.mln(), inputShape);
    }
    return extract(model.graph(), inputShape);
  }

  public static ExtractedNetwork extract(MultiLayerNetwork net) {
    return extract(net, null);
  }

  /**
   * Parses the {@code lipwatch.input-shape} header: {@code c,h,w} (a convolutional input, NCHW) or {@code n} (flat);
   * null for null or blank. Every entry must be a positive integer and the total at most 2³¹ − 1.
   */
  public static long[] parseInputShape(String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    String[] parts = header.trim().split("\\s*,\\s*");
    if (parts.length != 1 && parts.length != 3) {
      throw new IllegalArgumentException("input shape must be 'c,h,w' or 'n', got '" + header + "'");
    }
    long[] out = new long[parts.length];
    long total = 1;
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Long.parseLong(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("input shape must be positive integers, got '" + header + "'");
      }
      if (out[i] < 1 || out[i] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("input shape entries must be positive integers, got '" + header + "'");
      }
      total = Math.multiplyExact(total, out[i]);
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("input shape " + header + " is too large");
    }
    return out;
  }

  public static ExtractedNetwork extract(MultiLayerNetwork net, long[] inputShape) {
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    Builder b = new Builder();
    long[] given = inputShape != null ? inputShape : InputShapeInference.fromConfiguration(net);
    Shape shape = initialShape(given, layers.length == 0 ? null : layers[0].conf().getLayer(),
        net.getLayerWiseConfigurations().getInputPreProcess(0));
    Shape in = shape;
    int cur = -1;
    for (int i = 0; i < layers.length; i++) {
      Layer conf = layers[i].conf().getLayer();
      String name = conf.getLayerName() == null ? "layer" + i : conf.getLayerName();
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      shape = preprocess(pre, shape, name, conf.getClass().getSimpleName());
      Placed p = layer(b, conf, layers[i], name, cur, shape, i == layers.length - 1);
      cur = p.node;
      shape = p.shape;
    }
    if (b.nodes.isEmpty() || b.nodes.stream().noneMatch(n -> n.linear() != null)) {
      throw new UnsupportedLayerException("(network)", "MultiLayerNetwork", "no layer with weights");
    }
    return new ExtractedNetwork("MultiLayerNetwork", List.copyOf(b.nodes), shapeArray(in), in.size(),
        b.nodes.get(b.nodes.size() - 1).outDim(), layers.length, net.numParams());
  }

  public static ExtractedNetwork extract(ComputationGraph graph, long[] inputShape) {
    ComputationGraphConfiguration conf = graph.getConfiguration();
    if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
      throw new UnsupportedLayerException("(graph)", "ComputationGraph",
          "only one input and one output are supported (inputs " + conf.getNetworkInputs() + ", outputs " + conf.getNetworkOutputs() + ")");
    }
    String inputName = conf.getNetworkInputs().get(0);
    String outputName = conf.getNetworkOutputs().get(0);
    Map<String, GraphVertex> vertices = conf.getVertices();
    Map<String, List<String>> inputs = conf.getVertexInputs();
    // the input shape: given, or from the vertex that reads the network input
    Shape inShape = null;
    if (inputShape != null) {
      inShape = initialShape(inputShape, null, null);
    } else {
      for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
        if (e.getValue().contains(inputName) && vertices.get(e.getKey()) instanceof LayerVertex lv) {
          inShape = initialShape(null, lv.getLayerConf().getLayer(), lv.getPreProcessor());
          break;
        }
      }
      if (inShape == null) {
        throw new UnsupportedLayerException(inputName, "input", "input shape unknown: pass it to the engine");
      }
    }
    Builder b = new Builder();
    Map<String, Integer> nodeOf = new HashMap<>();
    Map<String, Shape> shapeOf = new HashMap<>();
    nodeOf.put(inputName, -1);
    shapeOf.put(inputName, inShape);
    for (String name : conf.getTopologicalOrderStr()) {
      if (name.equals(inputName)) {
        continue;
      }
      GraphVertex v = vertices.get(name);
      List<String> ins = inputs.get(name);
      String type = v.getClass().getSimpleName();
      if (v instanceof LayerVertex lv) {
        requireSingle(name, type, ins);
        Layer lc = lv.getLayerConf().getLayer();
        Shape s = preprocess(lv.getPreProcessor(), shapeOf.get(ins.get(0)), name, lc.getClass().getSimpleName());
        Placed p = layer(b, lc, graph.getLayer(name), name, nodeOf.get(ins.get(0)), s, name.equals(outputName));
        nodeOf.put(name, p.node);
        shapeOf.put(name, p.shape);
      } else if (v instanceof PreprocessorVertex pv) {
        requireSingle(name, type, ins);
        nodeOf.put(name, nodeOf.get(ins.get(0)));
        shapeOf.put(name, preprocess(pv.getPreProcessor(), shapeOf.get(ins.get(0)), name, type));
      } else if (v instanceof ElementWiseVertex ew) {
        int n = ins.size();
        double[] coeffs = new double[n];
        switch (ew.getOp()) {
          case Add -> java.util.Arrays.fill(coeffs, 1.0);
          case Average -> java.util.Arrays.fill(coeffs, 1.0 / n);
          case Subtract -> {
            if (n != 2) {
              throw new UnsupportedLayerException(name, type, "subtract needs two inputs");
            }
            coeffs[0] = 1;
            coeffs[1] = -1;
          }
          default -> throw new UnsupportedLayerException(name, type, "element-wise " + ew.getOp() + " has no bound in the engine");
        }
        Shape s0 = shapeOf.get(ins.get(0));
        for (String i : ins) {
          if (!shapeOf.get(i).equals(s0)) {
            throw new UnsupportedLayerException(name, type, "inputs of different shapes");
          }
        }
        int[] idx = ins.stream().mapToInt(nodeOf::get).toArray();
        nodeOf.put(name, b.add(name, "ElementWiseVertex(" + ew.getOp() + ")", idx, new Op.Sum(coeffs), s0.size()));
        shapeOf.put(name, s0);
      } else if (v instanceof MergeVertex mv) {
        Shape s0 = shapeOf.get(ins.get(0));
        int c = 0;
        for (String i : ins) {
          Shape si = shapeOf.get(i);
          if (si.cnn() != s0.cnn() || si.h() != s0.h() || si.w() != s0.w()) {
            throw new UnsupportedLayerException(name, type, "inputs of incompatible shapes");
          }
          c += si.c();
        }
        if (s0.cnn() && mv.getMergeAxis() != 1) {
          throw new UnsupportedLayerException(name, type, "merge along axis " + mv.getMergeAxis() + " (only channels)");
        }
        Shape out = s0.cnn() ? Shape.cnn(c, s0.h(), s0.w()) : Shape.ff(c);
        int[] idx = ins.stream().mapToInt(nodeOf::get).toArray();
        nodeOf.put(name, b.add(name, "MergeVertex", idx, new Op.Concat(), out.size()));
        shapeOf.put(name, out);
      } else {
        throw new UnsupportedLayerException(name, type, "the engine has no Lipschitz bound for this vertex type");
      }
    }
    int out = nodeOf.get(outputName);
    if (out != b.nodes.size() - 1) {
      throw new UnsupportedLayerException(outputName, "output", "vertices not on the path to the output are not supported");
    }
    if (b.nodes.stream().noneMatch(n -> n.linear() != null)) {
      throw new UnsupportedLayerException("(graph)", "ComputationGraph", "no layer with weights");
    }
    return new ExtractedNetwork("ComputationGraph", List.copyOf(b.nodes), shapeArray(inShape), inShape.size(),
        b.nodes.get(out).outDim(), graph.getLayers().length, graph.numParams());
  }

  private static void requireSingle(String name, String type, List<String> ins) {
    if (ins == null || ins.size() != 1) {
      throw new UnsupportedLayerException(name, type, "expects exactly one input, has " + ins);
    }
  }

  private static long[] shapeArray(Shape s) {
    return s.cnn() ? new long[] {s.c(), s.h(), s.w()} : new long[] {s.c()};
  }

  private static Shape initialShape(long[] given, Layer first, InputPreProcessor pre) {
    if (given != null) {
      if (given.length == 1) {
        return Shape.ff((int) given[0]);
      }
      if (given.length == 3) {
        return Shape.cnn((int) given[0], (int) given[1], (int) given[2]);
      }
      throw new IllegalArgumentException("input shape must be [n] or [c, h, w]");
    }
    if (pre instanceof FeedForwardToCnnPreProcessor f) {
      return Shape.ff((int) (f.getNumChannels() * f.getInputHeight() * f.getInputWidth()));
    }
    if (first instanceof DenseLayer || first instanceof OutputLayer || first instanceof CenterLossOutputLayer) {
      return Shape.ff((int) ((org.deeplearning4j.nn.conf.layers.FeedForwardLayer) first).getNIn());
    }
    String n = first == null ? "(input)" : first.getLayerName();
    throw new UnsupportedLayerException(n == null ? "layer0" : n, first == null ? "input" : first.getClass().getSimpleName(),
        "input shape unknown (no FeedForwardToCnn preprocessor, and the configuration does not determine it): send the "
            + "lipwatch.input-shape header (c,h,w)");
  }

  /** Flattening preprocessors only reinterpret the same NCHW c-order numbers: nothing to bound, no node. */
  private static Shape preprocess(InputPreProcessor pre, Shape s, String name, String type) {
    if (pre == null) {
      return s;
    }
    if (pre instanceof CnnToFeedForwardPreProcessor c) {
      if (c.getFormat() != null && c.getFormat() != CNN2DFormat.NCHW) {
        throw new UnsupportedLayerException(name, type, "CnnToFeedForward with format " + c.getFormat());
      }
      return Shape.ff(s.size());
    }
    if (pre instanceof FeedForwardToCnnPreProcessor f) {
      Shape t = Shape.cnn((int) f.getNumChannels(), (int) f.getInputHeight(), (int) f.getInputWidth());
      if (t.size() != s.size()) {
        throw new UnsupportedLayerException(name, type, "FeedForwardToCnn " + t + " does not match input size " + s.size());
      }
      return t;
    }
    throw new UnsupportedLayerException(name, type, "input preprocessor " + pre.getClass().getSimpleName() + " is not supported");
  }

  private record Placed(int node, Shape shape) {}

  private static final class Builder {
    final List<Node> nodes = new ArrayList<>();

    int add(String name, String type, int[] inputs, Op op, int outDim) {
      nodes.add(new Node(name, type, inputs, op, outDim));
      return nodes.size() - 1;
    }
  }

  private static double[] param(org.deeplearning4j.nn.api.Layer l, String key) {
    INDArray p = l.getParam(key);
    return p == null ? null : p.castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  private static Placed layer(Builder b, Layer conf, org.deeplearning4j.nn.api.Layer rt, String name, int in, Shape s, boolean last) {
    String type = conf.getClass().getSimpleName();
    Class<?> k = conf.getClass();
    if (k == DenseLayer.class || k == OutputLayer.class || k == CenterLossOutputLayer.class) {
      if (conf instanceof DenseLayer d && d.hasLayerNorm()) {
        throw new UnsupportedLayerException(name, type, "layer normalisation is not supported");
      }
      if (s.cnn()) {
        throw new UnsupportedLayerException(name, type, "dense layer on a CNN activation without a flattening preprocessor");
      }
      INDArray w = rt.getParam("W");
      if (w == null) {
        throw new UnsupportedLayerException(name, type, "has no weight parameter W");
      }
      DenseMatrix a = DenseMatrix.fromDl4jWeights(w);
      if (a.cols() != s.size()) {
        throw new UnsupportedLayerException(name, type, "input size " + a.cols() + " does not match the previous " + s.size());
      }
      int n = b.add(name, type, new int[] {in}, new Op.Affine(a, param(rt, "b")), a.rows());
      return activation(b, ((BaseLayer) conf), name, type, n, Shape.ff(a.rows()), last);
    }
    if (k == ConvolutionLayer.class) {
      ConvolutionLayer c = (ConvolutionLayer) conf;
      if (!s.cnn()) {
        throw new UnsupportedLayerException(name, type, "convolution on a feed-forward activation (no FeedForwardToCnn)");
      }
      if (c.getCnn2dDataFormat() != null && c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
        throw new UnsupportedLayerException(name, type, "data format " + c.getCnn2dDataFormat() + " (only NCHW)");
      }
      INDArray w = rt.getParam("W");
      long[] ws = w.shape();
      int cout = (int) ws[0];
      int cin = (int) ws[1];
      if (cin != s.c()) {
        throw new UnsupportedLayerException(name, type, "nIn " + cin + " does not match " + s.c() + " input channels");
      }
      int[] ks = {(int) ws[2], (int) ws[3]};
      int[] geo = geometry(name, type, c.getConvolutionMode(), s, ks, c.getStride(), c.getPadding(), c.getDilation());
      Conv2dOperator op = new Conv2dOperator(cin, s.h(), s.w(), cout, geo[0], geo[1], ks[0], ks[1], c.getStride()[0],
          c.getStride()[1], dil(c.getDilation())[0], dil(c.getDilation())[1], geo[2], geo[3], w.castTo(DataType.DOUBLE).dup('c').data().asDouble());
      double[] bias = null;
      double[] bc = param(rt, "b");
      if (bc != null) {
        bias = new double[op.outDim()];
        int plane = geo[0] * geo[1];
        for (int o = 0; o < cout; o++) {
          java.util.Arrays.fill(bias, o * plane, (o + 1) * plane, bc[o]);
        }
      }
      int n = b.add(name, type, new int[] {in}, new Op.Affine(op, bias), op.outDim());
      return activation(b, c, name, type, n, Shape.cnn(cout, geo[0], geo[1]), last);
    }
    if (k == SubsamplingLayer.class) {
      return pooling(b, (SubsamplingLayer) conf, name, type, in, s);
    }
    if (k == BatchNormalization.class) {
      return batchNorm(b, (BatchNormalization) conf, rt, name, type, in, s, last);
    }
    if (k == ActivationLayer.class) {
      ActivationSpec act = ActivationSpec.of(((ActivationLayer) conf).getActivationFn(), name, type);
      return activation(b, act, name, type, in, s, last);
    }
    if (k == DropoutLayer.class) {
      return new Placed(in, s); // identity at inference
    }
    if (k == GlobalPoolingLayer.class) {
      GlobalPoolingLayer g = (GlobalPoolingLayer) conf;
      if (!s.cnn()) {
        throw new UnsupportedLayerException(name, type, "global pooling is supported on CNN activations only");
      }
      int[] dims = g.getPoolingDimensions();
      if (dims != null && !(dims.length == 2 && dims[0] == 2 && dims[1] == 3)) {
        throw new UnsupportedLayerException(name, type, "pooling dimensions " + java.util.Arrays.toString(dims));
      }
      int plane = s.h() * s.w();
      int[][] windows = new int[s.c()][plane];
      for (int ch = 0; ch < s.c(); ch++) {
        for (int t = 0; t < plane; t++) {
          windows[ch][t] = ch * plane + t;
        }
      }
      Shape out = g.isCollapseDimensions() ? Shape.ff(s.c()) : Shape.cnn(s.c(), 1, 1);
      PoolingType pt = g.getPoolingType();
      if (pt == PoolingType.MAX) {
        return new Placed(b.add(name, type + "(max)", new int[] {in}, new Op.MaxPool(windows, s.size(), 1), s.c()), out);
      }
      if (pt == PoolingType.AVG || pt == PoolingType.SUM) {
        double wgt = pt == PoolingType.AVG ? 1.0 / plane : 1.0;
        double[] wv = new double[s.c()];
        java.util.Arrays.fill(wv, wgt);
        SparseMatrix m = SparseMatrix.ofWindows(windows, wv, s.size());
        return new Placed(b.add(name, type + "(" + pt.name().toLowerCase() + ")", new int[] {in}, new Op.Affine(m, null), s.c()), out);
      }
      throw new UnsupportedLayerException(name, type, "pooling type " + pt);
    }
    throw new UnsupportedLayerException(name, type, "the engine has no Lipschitz bound for this layer type");
  }

  private static int[] dil(int[] d) {
    return d == null ? new int[] {1, 1} : d;
  }

  /** Output size and top/left padding as DL4J computes them: {outH, outW, padTop, padLeft}. */
  static int[] geometry(String name, String type, ConvolutionMode mode, Shape s, int[] k, int[] stride, int[] pad, int[] dilation) {
    int[] d = dil(dilation);
    int[] p = pad == null ? new int[] {0, 0} : pad;
    int ekh = (k[0] - 1) * d[0] + 1;
    int ekw = (k[1] - 1) * d[1] + 1;
    if (mode == ConvolutionMode.Same) {
      int oh = (s.h() + stride[0] - 1) / stride[0];
      int ow = (s.w() + stride[1] - 1) / stride[1];
      int pt = Math.max(0, ((oh - 1) * stride[0] + ekh - s.h()) / 2);
      int pl = Math.max(0, ((ow - 1) * stride[1] + ekw - s.w()) / 2);
      return new int[] {oh, ow, pt, pl};
    }
    if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict || mode == null) {
      int oh = (s.h() + 2 * p[0] - ekh) / stride[0] + 1;
      int ow = (s.w() + 2 * p[1] - ekw) / stride[1] + 1;
      if (oh < 1 || ow < 1) {
        throw new UnsupportedLayerException(name, type, "kernel larger than the padded input");
      }
      return new int[] {oh, ow, p[0], p[1]};
    }
    throw new UnsupportedLayerException(name, type, "convolution mode " + mode + " is not supported");
  }

  private static Placed pooling(Builder b, SubsamplingLayer c, String name, String type, int in, Shape s) {
    if (!s.cnn()) {
      throw new UnsupportedLayerException(name, type, "subsampling on a feed-forward activation");
    }
    if (c.getCnn2dDataFormat() != null && c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
      throw new UnsupportedLayerException(name, type, "data format " + c.getCnn2dDataFormat() + " (only NCHW)");
    }
    int[] k = c.getKernelSize();
    int[] st = c.getStride();
    int[] d = dil(c.getDilation());
    int[] geo = geometry(name, type, c.getConvolutionMode(), s, k, st, c.getPadding(), d);
    int oh = geo[0];
    int ow = geo[1];
    int plane = s.h() * s.w();
    int[][] windows = new int[s.c() * oh * ow][];
    int[] count = new int[s.size()];
    int[] buf = new int[k[0] * k[1]];
    for (int ch = 0; ch < s.c(); ch++) {
      for (int y = 0; y < oh; y++) {
        for (int x = 0; x < ow; x++) {
          int n = 0;
          for (int p = 0; p < k[0]; p++) {
            int ih = y * st[0] - geo[2] + p * d[0];
            for (int q = 0; q < k[1]; q++) {
              int iw = x * st[1] - geo[3] + q * d[1];
              if (ih >= 0 && ih < s.h() && iw >= 0 && iw < s.w()) {
                buf[n++] = ch * plane + ih * s.w() + iw;
              }
            }
          }
          if (n == 0) {
            throw new UnsupportedLayerException(name, type, "a pooling window lies entirely in the padding");
          }
          int[] win = java.util.Arrays.copyOf(buf, n);
          for (int t : win) {
            count[t]++;
          }
          windows[(ch * oh + y) * ow + x] = win;
        }
      }
    }
    Shape out = Shape.cnn(s.c(), oh, ow);
    PoolingType pt = c.getPoolingType();
    if (pt == PoolingType.MAX) {
      int maxCount = 0;
      for (int t : count) {
        maxCount = Math.max(maxCount, t);
      }
      return new Placed(b.add(name, type + "(max)", new int[] {in}, new Op.MaxPool(windows, s.size(), maxCount), out.size()), out);
    }
    if (pt == PoolingType.AVG || pt == PoolingType.SUM) {
      double[] wv = new double[windows.length];
      for (int r = 0; r < wv.length; r++) {
        wv[r] = pt == PoolingType.SUM ? 1.0 : 1.0 / (c.isAvgPoolIncludePadInDivisor() ? k[0] * k[1] : windows[r].length);
      }
      SparseMatrix m = SparseMatrix.ofWindows(windows, wv, s.size());
      return new Placed(b.add(name, type + "(" + pt.name().toLowerCase() + ")", new int[] {in}, new Op.Affine(m, null), out.size()), out);
    }
    throw new UnsupportedLayerException(name, type, "pooling type " + pt + " is not supported");
  }

  /**
   * Inference batch norm is y = s⊙x + t per channel: s = γ/std, t = β − s·mean, with std = 10^log10stdev when the
   * layer keeps log std (DL4J's default; it then uses √(10^(2·log10stdev)+ε), checked in ForwardTest) and √(var+ε)
   * otherwise; its norm is max|s| (a diagonal map).
   */
  private static Placed batchNorm(Builder b, BatchNormalization c, org.deeplearning4j.nn.api.Layer rt, String name, String type,
      int in, Shape s, boolean last) {
    double[] mean = param(rt, "mean");
    double[] var = param(rt, "var");
    double[] logStd = param(rt, "log10stdev");
    double[] gamma = c.isLockGammaBeta() ? null : param(rt, "gamma");
    double[] beta = c.isLockGammaBeta() ? null : param(rt, "beta");
    int ch = s.c();
    if (mean == null || mean.length != ch || (c.isUseLogStd() ? logStd == null : var == null)) {
      throw new UnsupportedLayerException(name, type, "unexpected batch-norm parameters " + rt.paramTable().keySet());
    }
    if (c.getCnn2DFormat() != null && s.cnn() && c.getCnn2DFormat() != CNN2DFormat.NCHW) {
      throw new UnsupportedLayerException(name, type, "data format " + c.getCnn2DFormat() + " (only NCHW)");
    }
    int plane = s.h() * s.w();
    double[] diag = new double[s.size()];
    double[] bias = new double[s.size()];
    for (int i = 0; i < ch; i++) {
      double std = c.isUseLogStd() && logStd != null ? Math.sqrt(Math.pow(10, 2 * logStd[i]) + c.getEps()) : Math.sqrt(var[i] + c.getEps());
      double g = gamma == null ? c.getGamma() : gamma[i];
      double bt = beta == null ? c.getBeta() : beta[i];
      // |γ/std| raised by 8u: pow, the sum, the square root and the division each err by at most one rounding (u
      // relative), so the stored scale's magnitude is at least the exact one and max|s| is a proven norm
      double sc = g / std * (1 + 8 * (Math.ulp(1.0) / 2));
      for (int t = 0; t < plane; t++) {
        diag[i * plane + t] = sc;
        bias[i * plane + t] = bt - sc * mean[i];
      }
    }
    int n = b.add(name, type, new int[] {in}, new Op.Affine(new DiagonalOperator(diag), bias), s.size());
    // DL4J's batch-norm layer does not apply its (inherited, default sigmoid) activation function: checked against
    // its output() in ForwardTest
    return new Placed(n, s);
  }

  private static Placed activation(Builder b, BaseLayer conf, String name, String type, int in, Shape s, boolean last) {
    return activation(b, ActivationSpec.of(conf.getActivationFn(), name, type), name, type, in, s, last);
  }

  /**
   * Adds the activation node (none for identity). The output layer's activation is never added, whatever it is: the
   * bounds are of the logits z (the output layer's pre-activation), the same map whose margins the probes certify.
   * Keeping a sigmoid there bounded σ∘z (¼ of the logits' constant) while margins were of z: certified radii 4× too
   * large. The decision is argmax z (for a strictly increasing output activation the same as argmax σ(z)).
   */
  private static Placed activation(Builder b, ActivationSpec act, String name, String type, int in, Shape s, boolean last) {
    if (act.name().equals("identity") || last) {
      return new Placed(in, s);
    }
    if (act.name().equals("softmax")) {
      if (s.cnn()) {
        throw new UnsupportedLayerException(name, type, "softmax on a CNN activation");
      }
      return new Placed(b.add(name + "/softmax", "Softmax", new int[] {in}, new Op.Softmax(), s.size()), s);
    }
    return new Placed(b.add(name + "/" + act.name(), "Activation(" + act.name() + ")", new int[] {in}, new Op.Activation(act), s.size()), s);
  }
}
