package io.lipwatch.trainer.regularize;

import io.lipwatch.estimator.linalg.BranchFree;
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
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The trainer's forward and backward passes for a float32 MLP (dense layers with ReLU or no activation, a dense output
 * layer) on buffers kept per row count: each product is one sgemm written into its buffer or straight into the
 * network's flattened gradient view, bias and ReLU are applied in place, ReLU's backward masks in place with the kept
 * activation, and the bias gradients are column sums. A step allocates nothing of the batch's size (DL4J's own layers
 * allocate every activation and gradient per call: an ND4J op costs tens of microseconds and off-heap garbage is freed
 * only by the GC, which made the step slower than PyTorch's).
 *
 * <p>Only the products are native calls (OpenBLAS sgemm, {@link RowMajorGemm}). The elementwise work between them — bias and ReLU after each
 * forward product, ReLU's mask and the bias gradient after each backward one — is one Java pass over a kept float
 * mirror of the buffer, split in two row or column blocks ({@link ElementBlocks}, bit-identical to one pass): each ND4J
 * op it replaces cost 20–100 µs of call overhead for a few microseconds of arithmetic.
 *
 * <p>Layouts: DL4J keeps a dense layer's W [in, out] in Fortran order, then b, in the flattened parameter and gradient
 * vectors; read as C order that block is Wᵀ [out, in], which is what every product here uses.
 */
final class DenseStepKernel {
  private final int layers;
  /** Wᵀ [out, in] (C order): views of the network's parameters. */
  private final INDArray[] wt;
  /** ∂/∂Wᵀ: views of the network's flattened gradient. */
  private final INDArray[] gwt;
  private final boolean[] relu;
  private final int inputs;
  private final int classes;
  /** Layer i's width (its output count). */
  private final int[] width;
  /** Where layer i's bias starts in the flattened parameter and gradient vectors. */
  private final int[] biasAt;
  /** The network's flattened parameters and gradient (whole float buffers, offset 0). */
  private final FloatBuffer paramView;
  private final FloatBuffer gradView;
  /** Layer i's bias, read from the parameters at each forward pass (the optimiser writes them between passes). */
  private final float[][] bias;
  /** Layer i's bias gradient, summed in Java and written into the gradient view. */
  private final float[][] biasGrad;
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
    final float[] z;
    final float[] top;
    /** Java mirrors of act and delta ([n·width] row-major; actJ[last] is z). */
    final float[][] actJ;
    final float[][] deltaJ;
    final FloatBuffer[] actView;
    final FloatBuffer[] deltaView;

