package io.lipwatch.estimator.bounds.eclipse;

import io.lipwatch.estimator.linalg.DenseMatrix;
import java.math.BigDecimal;
import java.util.List;

/**
 * The LipSDP-Neuron matrix in ECLipsE's normalisation, assembled densely for small networks: one multiplier λ_h ≥ 0
 * per hidden neuron and ρ. Blocks 0 … l−1 (input, hidden layers) and the output block; with Λ_b = diag(λ of layer b)
 *
 * <pre>
 *   block (0, 0)     = I + q₁W₁ᵀΛ₁W₁
 *   block (b, b)     = Λ_b + q_{b+1}W_{b+1}ᵀΛ_{b+1}W_{b+1}   (1 ≤ b &lt; l, the q-term only below l)
 *   block (b, b−1)   = −m_bΛ_bW_b                              (1 ≤ b &lt; l)
 *   block (l, l−1)   = W_l,  block (l, l) = ρI
 * </pre>
 *
 * Its quadratic form is ‖v₀‖² + Σ_b Σ_i λ_{b,i}(v_{b,i}² − 2m_b v_{b,i}z_{b,i} + q_b z_{b,i}²) + ρ‖u‖² + 2uᵀW_l v_{l−1}
 * (z_b = W_b v_{b−1}); minimised over u it leaves −‖W_l v_{l−1}‖²/ρ. Each neuron's slope constraint on differences,
 * Δφ = sΔz with s ∈ [α, β], makes its bracket s²−2ms+q ≤ (s−α)(s−β) ≤ 0 whenever m ≥ (α+β)/2 and q ≤ αβ (s ≥ 0):
 * so M ⪰ 0 with λ ≥ 0 gives ‖Δf‖² ≤ ρ‖Δx‖². The q-terms are the αβ part of the constraint: with α &gt; 0 (leaky ReLU)
 * they make M more positive, hence ρ smaller. m is rounded up and q down, in exact arithmetic ({@link #slopes}).
 */
final class NeuronLmi {
  final List<DenseMatrix> w;
  final int layers;
  final int[] width; // n_0 … n_l
  final int[] off;   // first index of each block
  final int dim;
  final int hidden;
  final int[] hiddenOff; // first multiplier index of hidden layer b (1 ≤ b < l)
  final double[] m;  // m_b ≥ (α+β)/2, index b = 1 … l−1
  final double[] q;  // 0 ≤ q_b ≤ α·β
  /** γ-terms of the worst entry: one sum of up to (widest layer + 1) terms, each with ≤ 3 rounded products. */
  final int termsK;

  NeuronLmi(List<DenseMatrix> w, double[] m, double[] q) {
    this.w = w;
    this.layers = w.size();
    this.width = new int[layers + 1];
    this.off = new int[layers + 1];
    width[0] = w.get(0).cols();
    for (int b = 1; b <= layers; b++) {
      width[b] = w.get(b - 1).rows();
      off[b] = off[b - 1] + width[b - 1];
    }
    this.dim = off[layers] + width[layers];
    this.hiddenOff = new int[layers];
    int h = 0;
    int widest = 0;
    for (int b = 1; b < layers; b++) {
      hiddenOff[b] = h;
      h += width[b];
      widest = Math.max(widest, width[b]);
    }
    this.hidden = h;
    this.m = m;
    this.q = q;
    this.termsK = widest + 8;
  }

  /** m_b = (α+β)/2 rounded up and q_b = αβ rounded down, each compared with its exact value. */
  static double[][] slopes(double[] slopeMin, double[] slopeMax) {
    int h = slopeMin.length;
    double[] m = new double[h + 1];
    double[] q = new double[h + 1];
    for (int b = 1; b <= h; b++) {
      BigDecimal a = new BigDecimal(slopeMin[b - 1]);
      BigDecimal c = new BigDecimal(slopeMax[b - 1]);
      double mb = (slopeMin[b - 1] + slopeMax[b - 1]) * 0.5;
      if (new BigDecimal(mb).multiply(BigDecimal.valueOf(2)).compareTo(a.add(c)) < 0) {
        mb = Math.nextUp(mb);
      }
      double qb = slopeMin[b - 1] * slopeMax[b - 1];
      if (new BigDecimal(qb).compareTo(a.multiply(c)) > 0) {
        qb = Math.nextDown(qb);
      }
      m[b] = mb;
      q[b] = Math.max(0, qb);
    }
    return new double[][] {m, q};
  }

