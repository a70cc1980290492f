package io.lipwatch.estimator.pipeline;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.Probes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last checks before an estimate leaves the pipeline. Every number must be finite: a probe figure that is not is
 * dropped with a warning naming it (JSON has no NaN; a downstream gauge would show it as a value). And the bounds must
 * agree: a best lower bound above the best sound upper bound means a bug in a method, so the estimate is marked
 * {@code inconsistent} and logged, never passed off as a normal estimate.
 */
public final class EstimateChecks {
  private static final Logger LOG = LoggerFactory.getLogger(EstimateChecks.class);

  private EstimateChecks() {}

  public static Estimate check(Estimate e) {
    List<String> warnings = new ArrayList<>(e.warnings());
    Estimate out = e;
    if (e.probes() != null) {
      out = out.withProbes(finiteProbes(e.probes(), warnings));
    }
    out = out.withWarnings(warnings);
    if (!consistent(out.lipschitz())) {
      LipschitzBounds b = out.lipschitz();
      String w = "inconsistent bounds: bestLower " + b.bestLower() + " exceeds bestUpper " + b.bestUpper()
          + " (an internal error; these figures are not a bound)";
      LOG.error("{} v{}: {}", e.model(), e.version(), w);
      warnings.add(w);
      out = out.withWarnings(warnings).markedInconsistent();
    }
    return out;
  }

  /** bestLower ≤ bestUpper, up to rounding. */
  public static boolean consistent(LipschitzBounds b) {
    if (b.bestLower() == null || b.bestUpper() == null) {
      return true;
    }
    double slack = EstimatePipeline.CONSISTENCY_TOLERANCE * Math.max(1.0, Math.abs(b.bestUpper()));
    return b.bestLower() <= b.bestUpper() + slack;
  }

  private static Probes finiteProbes(Probes p, List<String> warnings) {
    if (!Double.isFinite(p.cleanAccuracy())) {
      warnings.add("probes dropped: clean accuracy is " + p.cleanAccuracy());
      return null;
    }
    var noise = keep(p.noiseAccuracy(), n -> Double.isFinite(n.sigma()) && Double.isFinite(n.accuracy()), "noise accuracy", warnings);
    var attacks = keep(p.attacks(), a -> Double.isFinite(a.eps()) && Double.isFinite(a.robustAccuracy())
        && (a.stepSize() == null || Double.isFinite(a.stepSize())) && (a.seconds() == null || Double.isFinite(a.seconds())),
        "attack result", warnings);
    var certified = keep(p.certified(), c -> Double.isFinite(c.eps()) && Double.isFinite(c.accuracy()), "certified accuracy", warnings);
    Probes.MinPerturbation min = p.medianMinPerturbation();
    if (min != null && !Double.isFinite(min.value())) {
      warnings.add("median minimal perturbation dropped: " + min.value());
      min = null;
    }
    Double seconds = p.seconds() != null && Double.isFinite(p.seconds()) ? p.seconds() : null;
    Probes kept = new Probes(p.dataset(), p.samples(), p.cleanAccuracy(), noise, attacks, certified, min, seconds)
        .withTimings(p.timings() == null ? null : p.timings().entrySet().stream().filter(t -> Double.isFinite(t.getValue()))
            .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey, java.util.Map.Entry::getValue,
                Double::sum, java.util.LinkedHashMap::new)));
    // the per-sample outcomes stay while they still line up with the figures (nothing dropped)
    boolean whole = java.util.Objects.equals(attacks, p.attacks()) && java.util.Objects.equals(certified, p.certified());
    return whole ? kept.withOutcomes(p.outcomes()) : kept;
  }

  private static <T> List<T> keep(List<T> items, Predicate<T> finite, String what, List<String> warnings) {
    if (items == null) {
      return null;
    }
    List<T> kept = new ArrayList<>();
    for (T t : items) {
      if (finite.test(t)) {
        kept.add(t);
      } else {
        warnings.add(what + " dropped, not finite: " + t);
      }
    }
    return kept;
  }
}
