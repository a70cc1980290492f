package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.bounds.lipsdp.LipSdp;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The registry of Lipschitz methods, in the order the engine runs them: upper bounds first, then lower bounds (the
 * gradient-norm pairs seed the CLIP pair search).
 */
public final class BoundMethods {
  private final List<BoundMethod> methods;

  private BoundMethods(List<BoundMethod> methods) {
    this.methods = List.copyOf(methods);
  }

  /** Every method lipwatch ships. A new method is one line here. */
  public static BoundMethods standard() {
    return new BoundMethods(List.of(
        new AutoLip.Sound(),
        new AutoLip.Power(),
        new SeqLip.Method(),
        new AutoLip.LipBoundMethod(),
        new AutoLip.Gram(),
        new EclipseFast(),
        new LipSdpMethod(LipSdp.Mode.NEURON),
        new LipSdpMethod(LipSdp.Mode.LAYER),
        new InputBranchAndBound(),
        new LowerBounds.GradientNorm(),
        new LowerBounds.ClipPairs(),
        new LowerBounds.PairSearch(),
        new RegionEnumeration()));
  }

  /** This registry with {@code extra} appended (tests and extensions). */
  public BoundMethods with(BoundMethod extra) {
    List<BoundMethod> all = new ArrayList<>(methods);
    all.add(extra);
    return new BoundMethods(all);
  }

  public List<BoundMethod> all() {
    return methods;
  }

  /** Every name {@code --methods} accepts. */
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (BoundMethod m : methods) {
      names.add(m.name());
      names.addAll(m.aliases());
    }
    return names;
  }
}
