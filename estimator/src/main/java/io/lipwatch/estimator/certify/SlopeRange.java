package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.network.ActivationSpec;

/**
 * The range of secant slopes (φ(z′) − φ(z))/(z′ − z) of an activation over pairs z, z′ in an interval [lo, hi]: by the
 * mean value theorem (φ absolutely continuous) every such slope is an average of φ′ over [z, z′], so it lies in
 * [inf φ′, sup φ′] over [lo, hi]. Exact for the piecewise-linear activations (a stable ReLU has slope exactly 0 or 1);
 * for smooth ones from the shape of φ′ (even and decreasing in |z| for tanh, sigmoid and softsign; increasing for
 * softplus and ELU with α ≤ 1), widened by a relative 1e-12 for the math library's rounding; anything else keeps the
 * activation's global slope range.
 */
final class SlopeRange {
  private static final double REL = 1e-12;

  private SlopeRange() {}

  /** {min, max} of the secant slopes of {@code s} over [lo, hi] (lo ≤ hi). */
  static double[] of(ActivationSpec s, double lo, double hi) {
    double p = s.param();
    return switch (s.name()) {
      case "identity" -> new double[] {1, 1};
      case "relu", "leakyrelu" -> lo >= 0 ? new double[] {1, 1} : hi <= 0 ? new double[] {p, p}
          : new double[] {Math.min(p, 1), Math.max(p, 1)};
      case "hardtanh" -> piecewise(lo, hi, -1, 1, 1);
      case "relu6" -> piecewise(lo, hi, 0, 6, 1);
      case "hardsigmoid" -> piecewise(lo, hi, -2.5, 2.5, 0.2);
      case "tanh", "sigmoid", "softsign" -> {
        double near = lo > 0 ? lo : hi < 0 ? hi : 0;
        double far = Math.abs(lo) > Math.abs(hi) ? lo : hi;
        yield widened(s, s.derivative(far), s.derivative(near));
      }
      case "softplus" -> widened(s, s.derivative(lo), s.derivative(hi));
      case "elu" -> p > 0 && p <= 1 ? widened(s, s.derivative(lo), s.derivative(hi)) : global(s);
      default -> global(s);
    };
  }

  /** Slope {@code slope} on [a, b], 0 outside. */
  private static double[] piecewise(double lo, double hi, double a, double b, double slope) {
    if (lo >= a && hi <= b) {
      return new double[] {slope, slope};
    }
    if (hi <= a || lo >= b) {
      return new double[] {0, 0};
    }
    return new double[] {0, slope};
  }

  private static double[] widened(ActivationSpec s, double min, double max) {
    return new double[] {Math.max(s.slopeMin(), min * (1 - REL)), Math.min(s.slopeMax(), max * (1 + REL))};
  }

  private static double[] global(ActivationSpec s) {
    return new double[] {s.slopeMin(), s.slopeMax()};
  }

  /** Whether the local certificate handles {@code s}: monotone non-decreasing (slopes ≥ 0), so φ maps intervals to intervals. */
  static boolean monotone(ActivationSpec s) {
    return s.elementWise() && s.slopeMin() >= 0;
  }
}
