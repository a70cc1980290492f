package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.bounds.lipsdp.LipSdp;
import io.lipwatch.estimator.bounds.lipsdp.LipSdpException;
import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies LipSDP to an extracted network when it is an MLP: a chain of affine maps with one element-wise activation
 * between consecutive ones (biases do not matter). Convolutions and other linear maps of a small CNN enter through
 * their unrolled dense matrix (exact: each entry is one kernel weight times a basis vector's 1), so LipSDP also
 * bounds small CNNs; the engine has already composed consecutive affine maps.
 */
final class LipSdpMethod implements BoundMethod {
  /** Hidden neurons up to which LipSDP-Neuron runs by default (beyond, it costs minutes: ask for it with --methods). */
  static final int DEFAULT_MAX_HIDDEN = 160;
  /** Largest operator (entries) unrolled into a dense matrix. */
  static final long MAX_UNROLLED = 1L << 21;

  private final LipSdp.Mode mode;

  LipSdpMethod(LipSdp.Mode mode) {
    this.mode = mode;
  }

  @Override
  public String name() {
    return mode.method();
  }

  @Override
  public Kind kind() {
    return Kind.SOUND_UPPER;
  }

  /** LipSDP-Neuron runs by default (on small MLPs); LipSDP-Layer only when asked for. */
  @Override
  public boolean byDefault() {
    return mode == LipSdp.Mode.NEURON;
  }

  /** An SDP solved by CSDP: ten method budgets (30 s by default). */
  @Override
  public MethodOutcome compute(MethodContext ctx) {
    List<String> warnings = new ArrayList<>();
    UpperBound b = bound(ctx.net(), mode, ctx.config().methodBudget().multipliedBy(10), ctx.explicit(), warnings);
    return new MethodOutcome(b, null, null, null, warnings);
  }

  record Mlp(List<DenseMatrix> weights, List<ActivationSpec> activations) {
    int hidden() {
      int h = 0;
      for (int i = 0; i < weights.size() - 1; i++) {
        h += weights.get(i).rows();
      }
      return h;
    }
  }

  /** The MLP form of the network, or empty when it is not a plain dense chain. */
  static Optional<Mlp> mlp(ExtractedNetwork net) {
    if (!net.isChain()) {
      return Optional.empty();
    }
    List<DenseMatrix> w = new ArrayList<>();
    List<ActivationSpec> a = new ArrayList<>();
    boolean expectAffine = true;
    for (Node n : net.nodes()) {
      if (n.op() instanceof Op.Affine af) {
        if (!expectAffine) {
          return Optional.empty();
        }
        LinearOperator op = af.linear();
        if (op instanceof DenseMatrix d) {
          w.add(d);
        } else if ((long) op.inDim() * op.outDim() <= MAX_UNROLLED) {
          w.add(op.toDense());
        } else {
          return Optional.empty();
        }
        expectAffine = false;
      } else if (n.op() instanceof Op.Activation act) {
        if (expectAffine || !act.spec().elementWise()) {
          return Optional.empty();
        }
        a.add(act.spec());
        expectAffine = true;
      } else {
        return Optional.empty();
      }
    }
    // the chain must end with an affine map (the logits); a trailing activation is not covered by the LMI here
    if (w.size() < 2 || a.size() != w.size() - 1 || expectAffine) {
      return Optional.empty();
    }
    return Optional.of(new Mlp(w, a));
  }

  /**
   * @param explicit the user asked for this method: report why it does not apply instead of skipping silently
   * @return the bound, or null when skipped; problems go to {@code warnings}
   */
  static UpperBound bound(ExtractedNetwork net, LipSdp.Mode mode, Duration budget, boolean explicit, List<String> warnings) {
    Optional<Mlp> m = mlp(net);
    if (m.isEmpty()) {
      if (explicit) {
        warnings.add(mode.method() + " applies to MLPs (dense layers with element-wise activations) only");
      }
      return null;
    }
    if (!explicit && m.get().hidden() > DEFAULT_MAX_HIDDEN) {
      return null;
    }
    try {
      return LipSdp.bound(m.get().weights(), m.get().activations(), mode, LipSdp.Limits.defaults().withTimeout(budget));
    } catch (LipSdpException e) {
      warnings.add(mode.method() + " not reported (" + e.reason().name().toLowerCase() + "): " + e.getMessage());
      return null;
    }
  }
}
