package io.lipwatch.estimator.bounds.eclipse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.lipsdp.LmiCertificate;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-neuron LMI against exact arithmetic: its quadratic form is the slope constraints' (αβ term included, with
 * its sign), every assembled entry is within its declared rounding bound of the exact one, m and q are rounded
 * outward, and the proof rejects points that pass an unshifted floating-point Cholesky but are not PSD exactly.
 */
class NeuronLmiTest {
  private static final double U = Math.ulp(1.0) / 2;

  static List<DenseMatrix> weights(long seed, int... widths) {
    Random r = new Random(seed);
    List<DenseMatrix> w = new ArrayList<>();
    for (int i = 0; i + 1 < widths.length; i++) {
      double[] a = new double[widths[i + 1] * widths[i]];
      for (int k = 0; k < a.length; k++) {
        a[k] = r.nextGaussian() / Math.sqrt(widths[i]);
      }
      w.add(new DenseMatrix(widths[i + 1], widths[i], a));
    }
    return w;
  }

  static NeuronLmi lmi(List<DenseMatrix> w, double alpha, double beta) {
    double[] lo = new double[w.size() - 1];
    double[] hi = new double[w.size() - 1];
    java.util.Arrays.fill(lo, alpha);
    java.util.Arrays.fill(hi, beta);
    double[][] mq = NeuronLmi.slopes(lo, hi);
    return new NeuronLmi(w, mq[0], mq[1]);
  }

  static double[] randomLambda(NeuronLmi lmi, Random r) {
    double[] lam = new double[lmi.hidden];
    for (int i = 0; i < lam.length; i++) {
      lam[i] = 0.1 + 10 * r.nextDouble();
    }
    return lam;
  }

