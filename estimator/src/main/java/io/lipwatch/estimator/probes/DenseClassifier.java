package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.linalg.SingleThreadBlas;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Fast path for plain MLPs (Dense / Output / Activation / Dropout layers, no preprocessors): forward and input-only
 * backward written as matrix products. DL4J's {@code calculateGradients} also computes every weight gradient, about
 * half of the work of an attack step, and runs in training mode; this path does neither.
 *
 * <p>When every weighted layer is followed by ReLU or nothing (the common case), the attack loops' {@link #kernel}
 * allocates nothing of the batch's size per step: it works on blocks of rows, each on one thread with its own kept
 * float32 buffers, each product one single-threaded OpenBLAS sgemm (the backward one with Wᵀ by the transpose flag),
 * bias + ReLU in one pass after a forward product and ReLU's mask in one pass after a backward one. Other activations
 * take the generic path below, which allocates per step.
 */
final class DenseClassifier implements Classifier {

  /** One layer: optional affine map, then activation (null = identity). */
  private record Stage(INDArray w, INDArray wt, INDArray b, INDArray wD, INDArray bD, IActivation act) {}

  private final List<Stage> stages;
  private final boolean exactScale;
  /** Every stage weighted, activations ReLU (plain) or identity: the buffered path applies. */
  private final boolean buffered;
  private Buffers buffers;

  /** The buffered forward pass's arrays for one batch size ({@link #logits}). */
  private static final class Buffers {
    final int n;
    /** act[i]: stage i's output (ReLU applied in place for hidden stages; logits for the last). */
    final INDArray[] act;

    Buffers(int n, List<Stage> stages) {
      this.n = n;
      act = new INDArray[stages.size()];
      for (int i = 0; i < stages.size(); i++) {
        act[i] = Nd4j.createUninitialized(DataType.FLOAT, n, stages.get(i).w.size(1));
      }
    }
  }

