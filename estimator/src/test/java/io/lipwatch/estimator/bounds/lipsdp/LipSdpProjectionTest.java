package io.lipwatch.estimator.bounds.lipsdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.bounds.lipsdp.LipSdp.Mode;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LipSdpProjectionTest {
  private static final LipSdp.Limits LIMITS = LipSdp.Limits.defaults();

  @Test
  void projectionSatisfiesTheLmiAtTheTarget() {
    // Pauli et al.'s 2-D example shape
    List<DenseMatrix> w = Nets.gaussian(new int[] {2, 10, 10, 3}, new Random(21));
    List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);
    LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, LIMITS);
    double lDes = 0.5 * s.bound().value();
    LipSdp.Projection p = LipSdp.project(w, acts, s.multipliers(), lDes, LIMITS);
    assertTrue(p.lipschitzBound() <= lDes * (1 + 1e-3), p.toString());
    // our own check at ρ = L_des² with the same T and the projected weights
    LipSdpProblem check = new LipSdpProblem(p.weights(), acts, Mode.NEURON, 0);
    double[] mult = new double[check.numVars + 1];
    System.arraycopy(s.multipliers(), 0, mult, 2, s.multipliers().length);
    double rho = LipSdp.certify(check, lDes * lDes, mult, 1e-3);
    assertTrue(rho <= lDes * lDes * (1 + 1e-3));
    assertTrue(p.distance() > 0);
    // an independent LipSDP run on W̄ (free T) can only be lower
    double again = LipSdp.bound(p.weights(), acts, Mode.NEURON, LIMITS).value();
    assertTrue(again <= p.lipschitzBound() * (1 + 1e-6), again + " vs " + p.lipschitzBound());
  }

  @Test
  void aLooseTargetLeavesTheWeightsAlone() {
    List<DenseMatrix> w = Nets.gaussian(new int[] {2, 6, 5, 2}, new Random(22));
    List<ActivationSpec> acts = Nets.acts(2, Nets.TANH);
    LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, LIMITS);
    double[] t = s.multipliers().clone();
    for (int k = 0; k < t.length; k++) {
      t[k] *= 1.5; // strictly inside: room to spare at ρ = 1.5·ρ*
    }
    LipSdp.Projection p = LipSdp.project(w, acts, t, Math.sqrt(1.5 * s.rho()) * 1.01, LIMITS);
    assertTrue(p.meetsTarget(), p.note());
    assertEquals(0.0, p.distance(), 1e-3, p.toString());
  }

  @Test
  void leakyReluIsRejected() {
    List<DenseMatrix> w = Nets.gaussian(new int[] {2, 4, 2}, new Random(1));
    ActivationSpec leaky = new ActivationSpec("leakyrelu", 0.1, 1, true);
    assertEquals(LipSdpException.Reason.UNSUPPORTED, assertThrows(LipSdpException.class,
        () -> LipSdp.project(w, List.of(leaky), new double[4], 1.0, LIMITS)).reason());
  }

  @Test
  void aWideFirstLayerIsProjectedExactlyInsideItsRowSpace() {
    List<DenseMatrix> w = Nets.gaussian(new int[] {30, 5, 5, 3}, new Random(23));
    List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);
    LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, LIMITS);
    double lDes = 0.6 * s.bound().value();
    double rho = lDes * lDes;
    LipSdp.Projection reduced = LipSdp.projectImpl(w, acts, s.multipliers(), rho, 0, LIMITS, true);
    LipSdp.Projection full = LipSdp.projectImpl(w, acts, s.multipliers(), rho, 0, LIMITS, false);
    assertTrue(reduced.note().contains("row space"), reduced.note());
    assertEquals(full.distance(), reduced.distance(), 1e-4 * full.distance(), reduced + " vs " + full);
    assertTrue(reduced.lipschitzBound() <= lDes * (1 + 1e-3), reduced.toString());
    assertTrue(LipSdp.bound(reduced.weights(), acts, Mode.NEURON, LIMITS).value() <= lDes * (1 + 1e-3));
    assertEquals(30, reduced.weights().get(0).cols());
  }

  @Test
  void penalisedProjectionTradesDistanceForTheBound() {
    List<DenseMatrix> w = Nets.gaussian(new int[] {12, 8, 8, 3}, new Random(24));
    List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);
    LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, LIMITS);
    LipSdp.Projection weak = LipSdp.projectPenalized(w, acts, s.multipliers(), 1e-4, LIMITS);
    LipSdp.Projection strong = LipSdp.projectPenalized(w, acts, s.multipliers(), 1e-1, LIMITS);
    // each verified: an independent LipSDP on W̄ is never above the bound certified with the fixed T
    for (LipSdp.Projection p : List.of(weak, strong)) {
      double again = LipSdp.bound(p.weights(), acts, Mode.NEURON, LIMITS).value();
      assertTrue(again <= p.lipschitzBound() * (1 + 1e-6), again + " vs " + p);
    }
    assertTrue(weak.lipschitzBound() <= s.bound().value() * (1 + 1e-3), weak + " vs " + s.bound());
    assertTrue(strong.lipschitzBound() < weak.lipschitzBound(), strong + " vs " + weak);
    assertTrue(strong.distance() > weak.distance(), strong + " vs " + weak);
  }
}