    Buffers(int n, DenseStepKernel k) {
      this.n = n;
      input = Nd4j.createUninitialized(DataType.FLOAT, n, k.inputs);
      inputView = input.data().asNioFloat();
      act = new INDArray[k.layers];
      delta = new INDArray[k.layers];
      actJ = new float[k.layers][];
      deltaJ = new float[k.layers][];
      actView = new FloatBuffer[k.layers];
      deltaView = new FloatBuffer[k.layers];
      for (int i = 0; i < k.layers; i++) {
        int out = k.width[i];
        act[i] = Nd4j.createUninitialized(DataType.FLOAT, n, out);
        delta[i] = Nd4j.createUninitialized(DataType.FLOAT, n, out);
        actView[i] = act[i].data().asNioFloat();
        deltaView[i] = delta[i].data().asNioFloat();
        actJ[i] = new float[n * out];
        deltaJ[i] = new float[n * out];
      }
      logitsView = actView[k.layers - 1];
      topView = deltaView[k.layers - 1];
      labels = Nd4j.createUninitialized(DataType.FLOAT, n, k.classes);
      labelsView = labels.data().asNioFloat();
      y = new float[n * k.classes];
      z = actJ[k.layers - 1];
      top = new float[n * k.classes];
    }
  }

  private DenseStepKernel(MultiLayerNetwork net) {
    Layer[] ls = net.getLayers();
    layers = ls.length;
    wt = new INDArray[layers];
    gwt = new INDArray[layers];
    relu = new boolean[layers];
    width = new int[layers];
    biasAt = new int[layers];
    bias = new float[layers][];
    biasGrad = new float[layers][];
    paramView = net.params().data().asNioFloat();
    gradView = net.getFlattenedGradients().data().asNioFloat();
    long at = 0;
    for (int i = 0; i < layers; i++) {
      INDArray w = ls[i].getParam("W");
      int in = (int) w.size(0);
      int out = (int) w.size(1);
      INDArray p = ls[i].params();
      INDArray g = ls[i].getGradientsViewArray();
      wt[i] = RegularizedTrainer.slice(p, 0, (long) in * out).reshape('c', out, in);
      gwt[i] = RegularizedTrainer.slice(g, 0, (long) in * out).reshape('c', out, in);
      relu[i] = i < layers - 1 && ((BaseLayer) ls[i].conf().getLayer()).getActivationFn() instanceof ActivationReLU;
      // DL4J's flattened layout: layer by layer, W then b
      width[i] = out;
      biasAt[i] = (int) (at + (long) in * out);
      bias[i] = new float[out];
      biasGrad[i] = new float[out];
      at += ls[i].numParams();
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
    if (net.params().dataType() != DataType.FLOAT || net.getFlattenedGradients() == null || !whole(net.params())
        || !whole(net.getFlattenedGradients()) || net.params().length() > Integer.MAX_VALUE) {
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

  /** A float32 array owning its whole buffer from offset 0 (its NIO view is exactly its elements). */
  static boolean whole(INDArray a) {
    return a.dataType() == DataType.FLOAT && !a.isView() && a.offset() == 0 && a.data().length() == a.length();
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
      if (whole(a) && a.rank() == 2 && a.size(1) == inputs) {
        // a plain copy between the NIO views: the view and assign ops cost ~30 µs a step in dispatch
        buf.inputView.put(row * inputs, a.data().asNioFloat(), 0, (int) a.length());
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
        RowMajorGemm.gemm(a, false, wt[i], true, out);
        biasRelu(i);
        a = out;
      }
      return buf.z;
    }

    /** act[i] ← relu(act[i] + b) (or + b alone), rows split in two blocks; the Java mirror keeps the result. */
    private void biasRelu(int i) {
      int w = width[i];
      float[] bi = bias[i];
      paramView.get(biasAt[i], bi);
      float[] aj = buf.actJ[i];
      FloatBuffer view = buf.actView[i];
      boolean r = relu[i];
      ElementBlocks.run(buf.n * w, ElementBlocks.STEP_MIN_SPLIT, w, (from, to) -> {
        view.get(from, aj, from, to - from);
        for (int o = from; o < to; o += w) {
          for (int j = 0; j < w; j++) {
            float x = aj[o + j] + bi[j];
            aj[o + j] = r ? BranchFree.relu(x) : x;
          }
        }
        view.put(from, aj, from, to - from);
      });
    }

    /**
     * The labels of the first rows as a kept Java array (row-major, {@code classes} per row; rows past y's are stale).
     */
    float[] labels(INDArray y) {
      int r = (int) y.size(0);
      if (whole(y) && y.rank() == 2 && y.size(1) == classes) {
        y.data().asNioFloat().get(0, buf.y, 0, r * classes);
        return buf.y;
      }
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
      // the logit gradient as the backward pass sees it (pushTop, or written into topArray directly)
      buf.topView.get(0, buf.deltaJ[layers - 1]);
      for (int i = layers - 1; i >= 0; i--) {
        INDArray d = buf.delta[i];
        INDArray prev = i == 0 ? buf.input : buf.act[i - 1];
        RowMajorGemm.gemm(d, true, prev, false, gwt[i]);
        biasGradient(buf, i);
        if (i > 0) {
          INDArray pd = buf.delta[i - 1];
          RowMajorGemm.gemm(d, false, wt[i], false, pd);
          reluMask(buf, i - 1);
        } else if (inputGrad != null && to > from) {
          INDArray rows = from == 0 && to == buf.n ? d : d.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
          RowMajorGemm.gemm(rows, false, wt[0], false, inputGrad);
        }
      }
    }
  }

  /** ∂/∂b of layer i: column sums of delta[i]'s mirror (rows in order), columns split in two blocks; into the view. */
  private void biasGradient(Buffers buf, int i) {
    int w = width[i];
    int n = buf.n;
    float[] d = buf.deltaJ[i];
    float[] gbi = biasGrad[i];
    ElementBlocks.run(w, n * w >= ElementBlocks.STEP_MIN_SPLIT ? 0 : Integer.MAX_VALUE, 8, (lo, hi) -> {
      java.util.Arrays.fill(gbi, lo, hi, 0f);
      for (int row = 0; row < n; row++) {
        int o = row * w;
        for (int j = lo; j < hi; j++) {
          gbi[j] += d[o + j];
        }
      }
    });
    gradView.put(biasAt[i], gbi);
  }

  /**
   * delta[i] (just written by the product) into its mirror, times ReLU' from the kept activation (> 0 exactly where
   * the pre-activation was) when layer i is ReLU, and back; rows split in two blocks.
   */
  private void reluMask(Buffers buf, int i) {
    int w = width[i];
    float[] d = buf.deltaJ[i];
    float[] a = buf.actJ[i];
    FloatBuffer view = buf.deltaView[i];
    boolean r = relu[i];
    ElementBlocks.run(buf.n * w, ElementBlocks.STEP_MIN_SPLIT, w, (from, to) -> {
      view.get(from, d, from, to - from);
      if (r) {
        for (int k = from; k < to; k++) {
          d[k] = BranchFree.reluMask(a[k], d[k]);
        }
        view.put(from, d, from, to - from);
      }
    });
  }

  /** A pass over n rows (its buffers are reused by the next pass of the same row count). */
  Pass pass(int n) {
    return new Pass(buffers(n));
  }
}
