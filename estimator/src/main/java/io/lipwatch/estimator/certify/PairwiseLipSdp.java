package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.bounds.lipsdp.LipSdp;
import io.lipwatch.estimator.bounds.lipsdp.LipSdpException;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * LipSDP-Neuron on each margin network: the MLP with its last layer replaced by the one row w_y − w_j. Its answer is
 * verified like the global LipSDP certificate (our own LMI check of the solver's multipliers, {@link LipSdp}); an
 * answer that fails the check, or a solver that fails, leaves the pair's bound as it was. Run on small MLPs only (the
 * same size limit as the global LipSDP's default), where one SDP takes well under a second; stops at the deadline.
 */
final class PairwiseLipSdp {
  /** Hidden neurons up to which the pairwise SDPs run (the global LipSDP-Neuron's default limit). */
  static final int MAX_HIDDEN = 160;
  private static final double U = Math.ulp(1.0) / 2;
  private static final Duration MAX_TIMEOUT = Duration.ofSeconds(120);

  private PairwiseLipSdp() {}

  /** Whether the chain is small enough and its activations slope-restricted in [α, β] with 0 ≤ α &lt; β. */
  static boolean applies(DenseChain chain) {
    if (chain.layers() < 2) {
      return false;
    }
    int hidden = 0;
    for (int k = 0; k < chain.layers() - 1; k++) {
      hidden += chain.weights().get(k).rows();
    }
    return hidden <= MAX_HIDDEN
        && chain.activations().stream().allMatch(a -> a.slopeMin() >= 0 && a.slopeMax() > a.slopeMin());
  }

  /**
   * Lowers l[y][j] (symmetric) where a verified margin SDP is smaller.
   *
   * @param prefix   a proven Lipschitz bound of the last hidden output (for the row difference's rounding)
   * @param deadline System.nanoTime() after which no new SDP starts (0: none); each SDP's timeout is the time left
   * @return a note for {@link PairwiseBounds#note}, or null when nothing ran
   */
  static String tighten(DenseChain chain, double[][] l, double prefix, long deadline) {
    if (!applies(chain) || !Double.isFinite(prefix)) {
      return null;
    }
    int k = l.length;
    int done = 0;
    int better = 0;
    int failed = 0;
    int total = k * (k - 1) / 2;
    List<DenseMatrix> front = chain.weights().subList(0, chain.layers() - 1);
    for (int y = 0; y < k; y++) {
      for (int j = y + 1; j < k; j++) {
        long left = deadline == 0 ? Long.MAX_VALUE : deadline - System.nanoTime();
        if (left <= 0) {
          return "lipsdp on " + done + " of " + total + " pairs (budget), tighter on " + better;
        }
        double[] d = PairwiseBounds.difference(chain.last(), y, j);
        List<DenseMatrix> w = new ArrayList<>(front);
        w.add(new DenseMatrix(1, d.length, d));
        Duration timeout = Duration.ofNanos(Math.max(1_000_000L, Math.min(left, MAX_TIMEOUT.toNanos())));
        try {
          UpperBound b = LipSdp.bound(w, chain.activations(), LipSdp.Mode.NEURON,
              LipSdp.Limits.defaults().withTimeout(timeout));
          done++;
          if (b.sound() && Double.isFinite(b.value())) {
            // the certificate is for the rounded row fl(w_y − w_j); the exact row differs by ≤ u·|w_y − w_j|
            double v = Math.nextUp(b.value() + Math.nextUp(2 * U * Rounding.normUp(d) * prefix));
            if (v < l[y][j]) {
              better++;
              l[y][j] = l[j][y] = v;
            }
          }
        } catch (LipSdpException | IllegalArgumentException e) { // not verified, too large, solver failed: no bound
          done++;
          failed++;
        }
      }
    }
    return "lipsdp per pair (" + total + " pairs, tighter on " + better + (failed > 0 ? ", " + failed + " not verified" : "")
        + ")";
  }
}