  private DenseClassifier(List<Stage> stages, boolean exactScale) {
    this.stages = stages;
    this.exactScale = exactScale;
    boolean ok = true;
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      // the last stage's activation is never applied (logits are its pre-activation)
      ok &= s.w != null && (i == stages.size() - 1 || s.act == null || isPlainRelu(s.act));
    }
    this.buffered = ok;
  }

  private static boolean isPlainRelu(IActivation a) {
    return a instanceof ActivationReLU r && r.getMax() == null && (r.getThreshold() == null || r.getThreshold() == 0)
        && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0);
  }

  /** The same network, returning the cross-entropy gradient itself rather than its saturation-free direction. */
  DenseClassifier withExactScale() {
    return new DenseClassifier(stages, true);
  }

  /** The fast path for this network, or null when it has anything else than the layers above. */
  static DenseClassifier tryOf(MultiLayerNetwork net) {
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    List<Stage> stages = new ArrayList<>();
    int lastWeighted = -1;
    for (int i = 0; i < layers.length; i++) {
      if (net.getLayerWiseConfigurations().getInputPreProcess(i) != null) {
        return null;
      }
      org.deeplearning4j.nn.conf.layers.Layer conf = layers[i].conf().getLayer();
      if (conf instanceof DenseLayer || conf.getClass() == OutputLayer.class) {
        org.deeplearning4j.nn.conf.layers.BaseLayer bl = (org.deeplearning4j.nn.conf.layers.BaseLayer) conf;
        INDArray w = layers[i].getParam("W");
        INDArray b = layers[i].getParam("b");
        if (w == null) {
          return null;
        }
        if (b == null) {
          b = Nd4j.zeros(w.dataType(), 1, w.size(1));
        }
        // Wᵀ kept contiguous: the backward product is then a plain GEMM
        stages.add(new Stage(w.castTo(DataType.FLOAT).dup('c'), w.castTo(DataType.FLOAT).transpose().dup('c'), b.castTo(DataType.FLOAT).reshape(1, w.size(1)).dup(),
            w.castTo(DataType.DOUBLE).dup(), b.castTo(DataType.DOUBLE).reshape(1, w.size(1)).dup(), actOrNull(bl.getActivationFn())));
        lastWeighted = stages.size() - 1;
      } else if (conf instanceof ActivationLayer al) {
        stages.add(new Stage(null, null, null, null, null, actOrNull(al.getActivationFn())));
      } else if (conf instanceof DropoutLayer) {
        continue; // identity at inference
      } else {
        return null;
      }
    }
    if (lastWeighted < 0) {
      return null;
    }
    // logits are the pre-activation of the last weighted layer; anything after it (e.g. a softmax) is not needed
    return new DenseClassifier(List.copyOf(stages.subList(0, lastWeighted + 1)), false);
  }

  /**
   * The fast path for the engine's network (ONNX models, graphs) when it is a chain of dense affine maps with plain ReLU
   * (or no) activations between them; null otherwise (the engine's own forward pass and VJP serve it then).
   */
  static DenseClassifier tryOf(ExtractedNetwork net) {
    if (!net.isChain()) {
      return null;
    }
    List<Stage> stages = new ArrayList<>();
    List<Node> nodes = net.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      if (!(nodes.get(i).op() instanceof Op.Affine af) || !(af.linear() instanceof DenseMatrix m)) {
        return null;
      }
      IActivation act = null;
      if (i + 1 < nodes.size() && nodes.get(i + 1).op() instanceof Op.Activation a) {
        if (!a.spec().name().equals("relu") || a.spec().param() != 0.0) {
          return null;
        }
        act = new ActivationReLU();
        i++;
      }
      // DL4J's layout: W is [in, out] (x·W), the engine's A is [out, in] (A·x)
      INDArray w = Nd4j.createFromArray(m.data()).reshape('c', m.rows(), m.cols()).transpose().dup('c');
      double[] bias = af.bias() == null ? new double[m.rows()] : af.bias();
      INDArray b = Nd4j.createFromArray(bias).reshape(1, m.rows());
      stages.add(new Stage(w.castTo(DataType.FLOAT).dup('c'), w.castTo(DataType.FLOAT).transpose().dup('c'),
          b.castTo(DataType.FLOAT).dup(), w, b, act));
    }
    if (stages.isEmpty() || stages.get(stages.size() - 1).act != null) {
      return null;
    }
    return new DenseClassifier(List.copyOf(stages), false);
  }

  private static IActivation actOrNull(IActivation a) {
    return a == null || a instanceof ActivationIdentity ? null : a;
  }

  @Override
  public String path() {
    return "dense-fast";
  }

  /**
   * On the buffered path, through the row kernels (blocks in parallel, single-threaded sgemm): a multi-threaded OpenBLAS
   * call leaves its worker spinning for ~0.1 s afterwards, which would take a core from the attacks that follow the
   * clean-accuracy phase (an FGSM right after one took 24 ms instead of 13).
   */
  @Override
  public synchronized INDArray logits(INDArray x) {
    if (buffered && !exactScale && x.rank() == 2 && x.size(1) == stages.get(0).w.size(0)) {
      int n = (int) x.size(0);
      float[] xs = Attacks.floats(x);
      int k = (int) stages.get(stages.size() - 1).w.size(1);
      float[] z = new float[n * k];
      try (Kernel kern = new Kernel(new int[n])) {
        kern.logits(xs, z);
      }
      return Nd4j.createFromArray(z).reshape('c', n, k);
    }
    if (buffered) {
      return forwardBuffered(contiguous(x)).dup();
    }
    return forward(x, null, false);
  }

  private static INDArray contiguous(INDArray x) {
    INDArray f = x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT);
    return f.ordering() == 'c' && !f.isView() ? f : f.dup('c');
  }

  private Buffers buffers(int n) {
    if (buffers == null || buffers.n != n) {
      buffers = new Buffers(n, stages);
    }
    return buffers;
  }

  /** Forward into the buffers; returns the logits buffer. */
  private INDArray forwardBuffered(INDArray x) {
    return forwardBuffered(x, buffers((int) x.size(0)));
  }

  private INDArray forwardBuffered(INDArray x, Buffers buf) {
    INDArray in = x;
    int last = stages.size() - 1;
    for (int i = 0; i <= last; i++) {
      Stage s = stages.get(i);
      INDArray out = buf.act[i];
      Nd4j.gemm(in, s.w, out, false, false, 1.0, 0.0);
      out.addiRowVector(s.b);
      if (i < last && s.act != null) {
        Transforms.relu(out, false);
      }
      in = out;
    }
    return buf.act[last];
  }

  /**
   * The attack loops' kernel on this network for a batch with these labels (d inputs per row), or null when the
   * buffered path does not apply. Its work is done by {@link StepKernel.Rows} handles on row blocks (see
   * {@link RowKernel}); the whole-batch calls run the blocks in parallel. Nothing of the batch's size is allocated per
   * step, and the blocks' buffers are kept for the next run ({@link StepKernel#close}).
   */
  StepKernel kernel(int[] labels, int d) {
    if (!buffered || exactScale || stages.get(0).w.size(0) != d) {
      return null;
    }
    return new Kernel(labels);
  }

  /** The stages' weights and biases as the row kernels use them: W [in, out] off-heap for sgemm, b and ReLU on heap. */
  private static final class NativeStages {
    final int count;
    final int[] in;
    final int[] out;
    final FloatPointer[] w;
    final float[][] bias;
    final boolean[] relu;
    /** The layer widths: row kernels of the same widths share buffers. */
    final String widths;

    NativeStages(List<Stage> stages) {
      count = stages.size();
      in = new int[count];
      out = new int[count];
      w = new FloatPointer[count];
      bias = new float[count][];
      relu = new boolean[count];
      for (int i = 0; i < count; i++) {
        Stage s = stages.get(i);
        in[i] = (int) s.w.size(0);
        out[i] = (int) s.w.size(1);
        w[i] = new FloatPointer(s.w.dup('c').data().asFloat());
        bias[i] = s.b.dup('c').data().asFloat();
        relu[i] = i < count - 1 && s.act != null;
      }
      widths = java.util.Arrays.toString(in) + java.util.Arrays.toString(out);
    }
  }

  private volatile NativeStages nativeStages;
  /**
   * Row kernels of finished runs by layer widths, reused by the next runs, also of other classifiers of the same widths
   * (each probe run builds its classifier; FGSM is one step, and a new set of off-heap buffers cost it ~30 %). At most 8
   * per widths (more than the threads that run blocks at once), 16 widths.
   */
  private static final BoundedPool<String, RowKernel> IDLE_ROWS = new BoundedPool<>(16, 8);

  /** Not the classifier's own monitor: {@link #logits} holds that while block threads take row kernels. */
  private final Object nativeLock = new Object();

  private NativeStages nativeStages() {
    NativeStages ns = nativeStages;
    if (ns == null) {
      synchronized (nativeLock) {
        ns = nativeStages;
        if (ns == null) {
          ns = new NativeStages(stages);
          nativeStages = ns;
        }
      }
    }
    return ns;
  }

  private final class Kernel implements StepKernel {
    private final int[] labels;
    private final int k;
    private final RowBlocks blocks;

    Kernel(int[] labels) {
      this.labels = labels;
      this.k = (int) stages.get(stages.size() - 1).w.size(1);
      this.blocks = new RowBlocks(labels.length);
      nativeStages(); // made here, on the caller's thread
    }

    @Override
    public int classes() {
      return k;
    }

    @Override
    public Rows rows() {
      NativeStages ns = nativeStages();
      RowKernel r = IDLE_ROWS.poll(ns.widths);
      return (r == null ? new RowKernel(ns) : r).use(ns, labels);
    }

    @Override
    public void logits(float[] x, float[] z) {
      StepKernel.eachBlock(this, blocks, (r, b, from, to) -> r.logits(x, z, from, to));
    }

    @Override
    public void step(float[] x, LogitLoss loss, float[] z, float[] g) {
      StepKernel.eachBlock(this, blocks, (r, b, from, to) -> r.step(x, loss, z, g, from, to));
    }
  }

  /**
   * Forward and input-gradient passes on up to {@link RowBlocks#ROWS} rows at a time, for one thread: each product one
   * OpenBLAS sgemm on this handle's off-heap buffers (the backward one with Wᵀ by the transpose flag), and between the
   * products one pass on heap copies of the block (bias + ReLU after a forward product; the ReLU mask from the kept
   * activation after a backward one). The arithmetic of the ND4J path above: float sums, ReLU as {@code v < 0 ? 0 : v},
   * its derivative {@code a > 0}. OpenBLAS rounds a row's products slightly differently in blocks of other sizes (as
   * the whole-batch product did for batches of other sizes); the blocks are cut by the row count alone, so a batch's
   * results do not depend on threads or scheduling.
   */
  private static final class RowKernel implements StepKernel.Rows {
    /** The weights of the current run (the buffers fit every classifier of the same widths). */
    private NativeStages ns;
    private final String widths;
    private final int cap = RowBlocks.ROWS;
    private final FloatPointer in;
    private final FloatBuffer inView;
    private final FloatPointer[] act;
    private final FloatBuffer[] actView;
    /** Hidden stages' activations on the heap (the backward pass masks with them). */
    private final float[][] actHeap;
    private final FloatPointer[] grad;
    private final FloatBuffer[] gradView;
    private final FloatPointer top;
    private final FloatBuffer topView;
    private final float[] topHeap;
    private final float[] tmp;
    private final double[] zRow;
    private int[] labels;

    RowKernel(NativeStages ns) {
      this.ns = ns;
      this.widths = ns.widths;
      int c = ns.count;
      in = new FloatPointer((long) cap * ns.in[0]);
      inView = in.asBuffer();
      act = new FloatPointer[c];
      actView = new FloatBuffer[c];
      actHeap = new float[c][];
      grad = new FloatPointer[c];
      gradView = new FloatBuffer[c];
      int widest = 1;
      for (int i = 0; i < c; i++) {
        act[i] = new FloatPointer((long) cap * ns.out[i]);
        actView[i] = act[i].asBuffer();
        actHeap[i] = i < c - 1 ? new float[cap * ns.out[i]] : null;
        grad[i] = new FloatPointer((long) cap * ns.in[i]);
        gradView[i] = grad[i].asBuffer();
        widest = Math.max(widest, ns.in[i]);
      }
      int k = ns.out[c - 1];
      top = new FloatPointer((long) cap * k);
      topView = top.asBuffer();
      topHeap = new float[cap * k];
      tmp = new float[cap * widest];
      zRow = new double[k];
    }

    RowKernel use(NativeStages ns, int[] labels) {
      this.ns = ns;
      this.labels = labels;
      return this;
    }

    @Override
    public void close() {
      labels = null;
      ns = null;
      IDLE_ROWS.offer(widths, this);
    }

    @Override
    public void logits(float[] x, float[] z, int from, int to) {
      for (int r = from; r < to; r += cap) {
        forward(x, z, r, Math.min(to, r + cap));
      }
    }

    @Override
    public void step(float[] x, LogitLoss loss, float[] z, float[] g, int from, int to) {
      for (int r = from; r < to; r += cap) {
        int end = Math.min(to, r + cap);
        forward(x, z, r, end);
        backward(loss, z, g, r, end);
      }
    }

    /** Logits of rows [from, to) (at most cap) into z; the hidden activations stay in the buffers. */
    private void forward(float[] x, float[] z, int from, int to) {
      int m = to - from;
      int last = ns.count - 1;
      inView.put(0, x, from * ns.in[0], m * ns.in[0]);
      FloatPointer a = in;
      for (int i = 0; i <= last; i++) {
        int out = ns.out[i];
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, m, out, ns.in[i],
            1f, a, ns.in[i], ns.w[i], out, 0f, act[i], out);
        float[] bias = ns.bias[i];
        if (i == last) {
          actView[i].get(0, z, from * out, m * out);
          addBias(z, from * out, m, out, bias, false);
        } else {
          float[] h = actHeap[i];
          actView[i].get(0, h, 0, m * out);
          addBias(h, 0, m, out, bias, ns.relu[i]);
          actView[i].put(0, h, 0, m * out);
        }
        a = act[i];
      }
    }

    /** Input gradient of the loss at rows [from, to) into g, from the activations of the last forward pass. */
    private void backward(LogitLoss loss, float[] z, float[] g, int from, int to) {
      int m = to - from;
      int k = ns.out[ns.count - 1];
      loss.gradient(z, k, labels, from, to, topHeap, 0, zRow);
      topView.put(0, topHeap, 0, m * k);
      FloatPointer up = top;
      for (int i = ns.count - 1; i >= 0; i--) {
        int width = ns.in[i];
        // (upstream gradient)·Wᵀ: the transpose flag, no transposed copy
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasTrans, m, width, ns.out[i],
            1f, up, ns.out[i], ns.w[i], ns.out[i], 0f, grad[i], width);
        if (i == 0) {
          gradView[0].get(0, g, from * width, m * width);
        } else if (ns.relu[i - 1]) {
          gradView[i].get(0, tmp, 0, m * width);
          float[] h = actHeap[i - 1];
          for (int j = 0; j < m * width; j++) {
            tmp[j] = io.lipwatch.estimator.linalg.BranchFree.reluMask(h[j], tmp[j]);
          }
          gradView[i].put(0, tmp, 0, m * width);
        }
        up = grad[i];
      }
    }
  }

  /**
   * v += bias per row of the m rows at off (width out), then ReLU when asked: {@code Math.max(v, 0)} (NaN stays NaN,
   * −0 becomes 0), branch-free where {@code v < 0 ? 0 : v} mispredicted on half the units.
   */
  private static void addBias(float[] v, int off, int m, int out, float[] bias, boolean relu) {
    for (int r = 0; r < m; r++) {
      int o = off + r * out;
      if (relu) {
        for (int j = 0; j < out; j++) {
          v[o + j] = Math.max(v[o + j] + bias[j], 0f);
        }
      } else {
        for (int j = 0; j < out; j++) {
          v[o + j] += bias[j];
        }
      }
    }
  }

  /** On the calling thread's BLAS only, for the reason given at {@link #logits}. */
  @Override
  public INDArray logitsDouble(INDArray x) {
    try (SingleThreadBlas s = SingleThreadBlas.enter()) {
      return forward(x.castTo(DataType.DOUBLE), null, true);
    }
  }

  /** Forward pass; keeps each stage's pre-activation in zs when given (they are consumed by the backward pass). */
  private INDArray forward(INDArray x, INDArray[] zs, boolean dbl) {
    INDArray a = x;
    int last = stages.size() - 1;
    for (int i = 0; i <= last; i++) {
      Stage s = stages.get(i);
      INDArray z;
      if (s.w != null) {
        z = a.mmul(dbl ? s.wD : s.w);
        z.addiRowVector(dbl ? s.bD : s.b);
      } else {
        z = a.dup();
      }
      if (i == last) {
        return z;
      }
      if (zs != null) {
        zs[i] = z;
      }
      a = s.act == null ? z : s.act.getActivation(zs != null ? z.dup() : z, false);
    }
    throw new IllegalStateException("unreachable");
  }

  @Override
  public Step step(INDArray x, INDArray onehot) {
    INDArray[] zs = new INDArray[stages.size()];
    INDArray logits = forward(x, zs, false);
    INDArray g;
    if (exactScale) {
      // d CE / d logits = softmax(z) − onehot
      g = Transforms.softmax(logits, true).subi(onehot);
    } else {
      // The same vector divided by 1 − p_y > 0: softmax over the other classes, minus onehot. In float32 a confident
      // sample has p_y == 1 exactly and softmax − onehot == 0 (no attack at all); this direction never saturates, and
      // the attacks only use each row's direction (sign, or normalised).
      g = Transforms.softmax(onehot.mul(-1e30f).addi(logits), false).subi(onehot);
    }
    return new Step(logits, backward(zs, g));
  }

  @Override
  public boolean supports(LogitLoss loss) {
    return true;
  }

  @Override
  public Step step(INDArray x, INDArray onehot, int[] labels, LogitLoss loss) {
    if (loss == LogitLoss.CE) {
      return step(x, onehot);
    }
    INDArray[] zs = new INDArray[stages.size()];
    INDArray logits = forward(x, zs, false);
    return new Step(logits, backward(zs, loss.gradient(logits, labels)));
  }

  /** Input gradient of ⟨g, logits⟩ per row, from the pre-activations kept by the forward pass. */
  private INDArray backward(INDArray[] zs, INDArray g) {
    int last = stages.size() - 1;
    for (int i = last; i >= 0; i--) {
      Stage s = stages.get(i);
      if (s.w != null) {
        g = g.mmul(s.wt);
      }
      if (i > 0) {
        IActivation prev = stages.get(i - 1).act;
        if (prev != null) {
          g = prev.backprop(zs[i - 1], g).getFirst();
        }
      }
    }
    return g;
  }
}
