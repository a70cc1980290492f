package io.lipwatch.estimator.probes;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Fast path for plain MLPs (Dense / Output / Activation / Dropout layers, no preprocessors): forward and input-only
 * backward written as matrix products. DL4J's {@code calculateGradients} also computes every weight gradient, about
 * half of the work of an attack step, and runs in training mode; this path does neither.
 */
final class DenseClassifier implements Classifier {

  /** One layer: optional affine map, then activation (null = identity). */
  private record Stage(INDArray w, INDArray wt, INDArray b, INDArray wD, INDArray bD, IActivation act) {}

  private final List<Stage> stages;
  private final boolean exactScale;

  private DenseClassifier(List<Stage> stages, boolean exactScale) {
    this.stages = stages;
    this.exactScale = exactScale;
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
        stages.add(new Stage(null, null, null, null, null, null)); // identity at inference
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

  private static IActivation actOrNull(IActivation a) {
    return a == null || a instanceof ActivationIdentity ? null : a;
  }

  @Override
  public String path() {
    return "dense-fast";
  }

  @Override
  public INDArray logits(INDArray x) {
    return forward(x, null, false);
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
    int last = stages.size() - 1;
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
    return new Step(logits, g);
  }
}
