package io.lipwatch.estimator.network;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * An element-wise activation with its slope range [slopeMin, slopeMax] (its derivative stays in that interval, as
 * LipSDP needs) and its Lipschitz constant max(|slopeMin|, |slopeMax|). Softmax is not element-wise but 1-Lipschitz
 * in L2; at the output it is dropped because the bounds are of the logit map.
 */
public record ActivationSpec(String name, double slopeMin, double slopeMax, boolean elementWise, double param) {

  public static final ActivationSpec IDENTITY = new ActivationSpec("identity", 1, 1, true);

  public ActivationSpec(String name, double slopeMin, double slopeMax, boolean elementWise) {
    this(name, slopeMin, slopeMax, elementWise, 0.0);
  }

  /** The activation's value, as DL4J computes it (in double). */
  public double apply(double x) {
    return switch (name) {
      case "identity" -> x;
      case "relu" -> x > 0 ? x : param * x;
      case "leakyrelu" -> x > 0 ? x : param * x;
      case "elu" -> x > 0 ? x : param * (Math.exp(x) - 1);
      case "tanh" -> Math.tanh(x);
      case "sigmoid" -> 1 / (1 + Math.exp(-x));
      case "hardtanh" -> Math.max(-1, Math.min(1, x));
      case "relu6" -> Math.max(0, Math.min(6, x));
      case "softplus" -> x > 30 ? x : Math.log1p(Math.exp(x));
      case "softsign" -> x / (1 + Math.abs(x));
      case "hardsigmoid" -> Math.max(0, Math.min(1, 0.2 * x + 0.5));
      default -> throw new IllegalStateException("no element-wise form for " + name);
    };
  }

  /** Its derivative (one-sided choices at kinks, as DL4J's backprop makes them). */
  public double derivative(double x) {
    return switch (name) {
      case "identity" -> 1;
      case "relu", "leakyrelu" -> x > 0 ? 1 : param;
      case "elu" -> x > 0 ? 1 : param * Math.exp(x);
      case "tanh" -> {
        double t = Math.tanh(x);
        yield 1 - t * t;
      }
      case "sigmoid" -> {
        double s = 1 / (1 + Math.exp(-x));
        yield s * (1 - s);
      }
      case "hardtanh" -> x > -1 && x < 1 ? 1 : 0;
      case "relu6" -> x > 0 && x < 6 ? 1 : 0;
      case "softplus" -> 1 / (1 + Math.exp(-x));
      case "softsign" -> 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x)));
      case "hardsigmoid" -> x > -2.5 && x < 2.5 ? 0.2 : 0;
      default -> throw new IllegalStateException("no element-wise form for " + name);
    };
  }

  public double lipschitz() {
    return Math.max(Math.abs(slopeMin), Math.abs(slopeMax));
  }

  /** Maps a DL4J activation; anything without a known slope bound is rejected with the layer's name. */
  public static ActivationSpec of(IActivation a, String layerName, String layerType) {
    if (a == null || a instanceof ActivationIdentity) {
      return IDENTITY;
    }
    if (a instanceof ActivationReLU r) {
      // ReLU with a threshold/max/negative slope: slopes are 0 or 1, or negativeSlope below the threshold
      Double neg = r.getNegativeSlope();
      double ns = neg == null ? 0.0 : neg;
      if ((r.getMax() != null && Double.isFinite(r.getMax())) || (r.getThreshold() != null && r.getThreshold() != 0.0)) {
        throw new UnsupportedLayerException(layerName, layerType, "ReLU with max/threshold is not supported");
      }
      return new ActivationSpec("relu", Math.min(ns, 1.0), Math.max(1.0, ns), true, ns);
    }
    if (a instanceof ActivationLReLU l) {
      double alpha = l.getAlpha();
      return new ActivationSpec("leakyrelu", Math.min(alpha, 1.0), Math.max(alpha, 1.0), true, alpha);
    }
    if (a instanceof ActivationELU e) {
      double alpha = e.getAlpha();
      // slope 1 for x > 0 and α·eˣ ∈ (0, α] (α > 0) or [α, 0) (α < 0) below: the range is [min(0, α), max(1, α)]
      return new ActivationSpec("elu", Math.min(0.0, alpha), Math.max(1.0, alpha), true, alpha);
    }
    if (a instanceof ActivationTanH) {
      return new ActivationSpec("tanh", 0.0, 1.0, true);
    }
    if (a instanceof ActivationSigmoid) {
      return new ActivationSpec("sigmoid", 0.0, 0.25, true);
    }
    if (a instanceof ActivationHardTanH || a instanceof ActivationReLU6 || a instanceof ActivationSoftPlus
        || a instanceof ActivationSoftSign) {
      return new ActivationSpec(a.getClass().getSimpleName().replace("Activation", "").toLowerCase(), 0.0, 1.0, true);
    }
    if (a instanceof ActivationHardSigmoid) {
      return new ActivationSpec("hardsigmoid", 0.0, 0.2, true);
    }
    if (a instanceof ActivationSoftmax) {
      return new ActivationSpec("softmax", 0.0, 1.0, false);
    }
    throw new UnsupportedLayerException(layerName, layerType,
        "activation " + a.getClass().getSimpleName() + " has no Lipschitz bound in the engine");
  }
}
