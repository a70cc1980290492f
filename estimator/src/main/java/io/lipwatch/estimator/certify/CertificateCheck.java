package io.lipwatch.estimator.certify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run-time check that certificates and attacks agree: a sample certified at L2 radius ε (by any method) cannot be
 * broken by an attack inside that ball — an L2 attack of radius ≤ ε, an L∞ attack of radius δ with δ·√d ≤ ε (the L∞
 * ball lies in that L2 ball), or a minimal-perturbation search that found an adversarial shorter than ε. A violation
 * means a bug in a bound, a certificate or an attack: it is an internal error, logged, counted in a process-wide counter,
 * and reported as a warning of the estimate (never dropped); the stream counts the warning's violations per model
 * ({@code lipwatch_certificate_violations_total{model}}, read back with {@link #violationsIn}).
 */
public final class CertificateCheck {
  private static final Logger LOG = LoggerFactory.getLogger(CertificateCheck.class);
  private static final AtomicLong VIOLATIONS = new AtomicLong();
  /** Relative slack on measured perturbation norms: the search runs in float32, its norms are accurate to about 1e-6. */
  static final double FLOAT_SLACK = 1e-5;

  private CertificateCheck() {}

  /** Violations counted since the process started (for the meter). */
  public static long violations() {
    return VIOLATIONS.get();
  }

  /** One attack's outcome: robust[i] false means the attack found an adversarial of sample i (or it was misclassified). */
  public record AttackOutcome(String name, String norm, double eps, boolean[] robust) {}

  /** One certified set: which samples a method certified at radius eps. */
  public record Certified(String method, double eps, boolean[] certified) {}

  public record Violation(int sample, String method, double certifiedEps, String attack) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "sample %d certified (%s) at ε=%s but broken by %s", sample, method,
          certifiedEps, attack);
    }
  }

  /**
   * @param correct         clean prediction equals the label (a misclassified sample is never certified: if it is, that
   *                        is a violation too)
   * @param minPerturbation smallest adversarial L2 norm found per sample (+∞ none), or null
   * @param inputDim        d, for the L∞-in-L2 inclusion
   * @return every violation (empty when certificates and attacks agree)
   */
  public static List<Violation> find(boolean[] correct, List<Certified> certified, List<AttackOutcome> attacks,
      double[] minPerturbation, int inputDim) {
    List<Violation> out = new ArrayList<>();
    for (Certified c : certified) {
      boolean[] cert = c.certified();
      for (int i = 0; i < cert.length; i++) {
        if (!cert[i]) {
          continue;
        }
        if (!correct[i]) {
          out.add(new Violation(i, c.method(), c.eps(), "its clean prediction"));
          continue;
        }
        for (AttackOutcome a : attacks) {
          double l2Radius = "linf".equals(a.norm()) ? a.eps() * Math.sqrt(inputDim) : a.eps();
          if (!a.robust()[i] && l2Radius <= c.eps()) {
            out.add(new Violation(i, c.method(), c.eps(), a.name()));
          }
        }
        if (minPerturbation != null && minPerturbation[i] < c.eps() * (1 - FLOAT_SLACK)) {
          out.add(new Violation(i, c.method(), c.eps(), "an adversarial of L2 norm " + minPerturbation[i]));
        }
      }
    }
    return out;
  }

  private static final String WARNING_PREFIX = "internal error: ";
  private static final String WARNING_INFIX = " certificate violation(s) — a certified sample was broken: ";

  /**
   * The violations an estimate's warnings report (0 when none): the count in the warning {@link #report} wrote. The
   * probe run does not know the model's name; the estimate does, so the per-model counter is fed from here.
   */
  public static long violationsIn(List<String> warnings) {
    long n = 0;
    for (String w : warnings == null ? List.<String>of() : warnings) {
      int at = w == null ? -1 : w.indexOf(WARNING_INFIX);
      if (w != null && w.startsWith(WARNING_PREFIX) && at > WARNING_PREFIX.length()) {
        try {
          n += Long.parseLong(w.substring(WARNING_PREFIX.length(), at));
        } catch (NumberFormatException e) {
          // not our warning
        }
      }
    }
    return n;
  }

  /** Logs and counts {@code violations}; returns the estimate warning (null when there are none). */
  public static String report(String model, List<Violation> violations) {
    if (violations.isEmpty()) {
      return null;
    }
    VIOLATIONS.addAndGet(violations.size());
    List<String> first = violations.stream().limit(5).map(Violation::toString).toList();
    String msg = WARNING_PREFIX + violations.size() + WARNING_INFIX
        + String.join("; ", first) + (violations.size() > 5 ? "; …" : "");
    LOG.error("{}{}", model == null ? "" : "model " + model + ": ", msg);
    return msg;
  }
}
