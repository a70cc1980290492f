package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;

import io.lipwatch.estimator.bounds.eclipse.EclipseFastBound;
import io.lipwatch.estimator.estimate.UpperBound;
import java.util.List;
import java.util.Optional;

/**
 * {@code eclipse-fast}: ECLipsE-Fast (Xu &amp; Sivaranjani, NeurIPS 2024) on MLPs, proven by its own rounding-aware
 * factorisation ({@link EclipseFastBound}). Milliseconds where LipSDP needs a solver, and it runs on any width
 * (cost ~ width³ per layer), so it runs by default; activations must have slopes in [0, β]. Small MLPs also get
 * per-neuron multipliers (tens to ~150 ms; at LipSDP-Neuron's optimum on the networks measured).
 */
final class EclipseFast implements BoundMethod {
  static final String METHOD = "eclipse-fast";

  @Override
  public String name() {
    return METHOD;
  }

  @Override
  public Kind kind() {
    return Kind.SOUND_UPPER;
  }

  @Override
  public String inapplicable(ExtractedNetwork net) {
    Optional<LipSdpMethod.Mlp> m = LipSdpMethod.mlp(net);
    if (m.isEmpty()) {
      return METHOD + " applies to MLPs (dense layers with element-wise activations) only";
    }
    for (ActivationSpec a : m.get().activations()) {
      if (!(a.slopeMin() >= 0 && a.slopeMax() > 0)) {
        return METHOD + " needs slopes in [0, β]; " + a.name() + " has [" + a.slopeMin() + ", " + a.slopeMax() + "]";
      }
    }
    return null;
  }

  @Override
  public MethodOutcome compute(MethodContext ctx) {
    long t0 = System.nanoTime();
    LipSdpMethod.Mlp m = LipSdpMethod.mlp(ctx.net()).orElseThrow();
    List<ActivationSpec> acts = m.activations();
    double[] lo = new double[acts.size()];
    double[] hi = new double[acts.size()];
    for (int i = 0; i < lo.length; i++) {
      lo[i] = acts.get(i).slopeMin();
      hi[i] = acts.get(i).slopeMax();
    }
    EclipseFastBound.Result r = EclipseFastBound.bound(m.weights(), lo, hi, ctx.deadline());
    if (!r.verified()) {
      return MethodOutcome.skipped(List.of(METHOD + " not reported (not verified): " + r.note()));
    }
    return MethodOutcome.of(new UpperBound(METHOD, r.value(), true, AutoLip.seconds(t0), r.retries(), r.note()));
  }
}