  boolean hasAlphaBeta() {
    for (double v : q) {
      if (v > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * M(λ, ρ) row-major, dim × dim; with {@code abs} non-null, abs_ij = Σ|terms| of entry ij as computed, so that the
   * exact entry differs from the stored one by at most γ_K·abs_ij (K = {@link #termsK}).
   */
  double[] assemble(double[] lam, double rho, double[] abs) {
    int n = dim;
    double[] s = new double[n * n];
    for (int i = 0; i < width[0]; i++) {
      s[i * n + i] = 1;
    }
    for (int b = 1; b < layers; b++) {
      for (int i = 0; i < width[b]; i++) {
        int p = off[b] + i;
        s[p * n + p] = lam[hiddenOff[b] + i];
      }
    }
    if (abs != null) {
      for (int i = 0; i < off[layers]; i++) {
        abs[i * n + i] = Math.abs(s[i * n + i]);
      }
    }
    for (int b = 1; b < layers; b++) {
      DenseMatrix wb = w.get(b - 1);
      double[] wd = wb.data();
      int cols = wb.cols();
      int o = off[b - 1];
      int ob = off[b];
      double mb = m[b];
      for (int i = 0; i < width[b]; i++) {
        double li = lam[hiddenOff[b] + i];
        double ml = mb * li;
        int pi = ob + i;
        int ri = i * cols;
        for (int j = 0; j < cols; j++) {
          double v = -(ml * wd[ri + j]);
          s[pi * n + o + j] = v;
          s[(o + j) * n + pi] = v;
          if (abs != null) {
            abs[pi * n + o + j] = Math.abs(v);
            abs[(o + j) * n + pi] = Math.abs(v);
          }
        }
        if (q[b] > 0) {
          // q_b λ_i w_i w_iᵀ into block b−1: the αβ part of neuron i's slope constraint
          double ql = q[b] * li;
          for (int j = 0; j < cols; j++) {
            double cj = ql * wd[ri + j];
            if (cj == 0) {
              continue;
            }
            int rj = (o + j) * n + o;
            for (int k = 0; k < cols; k++) {
              double t = cj * wd[ri + k];
              s[rj + k] += t;
              if (abs != null) {
                abs[rj + k] += Math.abs(t);
              }
            }
          }
        }
      }
    }
    DenseMatrix wl = w.get(layers - 1);
    double[] wd = wl.data();
    int o = off[layers - 1];
    for (int r = 0; r < width[layers]; r++) {
      int p = off[layers] + r;
      s[p * n + p] = rho;
      if (abs != null) {
        abs[p * n + p] = Math.abs(rho);
      }
      for (int j = 0; j < wl.cols(); j++) {
        double v = wd[r * wl.cols() + j];
        s[p * n + o + j] = v;
        s[(o + j) * n + p] = v;
        if (abs != null) {
          abs[p * n + o + j] = Math.abs(v);
          abs[(o + j) * n + p] = Math.abs(v);
        }
      }
    }
    return s;
  }

  /**
   * The least ρ for these multipliers in floating point (no proof): λ_max(B M₀⁻¹ Bᵀ), M₀ the blocks 0 … l−1 and B
   * the output rows; NaN when M₀ is not positive definite.
   */
  double leastRho(double[] lam) {
    int nt = off[layers];
    double[] full = assemble(lam, 0, null);
    double[] top = new double[nt * nt];
    for (int i = 0; i < nt; i++) {
      System.arraycopy(full, i * dim, top, i * nt, nt);
    }
    if (io.lipwatch.estimator.bounds.lipsdp.LmiCertificate.cholesky(top, nt) >= 0) {
      return Double.NaN;
    }
    int no = width[layers];
    // the output rows' first nt entries (B) through the factor of M₀: H = L⁻¹Bᵀ, row by row
    double[][] h = EclipseFastBound.forwardSolve(top, nt, full, off[layers] * dim, dim, no, 0);
    double[] g = EclipseFastBound.gram(h, 0);
    return EclipseFastBound.largestEigenvalue(g, no);
  }
}
