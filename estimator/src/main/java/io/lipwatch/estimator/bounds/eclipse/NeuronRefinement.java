package io.lipwatch.estimator.bounds.eclipse;

import io.lipwatch.estimator.bounds.lipsdp.LmiCertificate;

/**
 * Per-neuron multipliers for small networks, in plain floating point (nothing here is trusted: the caller proves the
 * final point). A log-barrier path-following method on the LipSDP-Neuron matrix of {@link NeuronLmi}:
 * min t·ρ − log det M(λ, ρ) − Σ log λ_h by damped Newton steps, t raised eightfold per centring, from a strictly
 * feasible start (ECLipsE-Fast's θ = ½ point). M is affine in (λ, ρ) and each neuron's term is rank two,
 * A_h = U_hC_hU_hᵀ with U_h = [e_h, a_h] (its unit vector and its weight row placed in the block before) and
 * C_h = [[1, −m], [−m, q]], so the Hessian tr(M⁻¹A_gM⁻¹A_h) needs only M⁻¹ and M⁻¹a_h.
 */
final class NeuronRefinement {
  private NeuronRefinement() {}

  /** Relative duality gap (barrier parameter / t over ρ) at which the path is left. */
  static final double GAP = 2e-4;

  /** Where the path was left: λ then ρ in {@code x}, after {@code steps} Newton steps. */
  record Point(double[] x, int steps) {}

  /** The multipliers reached, or null when the start is not strictly feasible. */
  static Point optimise(NeuronLmi lmi, double[] lam0, double rho0, long deadline, int maxSteps) {
    int n = lmi.hidden;
    double[] x = new double[n + 1];
    System.arraycopy(lam0, 0, x, 0, n);
    x[n] = rho0;
    double barrier = lmi.dim + n;
    double t = barrier / rho0; // larger first t (measured) stalls near the boundary: the path is followed from here
    double[] lx = factor(lmi, x); // M's factor at x: the line search's, reused by the next step's derivatives
    double fx = value(lmi, x, t, lx);
    if (!Double.isFinite(fx)) {
      return null;
    }
    int steps = 0;
    while (true) {
      while (true) { // centre fully: leaving early (a cap of 50 steps) stalled leaky nets at 1.6× the optimum
        if (steps++ >= maxSteps || (deadline != 0 && System.nanoTime() > deadline)) {
          return new Point(x, steps - 1);
        }
        double[][] hess = new double[n + 1][n + 1];
        double[] g = derivatives(lmi, x, lx, hess);
        if (g == null) {
          return new Point(x, steps - 1);
        }
        g[n] += t;
        double[] dx = solve(hess, g, n + 1);
        if (dx == null) {
          return new Point(x, steps - 1);
        }
        double dec = 0;
        for (int i = 0; i <= n; i++) {
          dec -= g[i] * dx[i];
        }
        if (!(dec > 1e-7)) {
          break; // centred
        }
        double step = 1;
        for (int i = 0; i < n; i++) {
          if (dx[i] < 0) {
            step = Math.min(step, -0.95 * x[i] / dx[i]);
          }
        }
        double[] y = new double[n + 1];
        boolean moved = false;
        for (int k = 0; k < 40; k++) {
          for (int i = 0; i <= n; i++) {
            y[i] = x[i] + step * dx[i];
          }
          double[] ly = factor(lmi, y);
          double fy = value(lmi, y, t, ly);
          if (fy <= fx - 0.25 * step * dec) {
            System.arraycopy(y, 0, x, 0, n + 1);
            fx = fy;
            lx = ly;
            moved = true;
            break;
          }
          step *= 0.5;
        }
        if (!moved) {
          break;
        }
      }
      if (barrier / t <= GAP * x[n]) {
        return new Point(x, steps);
      }
      t *= 8;
      fx = value(lmi, x, t, lx);
    }
  }

  /** The lower Cholesky factor of M(x) (row-major, in place of M), or null outside the cone (a λ ≤ 0, M not PD). */
  static double[] factor(NeuronLmi lmi, double[] x) {
    int n = lmi.hidden;
    for (int i = 0; i < n; i++) {
      if (!(x[i] > 0)) {
        return null;
      }
    }
    double[] s = lmi.assemble(java.util.Arrays.copyOf(x, n), x[n], null);
    return LmiCertificate.cholesky(s, lmi.dim) >= 0 ? null : s;
  }

  /** t·ρ − log det M − Σ log λ from M's factor {@code l} at x; +∞ outside the cone (l null). */
  static double value(NeuronLmi lmi, double[] x, double t, double[] l) {
    if (l == null) {
      return Double.POSITIVE_INFINITY;
    }
    int n = lmi.hidden;
    double f = t * x[n];
    for (int i = 0; i < n; i++) {
      f -= Math.log(x[i]);
    }
    int d = lmi.dim;
    for (int i = 0; i < d; i++) {
      f -= 2 * Math.log(l[i * d + i]);
    }
    return f;
  }

