package io.lipwatch.trainer.regularize;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The trainer's forward and backward passes for a float32 MLP (dense layers with ReLU or no activation, a dense output
 * layer) on buffers kept per row count: each product is one sgemm written into its buffer or straight into the
 * network's flattened gradient view, bias and ReLU are applied in place, ReLU's backward masks in place with the kept
 * activation, and the bias gradients are a product with a row of ones. A step allocates nothing of the batch's size
 * (DL4J's own layers allocate every activation and gradient per call: an ND4J op costs tens of microseconds and off-heap
 * garbage is freed only by the GC, which made the step slower than PyTorch's).
 *
 * <p>Layouts: DL4J keeps a dense layer's W [in, out] in Fortran order, then b, in the flattened parameter and gradient
 * vectors; read as C order that block is Wᵀ [out, in], which is what every product here uses.
 */
final class DenseStepKernel {
  private final int layers;
  /** Wᵀ [out, in] (C order) and b [1, out]: views of the network's parameters. */
  private final INDArray[] wt;
  private final INDArray[] b;
  /** ∂/∂Wᵀ and ∂/∂b: views of the network's flattened gradient. */
  private final INDArray[] gwt;
  private final INDArray[] gb;
  private final boolean[] relu;
  private final int inputs;
  private final int classes;
  private final Map<Integer, Buffers> buffers = new HashMap<>();

  /** The arrays of one row count. */
  private static final class Buffers {
    final int n;
    final INDArray input;
    final FloatBuffer inputView;
    /** act[i]: layer i's output (ReLU applied in place; the logits for the last). */
    final INDArray[] act;
    /** delta[i]: gradient at layer i's pre-activation; delta[last] is the logit gradient. */
    final INDArray[] delta;
    final FloatBuffer logitsView;
    final FloatBuffer topView;
    final INDArray labels;
    final FloatBuffer labelsView;
    final float[] y;
    final INDArray ones;
    final float[] z;
    final float[] top;

    Buffers(int n, DenseStepKernel k) {
      this.n = n;
      input = Nd4j.createUninitialized(DataType.FLOAT, n, k.inputs);
      inputView = input.data().asNioFloat();
      act = new INDArray[k.layers];
      delta = new INDArray[k.layers];
      for (int i = 0; i < k.layers; i++) {
        long out = k.wt[i].size(0);
        act[i] = Nd4j.createUninitialized(DataType.FLOAT, n, out);
        delta[i] = Nd4j.createUninitialized(DataType.FLOAT, n, out);
      }
      logitsView = act[k.layers - 1].data().asNioFloat();
      topView = delta[k.layers - 1].data().asNioFloat();
      labels = Nd4j.createUninitialized(DataType.FLOAT, n, k.classes);
      labelsView = labels.data().asNioFloat();
      y = new float[n * k.classes];
      ones = Nd4j.ones(DataType.FLOAT, 1, n);
      z = new float[n * k.classes];
      top = new float[n * k.classes];
    }
  }

  private DenseStepKernel(MultiLayerNetwork net) {
    Layer[] ls = net.getLayers();
    layers = ls.length;
    wt = new INDArray[layers];
    b = new INDArray[layers];
    gwt = new INDArray[layers];
    gb = new INDArray[layers];
    relu = new boolean[layers];
    for (int i = 0; i < layers; i++) {
      INDArray w = ls[i].getParam("W");
      int in = (int) w.size(0);
      int out = (int) w.size(1);
      INDArray p = ls[i].params();
      INDArray g = ls[i].getGradientsViewArray();
      wt[i] = RegularizedTrainer.slice(p, 0, (long) in * out).reshape('c', out, in);
      b[i] = RegularizedTrainer.slice(p, (long) in * out, (long) in * out + out).reshape('c', 1, out);
      gwt[i] = RegularizedTrainer.slice(g, 0, (long) in * out).reshape('c', out, in);
      gb[i] = RegularizedTrainer.slice(g, (long) in * out, (long) in * out + out).reshape('c', 1, out);
      relu[i] = i < layers - 1 && ((BaseLayer) ls[i].conf().getLayer()).getActivationFn() instanceof ActivationReLU;
    }
    inputs = (int) wt[0].size(1);
    classes = (int) wt[layers - 1].size(0);
  }

  /**
   * The kernel for this network, or null when it does not apply: float32 parameters, no input preprocessors, dense
   * hidden layers with plain ReLU or identity activations and a dense output layer, each with its bias, no dropout.
   * The network's gradient view must exist.
   */
  static DenseStepKernel tryOf(MultiLayerNetwork net) {
    if (net.params().dataType() != DataType.FLOAT || net.getFlattenedGradients() == null) {
      return null;
    }
    Layer[] ls = net.getLayers();
    for (int i = 0; i < ls.length; i++) {
      if (net.getLayerWiseConfigurations().getInputPreProcess(i) != null) {
        return null;
      }
      org.deeplearning4j.nn.conf.layers.Layer c = ls[i].conf().getLayer();
      boolean last = i == ls.length - 1;
      boolean dense = last ? c.getClass() == OutputLayer.class : c.getClass() == DenseLayer.class;
      if (!dense || ls[i].getParam("W") == null || ls[i].getParam("b") == null || c.getIDropout() != null) {
        return null;
      }
      INDArray w = ls[i].getParam("W");
      if (ls[i].numParams() != w.length() + w.size(1) || w.ordering() != 'f') {
        return null;
      }
      IActivation a = ((BaseLayer) c).getActivationFn();
      if (!last && !(a == null || a instanceof ActivationIdentity || isPlainRelu(a))) {
        return null;
      }
      if (i > 0 && ls[i - 1].getParam("W").size(1) != w.size(0)) {
        return null;
      }
    }
    return new DenseStepKernel(net);
  }

  private static boolean isPlainRelu(IActivation a) {
    return a instanceof ActivationReLU r && r.getMax() == null && (r.getThreshold() == null || r.getThreshold() == 0)
        && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0);
  }

  int classes() {
    return classes;
  }

  int inputs() {
    return inputs;
  }

  /** The buffers for n rows; created outside any workspace (they outlive the step). */
  private Buffers buffers(int n) {
    Buffers buf = buffers.get(n);
    if (buf == null) {
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        buf = new Buffers(n, this);
      }
      buffers.put(n, buf);
    }
    return buf;
  }

  /** One pass: the rows written by {@link #input}, logits returned (a kept array, [n·classes] row-major). */
  final class Pass {
    private final Buffers buf;

    private Pass(Buffers buf) {
      this.buf = buf;
    }

    int rows() {
      return buf.n;
    }

    /** Rows [row, row + a.rows) of the input buffer ← a (any float or double array with the input's columns). */
    Pass input(int row, INDArray a) {
      if (a.size(0) == 0) {
        return this;
      }
      buf.input.get(NDArrayIndex.interval(row, row + a.size(0)), NDArrayIndex.all()).assign(a);
      return this;
    }

    /** Forward pass of the input buffer; the logits as a kept Java array [n·classes]. */
    float[] forward() {
      INDArray a = buf.input;
      for (int i = 0; i < layers; i++) {
        INDArray out = buf.act[i];
        Nd4j.gemm(a, wt[i], out, false, true, 1.0, 0.0);
        out.addiRowVector(b[i]);
        if (relu[i]) {
          Transforms.relu(out, false);
        }
        a = out;
      }
      buf.logitsView.get(0, buf.z);
      return buf.z;
    }

    /**
     * The labels of the first rows as a kept Java array (row-major, {@code classes} per row; rows past y's are stale).
     */
    float[] labels(INDArray y) {
      int r = (int) y.size(0);
      buf.labels.get(NDArrayIndex.interval(0, r), NDArrayIndex.all()).assign(y);
      buf.labelsView.get(0, buf.y, 0, r * classes);
      return buf.y;
    }

    /** The logit-gradient array to fill before {@link #pushTop} ([n·classes], zeroed by this call). */
    float[] top() {
      java.util.Arrays.fill(buf.top, 0f);
      return buf.top;
    }

    /** Copies the Java logit gradient of {@link #top} into the backward pass's buffer. */
    Pass pushTop() {
      buf.topView.put(0, buf.top);
      return this;
    }

    /** The logit-gradient buffer [n, classes] the backward pass starts from (after {@link #pushTop}, or written directly). */
    INDArray topArray() {
      return buf.delta[layers - 1];
    }

    /** The logits as a kept ND4J array [n, classes] (for code that works on INDArrays). */
    INDArray logitsArray() {
      return buf.act[layers - 1];
    }

    /**
     * Backward pass of the logit gradient in {@link #topArray()}: weight and bias gradients into the network's gradient
     * view, and the input gradient of rows [from, to) into {@code inputGrad} ([to − from, inputs], C order) when it is
     * not null.
     */
    void backward(int from, int to, INDArray inputGrad) {
      for (int i = layers - 1; i >= 0; i--) {
        INDArray d = buf.delta[i];
        INDArray prev = i == 0 ? buf.input : buf.act[i - 1];
        Nd4j.gemm(d, prev, gwt[i], true, false, 1.0, 0.0);
        Nd4j.gemm(buf.ones, d, gb[i], false, false, 1.0, 0.0);
        if (i > 0) {
          INDArray pd = buf.delta[i - 1];
          Nd4j.gemm(d, wt[i], pd, false, false, 1.0, 0.0);
          if (relu[i - 1]) {
            // ReLU' from the kept activation (> 0 exactly where the pre-activation was), in place
            Nd4j.exec(new ThresholdReluBp(buf.act[i - 1], pd, pd, 0.0));
          }
        } else if (inputGrad != null && to > from) {
          INDArray rows = from == 0 && to == buf.n ? d : d.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
          Nd4j.gemm(rows, wt[0], inputGrad, false, false, 1.0, 0.0);
        }
      }
    }
  }

  /** A pass over n rows (its buffers are reused by the next pass of the same row count). */
  Pass pass(int n) {
    return new Pass(buffers(n));
  }
}
