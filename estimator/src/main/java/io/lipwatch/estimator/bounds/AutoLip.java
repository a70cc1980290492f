package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.UpperBound;
import java.util.HashMap;
import java.util.Map;

/**
 * AutoLip (Scaman &amp; Virmaux 2018): the product of per-stage Lipschitz constants.
 *
 * <p>{@link #sound} uses exact spectral norms (an upper bound each, see {@link SpectralNorm#exactUpper}), so the
 * product is a proven bound. {@link #powerEstimate} uses power iteration, which converges from below: it is labelled
 * {@code sound:false}.
 */
public final class AutoLip {
  public static final String METHOD = "autolip";
  public static final String POWER_METHOD = "autolip-power";

  private AutoLip() {}

  public static UpperBound sound(ExtractedNetwork net) {
    long t0 = System.nanoTime();
    double l = 1.0;
    for (Stage s : net.stages()) {
      if (s.linear() != null) {
        l *= SpectralNorm.exactUpper(s.linear());
      }
      l *= s.activation().lipschitz();
    }
    return new UpperBound(METHOD, l, true, seconds(t0), null, "exact per-layer SVD");
  }

  /** Power-iteration AutoLip with warm start; returns the bound and the singular vectors to keep. */
  public static Result powerEstimate(ExtractedNetwork net, EngineConfig cfg, WarmStart warm) {
    long t0 = System.nanoTime();
    double l = 1.0;
    int iterations = 0;
    boolean allConverged = true;
    Map<String, double[]> vectors = new HashMap<>();
    for (Stage s : net.stages()) {
      if (s.linear() != null) {
        SpectralNorm.PowerResult r = SpectralNorm.power(s.linear(), warm.singularVectors().get(s.name()),
            cfg.powerIterations(), cfg.tolerance(), cfg.seed());
        l *= r.sigma();
        iterations += r.iterations();
        allConverged &= r.converged();
        vectors.put(s.name(), r.vector());
      }
      l *= s.activation().lipschitz();
    }
    String note = allConverged ? "power iteration, converged (from below: an estimate)" : "power iteration, not converged";
    return new Result(new UpperBound(POWER_METHOD, l, false, seconds(t0), iterations, note), vectors);
  }

  public record Result(UpperBound bound, Map<String, double[]> vectors) {}

  static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