  /**
   * The shared Gram (four-row tiles, in parallel) is every entry's plain dot product in index order, to the bit, on
   * both triangles: what the per-neuron start's WᵀW and the αβ term rely on (row counts not a multiple of four too).
   */
  @Test
  void gramIsTheInOrderDotProductToTheBit() {
    Random r = new Random(8);
    for (int rows : new int[] {1, 4, 7, 13}) {
      double[][] h = new double[rows][9];
      for (double[] row : h) {
        for (int k = 0; k < row.length; k++) {
          row[k] = r.nextInt(4) == 0 ? 0.0 : r.nextGaussian();
        }
      }
      double[] g = EclipseFastBound.gram(h, 0);
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < rows; j++) {
          double s = 0;
          for (int k = 0; k < h[i].length; k++) {
            s += h[i][k] * h[j][k];
          }
          assertEquals(s, g[i * rows + j], 0.0, "G[" + i + "," + j + "] of " + rows + " rows");
        }
      }
    }
  }

  /** The shared forward substitution (four right-hand sides at a time, rows read at an offset and stride) is the one-row loop to the bit. */
  @Test
  void forwardSolveIsTheOneRowSubstitutionToTheBit() {
    Random r = new Random(12);
    int n = 6;
    double[] l = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < i; k++) {
        l[i * n + k] = r.nextGaussian();
      }
      l[i * n + i] = 0.5 + r.nextDouble();
      for (int k = i + 1; k < n; k++) {
        l[i * n + k] = 99; // an upper triangle left by the Cholesky is not read
      }
    }
    for (int rows : new int[] {1, 4, 7}) {
      int stride = n + 3;
      int off = 5;
      double[] src = new double[off + rows * stride];
      for (int k = 0; k < src.length; k++) {
        src[k] = r.nextGaussian();
      }
      double[][] h = EclipseFastBound.forwardSolve(l, n, src, off, stride, rows, 0);
      for (int j = 0; j < rows; j++) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
          double v = src[off + j * stride + i];
          for (int k = 0; k < i; k++) {
            v -= l[i * n + k] * x[k];
          }
          x[i] = v / l[i * n + i];
          assertEquals(x[i], h[j][i], 0.0, "row " + j + " entry " + i + " of " + rows);
        }
      }
    }
  }

  @Test
  void quadraticFormIsTheSlopeConstraints() {
    List<DenseMatrix> w = weights(1, 4, 6, 5, 3);
    NeuronLmi lmi = lmi(w, 0.5, 1);
    Random r = new Random(2);
    double[] lam = randomLambda(lmi, r);
    double rho = 1.7;
    double[] s = lmi.assemble(lam, rho, null);
    int n = lmi.dim;
    for (int trial = 0; trial < 5; trial++) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        v[i] = r.nextGaussian();
      }
      double form = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          form += v[i] * s[i * n + j] * v[j];
        }
      }
      // ‖v₀‖² + Σ_b Σ_i λ(v_bi² − 2m v_bi z_bi + αβ z_bi²) + ρ‖u‖² + 2uᵀW_l v_{l−1}
      double want = 0;
      for (int i = 0; i < lmi.width[0]; i++) {
        want += v[i] * v[i];
      }
      for (int b = 1; b <= lmi.layers; b++) {
        DenseMatrix wb = w.get(b - 1);
        for (int i = 0; i < lmi.width[b]; i++) {
          double z = 0;
          for (int j = 0; j < wb.cols(); j++) {
            z += wb.get(i, j) * v[lmi.off[b - 1] + j];
          }
          double vi = v[lmi.off[b] + i];
          if (b < lmi.layers) {
            want += lam[lmi.hiddenOff[b] + i] * (vi * vi - 2 * 0.75 * vi * z + 0.5 * z * z);
          } else {
            want += rho * vi * vi + 2 * vi * z;
          }
        }
      }
      assertEquals(want, form, 1e-9 * (1 + Math.abs(want)), "the assembled form is the slope constraints' (αβ = +0.5)");
    }
  }

  @Test
  void slopesRoundOutward() {
    double[][] mq = NeuronLmi.slopes(new double[] {0.1, 0.3, 0, 0.01}, new double[] {0.7, 1, 1, 0.25});
    double[] a = {0.1, 0.3, 0, 0.01};
    double[] c = {0.7, 1, 1, 0.25};
    for (int b = 1; b <= a.length; b++) {
      BigDecimal sum = new BigDecimal(a[b - 1]).add(new BigDecimal(c[b - 1]));
      BigDecimal prod = new BigDecimal(a[b - 1]).multiply(new BigDecimal(c[b - 1]));
      assertTrue(new BigDecimal(mq[0][b]).multiply(BigDecimal.valueOf(2)).compareTo(sum) >= 0, "m below (α+β)/2 at " + b);
      assertTrue(new BigDecimal(mq[1][b]).compareTo(prod) <= 0, "q above αβ at " + b);
      assertTrue(mq[1][b] >= 0);
      assertEquals((a[b - 1] + c[b - 1]) / 2, mq[0][b], 2 * Math.ulp(mq[0][b]));
      assertEquals(a[b - 1] * c[b - 1], mq[1][b], 2 * Math.ulp(Math.max(mq[1][b], Double.MIN_NORMAL)));
    }
  }

  /** Every stored entry within γ_K·abs of the exact entry of M(λ, ρ) for the same doubles. */
  @Test
  void assembledEntriesWithinTheirDeclaredRounding() {
    List<DenseMatrix> w = weights(3, 5, 7, 6, 3);
    NeuronLmi lmi = lmi(w, 0.3, 1);
    Random r = new Random(4);
    double[] lam = randomLambda(lmi, r);
    double rho = 2.5;
    int n = lmi.dim;
    double[] abs = new double[n * n];
    double[] s = lmi.assemble(lam, rho, abs);
    BigDecimal[] exact = exactMatrix(lmi, lam, rho);
    double gk = LmiCertificateAccess.gamma(lmi.termsK);
    int inexact = 0;
    for (int k = 0; k < n * n; k++) {
      BigDecimal err = new BigDecimal(s[k]).subtract(exact[k]).abs();
      if (err.signum() != 0) {
        inexact++;
      }
      assertTrue(err.compareTo(new BigDecimal(gk * abs[k])) <= 0, "entry " + k / n + "," + k % n + ": error " + err
          + " above γ_K·abs = " + gk * abs[k]);
    }
    assertTrue(inexact > n, "the αβ and mλW entries round: " + inexact + " inexact entries");
  }

  static BigDecimal[] exactMatrix(NeuronLmi lmi, double[] lam, double rho) {
    int n = lmi.dim;
    BigDecimal[] e = new BigDecimal[n * n];
    java.util.Arrays.fill(e, BigDecimal.ZERO);
    for (int i = 0; i < lmi.width[0]; i++) {
      e[i * n + i] = BigDecimal.ONE;
    }
    for (int b = 1; b < lmi.layers; b++) {
      DenseMatrix wb = lmi.w.get(b - 1);
      BigDecimal m = new BigDecimal(lmi.m[b]);
      BigDecimal q = new BigDecimal(lmi.q[b]);
      int o = lmi.off[b - 1];
      for (int i = 0; i < lmi.width[b]; i++) {
        BigDecimal li = new BigDecimal(lam[lmi.hiddenOff[b] + i]);
        int p = lmi.off[b] + i;
        e[p * n + p] = e[p * n + p].add(li);
        for (int j = 0; j < wb.cols(); j++) {
          BigDecimal v = m.multiply(li).multiply(new BigDecimal(wb.get(i, j))).negate();
          e[p * n + o + j] = v;
          e[(o + j) * n + p] = v;
          for (int k = 0; k < wb.cols(); k++) {
            BigDecimal t = q.multiply(li).multiply(new BigDecimal(wb.get(i, j))).multiply(new BigDecimal(wb.get(i, k)));
            e[(o + j) * n + o + k] = e[(o + j) * n + o + k].add(t);
          }
        }
      }
    }
    DenseMatrix wl = lmi.w.get(lmi.layers - 1);
    int o = lmi.off[lmi.layers - 1];
    for (int r = 0; r < wl.rows(); r++) {
      int p = lmi.off[lmi.layers] + r;
      e[p * n + p] = new BigDecimal(rho);
      for (int j = 0; j < wl.cols(); j++) {
        e[p * n + o + j] = new BigDecimal(wl.get(r, j));
        e[(o + j) * n + p] = new BigDecimal(wl.get(r, j));
      }
    }
    return e;
  }

  /**
   * 1-1-1 networks with inexact products: the least ρ in floating point is off from the exact one by rounding, so
   * some ρ pass an unshifted Cholesky of the assembled matrix although the exact M(λ, ρ) is not PSD. The proof must
   * refuse every such ρ and accept ρ a relative 10⁻⁹ above the least.
   */
  @Test
  void roundingAllowanceRefusesPointsOnlyFloatingPointAccepts() {
    Random r = new Random(5);
    int fooled = 0;
    for (int trial = 0; trial < 300 && fooled < 5; trial++) {
      double w1 = 0.5 + r.nextDouble();
      double w2 = 0.5 + r.nextDouble();
      List<DenseMatrix> w = List.of(new DenseMatrix(1, 1, new double[] {w1}), new DenseMatrix(1, 1, new double[] {w2}));
      double alpha = r.nextBoolean() ? 0 : 0.3;
      NeuronLmi lmi = lmi(w, alpha, 1);
      double m = lmi.m[1];
      double lam = (0.3 + 0.4 * r.nextDouble()) / (m * m * w1 * w1); // inside (0, 1/(m²w1²))
      double rhoMin = lmi.leastRho(new double[] {lam});
      assertTrue(EclipseFastBound.prove(lmi, new double[] {lam}, rhoMin * (1 + 1e-9)), "a margin of 1e-9 is provable");
      double rho = rhoMin;
      for (int k = 0; k < 4; k++) {
        rho = Math.nextDown(rho);
      }
      for (int k = 0; k < 24; k++, rho = Math.nextUp(rho)) {
        double[] s = lmi.assemble(new double[] {lam}, rho, null);
        boolean floating = LmiCertificate.cholesky(s, 3) < 0;
        boolean exactPsd = exactPsd3(exactMatrix(lmi, new double[] {lam}, rho));
        if (floating && !exactPsd) {
          fooled++;
          assertFalse(EclipseFastBound.prove(lmi, new double[] {lam}, rho), "ρ = " + rho + " is not PSD exactly");
        }
        if (!exactPsd) {
          assertFalse(EclipseFastBound.prove(lmi, new double[] {lam}, rho));
        }
      }
    }
    assertTrue(fooled >= 5, "found only " + fooled + " points where floating point alone would be fooled");
  }

  /** PSD of a symmetric 3×3 matrix exactly: all principal minors ≥ 0. */
  static boolean exactPsd3(BigDecimal[] a) {
    MathContext exact = MathContext.UNLIMITED;
    for (int i = 0; i < 3; i++) {
      if (a[i * 3 + i].signum() < 0) {
        return false;
      }
    }
    for (int i = 0; i < 3; i++) {
      for (int j = i + 1; j < 3; j++) {
        if (a[i * 3 + i].multiply(a[j * 3 + j], exact).subtract(a[i * 3 + j].multiply(a[j * 3 + i], exact)).signum() < 0) {
          return false;
        }
      }
    }
    BigDecimal det = a[0].multiply(a[4].multiply(a[8]).subtract(a[5].multiply(a[7])))
        .subtract(a[1].multiply(a[3].multiply(a[8]).subtract(a[5].multiply(a[6]))))
        .add(a[2].multiply(a[3].multiply(a[7]).subtract(a[4].multiply(a[6]))));
    return det.signum() >= 0;
  }

  /** γ_k as the certificate computes it. */
  static final class LmiCertificateAccess {
    static double gamma(int k) {
      double ku = k * U;
      return ku / (1 - ku);
    }
  }
}
