package io.lipwatch.estimator.bounds.lipsdp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.bounds.lipsdp.LipSdp.Mode;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LmiCertificateTest {

  private static LmiCertificate.Check psd(double[] s) {
    int n = (int) Math.round(Math.sqrt(s.length));
    double[] abs = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      abs[i] = Math.abs(s[i]);
    }
    return LmiCertificate.checkPsd(s.clone(), abs, n, 2);
  }

  @Test
  void smallMatrices() {
    assertTrue(psd(new double[] {1, 0, 0, 1}).passed());
    assertTrue(psd(new double[] {2, 1, 1, 2}).passed());
    assertFalse(psd(new double[] {1, 2, 2, 1}).passed()); // eigenvalues 3, −1
    assertFalse(psd(new double[] {-1e-300, 0, 0, 1}).passed());
    assertFalse(psd(new double[] {1, 1, 1, 1}).passed(), "singular: no strict margin, not certified");
    assertFalse(psd(new double[] {1, Double.NaN, Double.NaN, 1}).passed());
  }

  @Test
  void signsOfTheLmi() {
    // f(x) = 3·relu(2x): S(ρ, t) = [[ρ, −2t], [−2t, 2t − 9]] ⪰ 0 needs ρ ≥ 36 (at t = 9)
    LipSdpProblem p = new LipSdpProblem(
        List.of(new DenseMatrix(1, 1, new double[] {2}), new DenseMatrix(1, 1, new double[] {3})),
        List.of(new ActivationSpec("relu", 0, 1, true)), Mode.NEURON, 0);
    assertTrue(LmiCertificate.check(p, 36.001, new double[] {0, 0, 9}).passed());
    assertFalse(LmiCertificate.check(p, 35.99, new double[] {0, 0, 9}).passed());
    assertFalse(LmiCertificate.check(p, 1e6, new double[] {0, 0, 4.4}).passed(), "2t − 9 < 0");
    double[] abs = new double[4];
    double[] s = p.lmi(36, new double[] {0, 0, 9}, abs);
    assertTrue(s[0] == 36 && s[1] == -18 && s[2] == -18 && s[3] == 9, java.util.Arrays.toString(s));
  }

  @Test
  void verifiedSolutionIsTight() {
    // at the verified optimum, 0.1% less ρ with the same T no longer passes
    List<DenseMatrix> w = Nets.nonNegative(new int[] {3, 8, 6, 2}, new Random(5));
    List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);
    LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, LipSdp.Limits.defaults());
    LipSdpProblem p = new LipSdpProblem(w, acts, Mode.NEURON, 0);
    double[] mult = new double[p.numVars + 1];
    System.arraycopy(s.multipliers(), 0, mult, 2, s.multipliers().length);
    assertTrue(LmiCertificate.check(p, s.rho() * (1 + 1e-6), mult).passed());
    assertFalse(LmiCertificate.check(p, s.rho() * (1 - 1e-3), mult).passed());
  }
}