  /** Gradient of −log det M − Σ log λ (returned) and its Hessian (into hess), from M's factor {@code s} at x. */
  static double[] derivatives(NeuronLmi lmi, double[] x, double[] s, double[][] hess) {
    int n = lmi.hidden;
    int d = lmi.dim;
    if (s == null) {
      return null;
    }
    double[] inv = inverse(s, d);
    // Y[r][h] = (M⁻¹a_h)_r, a_h = neuron h's weight row in the block before its own
    double[][] y = new double[d][n];
    int[] pos = new int[n];
    int[] layer = new int[n];
    for (int b = 1; b < lmi.layers; b++) {
      double[] wd = lmi.w.get(b - 1).data();
      int cols = lmi.width[b - 1];
      int o = lmi.off[b - 1];
      for (int i = 0; i < lmi.width[b]; i++) {
        int h = lmi.hiddenOff[b] + i;
        pos[h] = lmi.off[b] + i;
        layer[h] = b;
        int ri = i * cols;
        for (int r = 0; r < d; r++) {
          int rr = r * d + o;
          double acc = 0;
          for (int j = 0; j < cols; j++) {
            acc += inv[rr + j] * wd[ri + j];
          }
          y[r][h] = acc;
        }
      }
    }
    // Q[g][h] = a_gᵀ M⁻¹ a_h
    double[][] qm = new double[n][n];
    for (int gi = 0; gi < n; gi++) {
      int b = layer[gi];
      double[] wd = lmi.w.get(b - 1).data();
      int cols = lmi.width[b - 1];
      int o = lmi.off[b - 1];
      int ri = (pos[gi] - lmi.off[b]) * cols;
      double[] row = qm[gi];
      for (int j = 0; j < cols; j++) {
        double wj = wd[ri + j];
        if (wj == 0) {
          continue;
        }
        double[] yr = y[o + j];
        for (int h = 0; h < n; h++) {
          row[h] += wj * yr[h];
        }
      }
    }
    double[] grad = new double[n + 1];
    for (int gi = 0; gi < n; gi++) {
      double mg = lmi.m[layer[gi]];
      double qg = lmi.q[layer[gi]];
      int pg = pos[gi];
      // tr(C P_gg), P_gg = [[M⁻¹_pp, (M⁻¹a)_p], [(M⁻¹a)_p, aᵀM⁻¹a]]
      grad[gi] = -(inv[pg * d + pg] - 2 * mg * y[pg][gi] + qg * qm[gi][gi]) - 1 / x[gi];
      for (int hi = 0; hi <= gi; hi++) {
        double mh = lmi.m[layer[hi]];
        double qh = lmi.q[layer[hi]];
        int ph = pos[hi];
        double p11 = inv[pg * d + ph];
        double p12 = y[pg][hi];
        double p21 = y[ph][gi];
        double p22 = qm[gi][hi];
        // A = C_g P, B = C_h Pᵀ, tr(AB)
        double a11 = p11 - mg * p21;
        double a12 = p12 - mg * p22;
        double a21 = -mg * p11 + qg * p21;
        double a22 = -mg * p12 + qg * p22;
        double b11 = p11 - mh * p12;
        double b12 = p21 - mh * p22;
        double b21 = -mh * p11 + qh * p12;
        double b22 = -mh * p21 + qh * p22;
        double v = a11 * b11 + a12 * b21 + a21 * b12 + a22 * b22;
        hess[gi][hi] = v;
        hess[hi][gi] = v;
      }
      hess[gi][gi] += 1 / (x[gi] * x[gi]);
    }
    int no = lmi.width[lmi.layers];
    int po = lmi.off[lmi.layers];
    double hrr = 0;
    double tr = 0;
    for (int a = 0; a < no; a++) {
      tr += inv[(po + a) * d + po + a];
      for (int c = 0; c < no; c++) {
        double v = inv[(po + a) * d + po + c];
        hrr += v * v;
      }
    }
    grad[n] = -tr;
    hess[n][n] = hrr;
    for (int gi = 0; gi < n; gi++) {
      double mg = lmi.m[layer[gi]];
      double qg = lmi.q[layer[gi]];
      int pg = pos[gi];
      double v = 0;
      for (int a = 0; a < no; a++) {
        double z1 = inv[pg * d + po + a];
        double z2 = y[po + a][gi];
        v += z1 * z1 - 2 * mg * z1 * z2 + qg * z2 * z2;
      }
      hess[gi][n] = v;
      hess[n][gi] = v;
    }
    return grad;
  }

  /** M⁻¹ from its lower Cholesky factor (row-major, in place in l's storage order). */
  private static double[] inverse(double[] l, int d) {
    double[] li = new double[d * d]; // L⁻¹, lower
    for (int c = 0; c < d; c++) {
      li[c * d + c] = 1 / l[c * d + c];
      for (int i = c + 1; i < d; i++) {
        double v = 0;
        int ri = i * d;
        for (int k = c; k < i; k++) {
          v -= l[ri + k] * li[k * d + c];
        }
        li[ri + c] = v / l[ri + i];
      }
    }
    double[] inv = new double[d * d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double v = 0;
        for (int k = i; k < d; k++) {
          v += li[k * d + i] * li[k * d + j];
        }
        inv[i * d + j] = v;
        inv[j * d + i] = v;
      }
    }
    return inv;
  }

  /** H Δ = −g by Cholesky, with a growing ridge if H is not numerically positive definite. */
  private static double[] solve(double[][] h, double[] g, int n) {
    double scale = 0;
    for (int i = 0; i < n; i++) {
      scale = Math.max(scale, Math.abs(h[i][i]));
    }
    for (double ridge = 0; ridge <= 1e-2 * scale; ridge = ridge == 0 ? 1e-12 * scale : ridge * 100) {
      double[] a = new double[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          a[i * n + j] = h[i][j];
        }
        a[i * n + i] += ridge;
      }
      if (LmiCertificate.cholesky(a, n) >= 0) {
        continue;
      }
      double[] z = new double[n];
      for (int i = 0; i < n; i++) {
        double v = -g[i];
        for (int k = 0; k < i; k++) {
          v -= a[i * n + k] * z[k];
        }
        z[i] = v / a[i * n + i];
      }
      for (int i = n - 1; i >= 0; i--) {
        double v = z[i];
        for (int k = i + 1; k < n; k++) {
          v -= a[k * n + i] * z[k];
        }
        z[i] = v / a[i * n + i];
      }
      return z;
    }
    return null;
  }
}
