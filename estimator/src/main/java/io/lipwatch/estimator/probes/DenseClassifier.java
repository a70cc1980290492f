package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
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
 * allocates nothing of the batch's size per step: float32 buffers per batch are kept, each product is one sgemm
 * (OpenBLAS through ND4J) written into its buffer (the backward one with Wᵀ by the transpose flag), bias and ReLU are
 * applied in place and ReLU's backward masks the gradient in place with the kept activation. Other activations take
 * the generic path below, which allocates per step.
 */
final class DenseClassifier implements Classifier {

  /** One layer: optional affine map, then activation (null = identity). */
  private record Stage(INDArray w, INDArray wt, INDArray b, INDArray wD, INDArray bD, IActivation act) {}

  private final List<Stage> stages;
  private final boolean exactScale;
  /** Every stage weighted, activations ReLU (plain) or identity: the buffered path applies. */
  private final boolean buffered;
  private Buffers buffers;

  /** The buffered path's arrays for one batch size. */
  private static final class Buffers {
    final int n;
    /** act[i]: stage i's output (ReLU applied in place for hidden stages; logits for the last). */
    final INDArray[] act;
    /** grad[i]: gradient w.r.t. stage i's input; grad[0] is the input gradient handed out by step. */
    final INDArray[] grad;
    /** Gradient at the logits. */
    final INDArray top;

    Buffers(int n, List<Stage> stages) {
      this.n = n;
      act = new INDArray[stages.size()];
      grad = new INDArray[stages.size()];
      for (int i = 0; i < stages.size(); i++) {
        act[i] = Nd4j.createUninitialized(DataType.FLOAT, n, stages.get(i).w.size(1));
        grad[i] = Nd4j.createUninitialized(DataType.FLOAT, n, stages.get(i).w.size(0));
      }
      top = Nd4j.createUninitialized(DataType.FLOAT, n, stages.get(stages.size() - 1).w.size(1));
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

  @Override
  public synchronized INDArray logits(INDArray x) {
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

  /** Input gradient of ⟨top, logits⟩ per row into the buffers, from the activations of the last forward pass. */
  private INDArray backwardBuffered(Buffers buf) {
    INDArray g = buf.top;
    for (int i = stages.size() - 1; i >= 0; i--) {
      INDArray prev = buf.grad[i];
      // g·Wᵀ: the transpose flag, no transposed copy
      Nd4j.gemm(g, stages.get(i).w, prev, false, true, 1.0, 0.0);
      if (i > 0 && stages.get(i - 1).act != null) {
        // ReLU' from the kept activation (> 0 exactly where the pre-activation was), in place
        Nd4j.exec(new ThresholdReluBp(buf.act[i - 1], prev, prev, 0.0));
      }
      g = prev;
    }
    return g;
  }

  /**
   * The attack loops' kernel on this network for a batch with these labels (d inputs per row), or null when the
   * buffered path does not apply. It owns its buffers (one per attack run: concurrent runs do not share them); a step
   * copies x into the input buffer, runs the products into the kept buffers, computes the loss gradient at the logits
   * on a kept array and copies logits and input gradient out: nothing of the batch's size is allocated.
   */
  StepKernel kernel(int[] labels, int d) {
    if (!buffered || exactScale || stages.get(0).w.size(0) != d) {
      return null;
    }
    return new Kernel(labels);
  }

  private final class Kernel implements StepKernel {
    private final int[] labels;
    private final int k;
    private final Buffers buf;
    private final INDArray in;
    private final java.nio.FloatBuffer inView;
    private final java.nio.FloatBuffer logitsView;
    private final java.nio.FloatBuffer topView;
    private final java.nio.FloatBuffer gradView;
    private final float[] top;

    Kernel(int[] labels) {
      this.labels = labels;
      int n = labels.length;
      buf = new Buffers(n, stages);
      in = Nd4j.createUninitialized(DataType.FLOAT, n, stages.get(0).w.size(0));
      k = (int) buf.top.size(1);
      // views of the native buffers (no copy): bulk puts and gets move the data
      inView = in.data().asNioFloat();
      logitsView = buf.act[stages.size() - 1].data().asNioFloat();
      topView = buf.top.data().asNioFloat();
      gradView = buf.grad[0].data().asNioFloat();
      top = new float[n * k];
    }

    @Override
    public int classes() {
      return k;
    }

    @Override
    public void logits(float[] x, float[] z) {
      inView.put(0, x);
      forwardBuffered(in, buf);
      logitsView.get(0, z);
    }

    @Override
    public void step(float[] x, LogitLoss loss, float[] z, float[] g) {
      inView.put(0, x);
      forwardBuffered(in, buf);
      logitsView.get(0, z);
      loss.gradient(z, k, labels, top);
      topView.put(0, top);
      backwardBuffered(buf);
      gradView.get(0, g);
    }
  }

  @Override
  public INDArray logitsDouble(INDArray x) {
    return forward(x.castTo(DataType.DOUBLE), null, true);
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
