package io.lipwatch.estimator.bounds.lipsdp;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.util.List;

/**
 * The LipSDP LMI of an MLP x ↦ W_L φ(W_{L−1} … φ(W_1 x)) on the stacked vector z = [x₀; x₁; …; x_{L−1}] (input, then
 * the hidden activations):
 *
 * <pre>
 *   S(ρ, T) = ρ·E₀ − Σ_k t_k·G_k − N  ⪰ 0,
 *   G_k = −2αβ a_k a_kᵀ + (α+β)(a_k b_kᵀ + b_k a_kᵀ) − 2 b_k b_kᵀ,   N = blkdiag(0, …, 0, W_LᵀW_L),
 * </pre>
 *
 * where E₀ is the identity on the x₀ block, a_kᵀz is neuron k's pre-activation (a row of W_i on block x_{i−1}) and
 * b_kᵀz its output (a unit vector on block x_i). −S is the matrix [A;B]ᵀQ[A;B] + blkdiag(−ρI, 0, …, W_LᵀW_L) of
 * Fazlyab et al., so S ⪰ 0 is their condition. Variables: y₁ = ρ, then one t per hidden neuron (Neuron) or one λ per
 * hidden layer (Layer).
 */
final class LipSdpProblem implements SdpData {
  final List<DenseMatrix> w;
  final double[] alpha;
  final double[] beta;
  final LipSdp.Mode mode;
  final int layers; // L
  final int n0;
  final int[] size; // size[i] = dimension of x_i, i = 0..L (size[L] = outputs)
  final int[] offset; // offset[i] = start of block x_i in z, i = 0..L−1
  final int dim; // n0 + hidden
  final int hidden;
  final int numVars; // 1 + number of multipliers
  final double margin; // δ: the SDP asks for S ⪰ δ·I
  double multiplierCost; // objective weight of every multiplier (0: pure LipSDP)

  LipSdpProblem(List<DenseMatrix> w, List<ActivationSpec> acts, LipSdp.Mode mode, double margin) {
    this.w = List.copyOf(w);
    this.mode = mode;
    this.margin = margin;
    this.layers = w.size();
    this.size = new int[layers + 1];
    size[0] = w.get(0).cols();
    for (int i = 1; i <= layers; i++) {
      size[i] = w.get(i - 1).rows();
    }
    this.n0 = size[0];
    this.offset = new int[layers];
    int off = 0;
    for (int i = 0; i < layers; i++) {
      offset[i] = off;
      off += size[i];
    }
    this.dim = off;
    this.hidden = dim - n0;
    this.alpha = new double[layers];
    this.beta = new double[layers];
    for (int i = 1; i < layers; i++) {
      alpha[i] = acts.get(i - 1).slopeMin();
      beta[i] = acts.get(i - 1).slopeMax();
    }
    this.numVars = 1 + (mode == LipSdp.Mode.NEURON ? hidden : layers - 1);
  }

  /** The variable (1-based as in the SDPA file; 1 is ρ) multiplying neuron j of hidden layer i (1..L−1). */
  int variableOf(int layer, int j) {
    return mode == LipSdp.Mode.NEURON ? 2 + offset[layer] - n0 + j : 1 + layer;
  }

  /** Nonzeros the SDPA file will hold (upper triangles), computed before building anything. */
  static long estimateNonzeros(int[] size, double[] alpha, double[] beta, LipSdp.Mode mode) {
    int layers = size.length - 1;
    long nnz = size[0];
    for (int i = 1; i < layers; i++) {
      long in = size[i - 1];
      nnz += (long) size[i] * in + 2L * size[i];
      if (alpha[i] * beta[i] != 0) {
        long tri = in * (in + 1) / 2;
        nnz += mode == LipSdp.Mode.NEURON ? size[i] * tri : tri;
      }
    }
    long last = size[layers - 1];
    nnz += last * (last + 1) / 2;
    for (int i = 0; i < layers; i++) {
      nnz += size[i];
    }
    return nnz;
  }

  @Override
  public int numVariables() {
    return numVars;
  }

  @Override
  public int[] blockSizes() {
    return numVars > 1 ? new int[] {dim, -(numVars - 1)} : new int[] {dim};
  }

  @Override
  public double objective(int var) {
    return var == 1 ? 1.0 : multiplierCost;
  }

