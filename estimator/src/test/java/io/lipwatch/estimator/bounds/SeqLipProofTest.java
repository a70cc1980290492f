package io.lipwatch.estimator.bounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * SeqLip's exact enumeration, now proven pattern by pattern: against the maximum over every activation pattern of the
 * explicit Jacobian W_K·D·…·D·W_1 (its true Lipschitz constant for ReLU and leaky ReLU chains; the norm of each product
 * from LAPACK).
 */
class SeqLipProofTest {

  /** max over patterns σ ∈ {lo, hi}^hidden of ‖W_K D_{K−1} ⋯ D_1 W_1‖, by brute force. */
  private static double bruteForce(List<DenseMatrix> ws, double lo, double hi) {
    int hidden = 0;
    for (int i = 0; i + 1 < ws.size(); i++) {
      hidden += ws.get(i).rows();
    }
    double best = 0;
    for (long mask = 0; mask < 1L << hidden; mask++) {
      DenseMatrix j = ws.get(0);
      int bit = 0;
      for (int i = 1; i < ws.size(); i++) {
        int n = ws.get(i - 1).rows();
        double[] d = new double[n * n];
        for (int t = 0; t < n; t++) {
          d[t * n + t] = (mask >> bit++ & 1) == 1 ? hi : lo;
        }
        j = ws.get(i).times(new DenseMatrix(n, n, d)).times(j);
      }
      best = Math.max(best, SpectralNorm.svdLargest(j));
    }
    return best;
  }

  private static List<DenseMatrix> dense(ExtractedNetwork x) {
    return x.linearNodes().stream().map(n -> (DenseMatrix) n.linear()).toList();
  }

  /** Two layers: SeqLip is exactly the maximum over patterns, so the proven value is within rounding of it. */
  @Test
  void twoLayersProvenAtTheExactMaximum() {
    for (long seed = 1; seed <= 4; seed++) {
      ExtractedNetwork x = NetworkExtractor.extract(Nets.mlp(seed, Activation.RELU, false, 5, 9, 3));
      double truth = bruteForce(dense(x), 0, 1);
      UpperBound s = SeqLip.bound(x, true, 0);
      assertTrue(s.sound(), s.note());
      assertTrue(s.value() >= truth * (1 - 1e-13), "seed " + seed + ": " + s.value() + " < " + truth);
      assertTrue(s.value() <= truth * (1 + 1e-9), "seed " + seed + ": " + s.value() + " far above " + truth);
    }
  }

  /** Three layers (ReLU and leaky ReLU): above the true constant, below AutoLip's product. */
  @Test
  void threeLayersAboveTheTrueConstant() {
    for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKYRELU}) {
      ExtractedNetwork x = NetworkExtractor.extract(Nets.mlp(7, act, false, 6, 6, 5, 3));
      List<DenseMatrix> ws = dense(x);
      double lo = act == Activation.RELU ? 0 : 0.01;
      double truth = bruteForce(ws, lo, 1);
      UpperBound s = SeqLip.bound(x, true, 0);
      double product = 1;
      for (DenseMatrix w : ws) {
        product *= SpectralNorm.svdLargest(w);
      }
      assertTrue(s.sound(), s.note());
      assertTrue(s.value() >= truth * (1 - 1e-13), act + ": " + s.value() + " < " + truth);
      assertTrue(s.value() <= product * (1 + 1e-9), act + ": " + s.value() + " > product " + product);
      assertTrue(s.note().contains("proven"), s.note());
    }
  }

  /** The per-pattern step raises s to a proven value at or above the pattern's norm, never lowers it. */
  @Test
  void patternStepRaisesToAProvenValue() {
    double[] m = {3, 1, 0.5, -2, 0, 1};
    double sigma = SpectralNorm.svdLargest(new DenseMatrix(2, 3, m.clone()));
    double raised = SeqLip.provePattern(m, 2, 3, 1e-14, 0.999 * sigma);
    assertTrue(raised >= sigma + 1e-14 && raised <= sigma * (1 + 1e-9), raised + " vs " + sigma);
    assertEquals(10.0, SeqLip.provePattern(m, 2, 3, 1e-14, 10.0), 0.0);
  }
}