  @Override
  public void entries(EntrySink sink) {
    // F₀ = N + δI (so that Σ yᵢFᵢ − F₀ = S(ρ,T) − δI ⪰ 0)
    DenseMatrix wl = w.get(layers - 1);
    int lo = offset[layers - 1];
    int ln = size[layers - 1];
    double[] gram = gram(wl);
    for (int a = 0; a < ln; a++) {
      for (int b = a; b < ln; b++) {
        double v = gram[a * ln + b] + (a == b ? margin : 0.0);
        sink.accept(0, 1, lo + a + 1, lo + b + 1, v);
      }
    }
    for (int q = 0; q < dim; q++) {
      if (q < lo || q >= lo + ln) {
        sink.accept(0, 1, q + 1, q + 1, margin);
      }
    }
    // F₁ = E₀ (ρ)
    for (int a = 0; a < n0; a++) {
      sink.accept(1, 1, a + 1, a + 1, 1.0);
    }
    // multipliers: F_v = −Σ_{k in group v} G_k, and +1 on the diagonal block (t ≥ 0)
    for (int i = 1; i < layers; i++) {
      DenseMatrix wi = w.get(i - 1);
      int in = size[i - 1];
      int p = offset[i - 1];
      double ab = alpha[i] * beta[i];
      double apb = alpha[i] + beta[i];
      for (int j = 0; j < size[i]; j++) {
        int var = variableOf(i, j);
        int q = offset[i] + j;
        if (mode == LipSdp.Mode.NEURON && ab != 0) {
          for (int a = 0; a < in; a++) {
            double ra = wi.get(j, a);
            if (ra == 0) {
              continue;
            }
            for (int b = a; b < in; b++) {
              sink.accept(var, 1, p + a + 1, p + b + 1, 2 * ab * ra * wi.get(j, b));
            }
          }
        }
        for (int a = 0; a < in; a++) {
          sink.accept(var, 1, p + a + 1, q + 1, -apb * wi.get(j, a));
        }
        sink.accept(var, 1, q + 1, q + 1, 2.0);
      }
      if (mode == LipSdp.Mode.LAYER && ab != 0) {
        double[] g = gram(wi);
        for (int a = 0; a < in; a++) {
          for (int b = a; b < in; b++) {
            sink.accept(1 + i, 1, p + a + 1, p + b + 1, 2 * ab * g[a * in + b]);
          }
        }
      }
    }
    for (int v = 2; v <= numVars; v++) {
      sink.accept(v, 2, v - 1, v - 1, 1.0);
    }
  }

  /** WᵀW (cols × cols, row-major). */
  static double[] gram(DenseMatrix m) {
    int n = m.cols();
    double[] g = new double[n * n];
    double[] d = m.data();
    for (int r = 0; r < m.rows(); r++) {
      int off = r * n;
      for (int a = 0; a < n; a++) {
        double x = d[off + a];
        if (x == 0) {
          continue;
        }
        int go = a * n;
        for (int b = a; b < n; b++) {
          g[go + b] += x * d[off + b];
        }
      }
    }
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < a; b++) {
        g[a * n + b] = g[b * n + a];
      }
    }
    return g;
  }

  /**
   * S(ρ, T) as a dense dim×dim row-major matrix in floating point, and in {@code abs} the matching sums of absolute
   * values of every term (for the rounding-error bound). {@code mult[v]} is the multiplier of variable v (index 0
   * unused; ρ is passed separately).
   */
  double[] lmi(double rho, double[] mult, double[] abs) {
    double[] s = new double[dim * dim];
    for (int a = 0; a < n0; a++) {
      s[a * dim + a] += rho;
      abs[a * dim + a] += Math.abs(rho);
    }
    for (int i = 1; i < layers; i++) {
      DenseMatrix wi = w.get(i - 1);
      int in = size[i - 1];
      int p = offset[i - 1];
      double ab2 = 2 * alpha[i] * beta[i];
      double apb = alpha[i] + beta[i];
      for (int j = 0; j < size[i]; j++) {
        double tau = mult[variableOf(i, j)];
        int q = offset[i] + j;
        double c = -apb * tau;
        for (int a = 0; a < in; a++) {
          double v = c * wi.get(j, a);
          int r = p + a;
          s[r * dim + q] += v;
          s[q * dim + r] += v;
          abs[r * dim + q] += Math.abs(v);
          abs[q * dim + r] += Math.abs(v);
        }
        s[q * dim + q] += 2 * tau;
        abs[q * dim + q] += Math.abs(2 * tau);
        if (ab2 != 0) {
          double g = ab2 * tau;
          for (int a = 0; a < in; a++) {
            double ga = g * wi.get(j, a);
            if (ga == 0) {
              continue;
            }
            int ro = (p + a) * dim + p;
            for (int b = 0; b < in; b++) {
              double v = ga * wi.get(j, b);
              s[ro + b] += v;
              abs[ro + b] += Math.abs(v);
            }
          }
        }
      }
    }
    DenseMatrix wl = w.get(layers - 1);
    int lo = offset[layers - 1];
    int ln = size[layers - 1];
    double[] d = wl.data();
    for (int r = 0; r < wl.rows(); r++) {
      int off = r * ln;
      for (int a = 0; a < ln; a++) {
        double x = d[off + a];
        if (x == 0) {
          continue;
        }
        int ro = (lo + a) * dim + lo;
        for (int b = 0; b < ln; b++) {
          double v = x * d[off + b];
          s[ro + b] -= v;
          abs[ro + b] += Math.abs(v);
        }
      }
    }
    return s;
  }

  /** The most floating-point terms (each a product of at most four numbers) summed into any entry of S. */
  int maxTermsPerEntry() {
    int m = 1;
    for (int i = 0; i < layers; i++) {
      m = Math.max(m, 1 + size[i + 1] + (i == layers - 1 ? size[layers] : 0));
    }
    return m + size[layers] + 2;
  }
}
