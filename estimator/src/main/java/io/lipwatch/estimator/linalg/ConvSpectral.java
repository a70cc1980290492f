package io.lipwatch.estimator.linalg;

/**
 * Spectral-norm bounds of 2-D convolutions from their Fourier blocks.
 *
 * <p>Embedding argument (why the circular values bound the zero-padded, strided, dilated layer): put the input on an
 * N_h×N_w torus with N ≥ {@link Conv2dOperator#paddedGrid()}, shifted by the top/left padding (zero-filling the rest:
 * an isometric embedding E). Every window of every output then lies inside the torus without wrapping, so the layer is
 * A = S·C·E, with C the circular convolution on the torus and S the selection of the (strided) output positions, a
 * coordinate projection. ‖S‖, ‖E‖ ≤ 1, hence ‖A‖₂ ≤ ‖C‖₂. By Sedghi et al. (2019), ‖C‖₂ is the largest singular value
 * of the c_out×c_in matrices K̂(ξ) = Σ_{p,q} K[:,:,p,q]·e^{-2πi(ξ₁·p·d_h/N_h + ξ₂·q·d_w/N_w)} over the N_h·N_w
 * frequencies, and ‖C‖₂ ≤ sup over the continuous torus of σ_max(K̂(ω)), which LipBound bounds.
 */
public final class ConvSpectral {
  private ConvSpectral() {}

  /**
   * Sound: max over the frequencies of the padded torus of a Gram-iteration upper bound of σ_max(K̂(ξ)). Per frequency,
   * G₀ = K̂ᴴK̂ (or K̂K̂ᴴ) is Hermitian PSD and G_{t+1} = G_t², so ‖G_t‖_F^(1/2^t) ≥ λ_max(G₀) = σ_max² at every step;
   * a frequency stops as soon as its bound cannot exceed the running maximum (it can only shrink further).
   * Rounding: K̂ is a sum of k_h·k_w products (relative error ≤ k²ε), each squaring is a relative n·ε in Frobenius norm,
   * diluted by the 2^t-th root; the 1e-9 allowance covers both by orders of magnitude.
   */
  public static double circularGramUpper(Conv2dOperator c, int nh, int nw, int steps) {
    int co = c.cOut();
    int ci = c.cIn();
    boolean inner = ci <= co; // G = K̂ᴴK̂ is ci×ci, else K̂K̂ᴴ is co×co
    int m = inner ? ci : co;
    double[] fr = new double[co * ci];
    double[] fi = new double[co * ci];
    double[] gr = new double[m * m];
    double[] gi = new double[m * m];
    double[] tr = new double[m * m];
    double[] ti = new double[m * m];
    double best = 0;
    for (int a = 0; a < nh; a++) {
      // K real: K̂(−ξ) = conj K̂(ξ), same singular values, so half of the ξ₂ range suffices
      for (int b = 0; b <= nw / 2; b++) {
        fourierBlock(c, 2 * Math.PI * a / nh, 2 * Math.PI * b / nw, fr, fi);
        gram(fr, fi, co, ci, inner, gr, gi);
        double f = frob(gr, gi);
        if (f == 0) {
          continue;
        }
        double logBound = Math.log(f);
        if (Math.exp(logBound / 2) <= best) {
          continue; // σ² ≤ ‖G₀‖_F already below the running maximum
        }
        scale(gr, gi, 1 / f);
        double pow = 1;
        for (int t = 0; t < steps; t++) {
          square(gr, gi, m, tr, ti);
          System.arraycopy(tr, 0, gr, 0, m * m);
          System.arraycopy(ti, 0, gi, 0, m * m);
          pow *= 2;
          double n = frob(gr, gi);
          if (n == 0) {
            logBound = Double.NEGATIVE_INFINITY;
            break;
          }
          scale(gr, gi, 1 / n);
          logBound += Math.log(n) / pow;
          if (Math.exp(logBound / 2) <= best) {
            break;
          }
        }
        best = Math.max(best, Math.exp(logBound / 2));
      }
    }
    return best * (1 + 1e-9);
  }

  /** On the smallest torus that contains the padded layer: a sound bound of the layer itself. */
  public static double paddedGramUpper(Conv2dOperator c, int steps) {
    int[] n = c.paddedGrid();
    return circularGramUpper(c, n[0], n[1], steps);
  }

  /**
   * LipBound (Araujo et al. 2021): √(Σ_i max_ω Σ_j |f_ij(ω)|²) on an S×S grid ω = 2π·(a, b)/S (no repeated end
   * point), times a grid correction. σ_max(F)² ≤ ‖F‖_F² = Σ_i Σ_j |f_ij|², so sup_ω σ_max² ≤ Σ_i sup_ω Σ_j |f_ij|²
   * (for either choice of i: we take the smaller of rows and columns).
   *
   * <p>Grid correction, proved here rather than borrowed: p_i(ω) = Σ_j |f_ij(ω)|² is a real trigonometric polynomial of
   * degree D_h = (k_h−1)·d_h in ω₁ and D_w = (k_w−1)·d_w in ω₂. By Bernstein's inequality |∂p/∂ω₁| ≤ D_h‖p‖∞ (and the
   * same in ω₂); every ω is within π/S per coordinate of a grid point g, so |p(ω) − p(g)| ≤ π(D_h+D_w)/S·‖p‖∞, hence
   * ‖p‖∞ ≤ max_grid p / (1 − π(D_h+D_w)/S) for S > π(D_h+D_w). (Pfister–Bresler's 1/(1−2d/S) is tighter; ours is the
   * one we can prove in two lines.) Stride is not modelled, and need not be: the embedding argument above.
   */
  public static double lipBound(Conv2dOperator c, int s) {
    int dh = (c.kH() - 1) * c.dH();
    int dw = (c.kW() - 1) * c.dW();
    double slack = Math.PI * (dh + dw) / s;
    if (slack >= 1) {
      throw new IllegalArgumentException("grid " + s + " too coarse for kernel degree " + (dh + dw));
    }
    int co = c.cOut();
    int ci = c.cIn();
    int kh = c.kH();
    int kw = c.kW();
    double[] k = c.kernel();
    double[] maxRow = new double[co];
    double[] maxCol = new double[ci];
    double[] innerR = new double[co * ci * kh];
    double[] innerI = new double[co * ci * kh];
    double[] rowSum = new double[co];
    double[] colSum = new double[ci];
    for (int b = 0; b < s; b++) {
      double w2 = 2 * Math.PI * b / s;
      // inner[o][i][p] = Σ_q K[o,i,p,q]·e^{i·q·d_w·ω₂}
      for (int oi = 0; oi < co * ci; oi++) {
        for (int p = 0; p < kh; p++) {
          double re = 0;
          double im = 0;
          int base = (oi * kh + p) * kw;
          for (int q = 0; q < kw; q++) {
            double ang = q * c.dW() * w2;
            re += k[base + q] * Math.cos(ang);
            im += k[base + q] * Math.sin(ang);
          }
          innerR[oi * kh + p] = re;
          innerI[oi * kh + p] = im;
        }
      }
      for (int a = 0; a < s; a++) {
        double w1 = 2 * Math.PI * a / s;
        java.util.Arrays.fill(rowSum, 0);
        java.util.Arrays.fill(colSum, 0);
        double[] cr = new double[kh];
        double[] cim = new double[kh];
        for (int p = 0; p < kh; p++) {
          cr[p] = Math.cos(p * c.dH() * w1);
          cim[p] = Math.sin(p * c.dH() * w1);
        }
        for (int o = 0; o < co; o++) {
          for (int i = 0; i < ci; i++) {
            int base = (o * ci + i) * kh;
            double re = 0;
            double im = 0;
            for (int p = 0; p < kh; p++) {
              double xr = innerR[base + p];
              double xi = innerI[base + p];
              re += xr * cr[p] - xi * cim[p];
              im += xr * cim[p] + xi * cr[p];
            }
            double mag = re * re + im * im;
            rowSum[o] += mag;
            colSum[i] += mag;
          }
        }
        for (int o = 0; o < co; o++) {
          maxRow[o] = Math.max(maxRow[o], rowSum[o]);
        }
        for (int i = 0; i < ci; i++) {
          maxCol[i] = Math.max(maxCol[i], colSum[i]);
        }
      }
    }
    double sr = 0;
    for (double v : maxRow) {
      sr += v;
    }
    double sc = 0;
    for (double v : maxCol) {
      sc += v;
    }
    return Math.sqrt(Math.min(sr, sc) / (1 - slack)) * (1 + 1e-9);
  }

  /**
   * Where LipBound's row maxima sit on the S×S grid: for each output channel i, m_i = max over ω = 2π·(a, b)/S of
   * p_i(ω) = Σ_j |f_ij(ω)|² with f_ij(ω) = Σ_{p,q} K[i,j,p,q]·e^{i(p·d_h·ω₁ + q·d_w·ω₂)}, and the grid point (a_i, b_i)
   * where it is reached (the first one in (b, a) order on ties). √(Σ_i m_i) is the uncorrected grid value Araujo et al.
   * train with; it is not a bound (no grid correction, rows only), which is why {@link #lipBound} stays the estimator's
   * sound value. Used by the LipBound regulariser, whose subgradient is that of p_i at (a_i, b_i).
   *
   * @param kernel [cOut, cIn, kH, kW] in c-order (DL4J's W)
   */
  public static GridMaxima lipBoundGrid(double[] kernel, int cOut, int cIn, int kH, int kW, int dH, int dW, int s) {
    if (kernel.length != cOut * cIn * kH * kW) {
      throw new IllegalArgumentException("kernel length " + kernel.length + " != " + cOut + "x" + cIn + "x" + kH + "x" + kW);
    }
    if (s < 1) {
      throw new IllegalArgumentException("grid size must be ≥ 1, got " + s);
    }
    double[] maxRow = new double[cOut];
    int[] argA = new int[cOut];
    int[] argB = new int[cOut];
    java.util.Arrays.fill(maxRow, -1);
    double[] innerR = new double[cOut * cIn * kH];
    double[] innerI = new double[cOut * cIn * kH];
    double[] cr = new double[kH];
    double[] cim = new double[kH];
    for (int b = 0; b < s; b++) {
      double w2 = 2 * Math.PI * b / s;
      for (int oi = 0; oi < cOut * cIn; oi++) {
        for (int p = 0; p < kH; p++) {
          double re = 0;
          double im = 0;
          int base = (oi * kH + p) * kW;
          for (int q = 0; q < kW; q++) {
            double ang = q * dW * w2;
            re += kernel[base + q] * Math.cos(ang);
            im += kernel[base + q] * Math.sin(ang);
          }
          innerR[oi * kH + p] = re;
          innerI[oi * kH + p] = im;
        }
      }
      for (int a = 0; a < s; a++) {
        double w1 = 2 * Math.PI * a / s;
        for (int p = 0; p < kH; p++) {
          cr[p] = Math.cos(p * dH * w1);
          cim[p] = Math.sin(p * dH * w1);
        }
        for (int o = 0; o < cOut; o++) {
          double row = 0;
          for (int i = 0; i < cIn; i++) {
            int base = (o * cIn + i) * kH;
            double re = 0;
            double im = 0;
            for (int p = 0; p < kH; p++) {
              double xr = innerR[base + p];
              double xi = innerI[base + p];
              re += xr * cr[p] - xi * cim[p];
              im += xr * cim[p] + xi * cr[p];
            }
            row += re * re + im * im;
          }
          if (row > maxRow[o]) {
            maxRow[o] = row;
            argA[o] = a;
            argB[o] = b;
          }
        }
      }
    }
    return new GridMaxima(s, maxRow, argA, argB);
  }

  /**
   * Row maxima of LipBound on an S×S grid and where they are reached.
   *
   * @param rowMax m_i = max_grid Σ_j |f_ij(ω)|², per output channel
   * @param argA   grid index a_i of ω₁ = 2π·a_i/S at the maximum
   * @param argB   grid index b_i of ω₂ = 2π·b_i/S
   */
  public record GridMaxima(int grid, double[] rowMax, int[] argA, int[] argB) {
    /** √(Σ_i m_i): the uncorrected grid value of LipBound. */
    public double value() {
      double t = 0;
      for (double m : rowMax) {
        t += m;
      }
      return Math.sqrt(t);
    }
  }

  /** K̂(ω) with ω = (ω₁, ω₂) in radians per unit step (dilation applied here). */
  static void fourierBlock(Conv2dOperator c, double w1, double w2, double[] fr, double[] fi) {
    int kh = c.kH();
    int kw = c.kW();
    double[] cosP = new double[kh * kw];
    double[] sinP = new double[kh * kw];
    for (int p = 0; p < kh; p++) {
      for (int q = 0; q < kw; q++) {
        double ang = -(p * c.dH() * w1 + q * c.dW() * w2);
        cosP[p * kw + q] = Math.cos(ang);
        sinP[p * kw + q] = Math.sin(ang);
      }
    }
    double[] k = c.kernel();
    int kk = kh * kw;
    for (int oi = 0; oi < c.cOut() * c.cIn(); oi++) {
      double re = 0;
      double im = 0;
      int base = oi * kk;
      for (int t = 0; t < kk; t++) {
        re += k[base + t] * cosP[t];
        im += k[base + t] * sinP[t];
      }
      fr[oi] = re;
      fi[oi] = im;
    }
  }

  /** G = FᴴF (inner, ci×ci) or FFᴴ (co×co), F co×ci row-major complex. */
  private static void gram(double[] fr, double[] fi, int co, int ci, boolean inner, double[] gr, double[] gi) {
    if (inner) {
      for (int i = 0; i < ci; i++) {
        for (int j = 0; j < ci; j++) {
          double re = 0;
          double im = 0;
          for (int o = 0; o < co; o++) {
            // conj(F[o,i])·F[o,j]
            double ar = fr[o * ci + i];
            double ai = -fi[o * ci + i];
            double br = fr[o * ci + j];
            double bi = fi[o * ci + j];
            re += ar * br - ai * bi;
            im += ar * bi + ai * br;
          }
          gr[i * ci + j] = re;
          gi[i * ci + j] = im;
        }
      }
    } else {
      for (int i = 0; i < co; i++) {
        for (int j = 0; j < co; j++) {
          double re = 0;
          double im = 0;
          for (int t = 0; t < ci; t++) {
            // F[i,t]·conj(F[j,t])
            double ar = fr[i * ci + t];
            double ai = fi[i * ci + t];
            double br = fr[j * ci + t];
            double bi = -fi[j * ci + t];
            re += ar * br - ai * bi;
            im += ar * bi + ai * br;
          }
          gr[i * co + j] = re;
          gi[i * co + j] = im;
        }
      }
    }
  }

  private static void square(double[] ar, double[] ai, int m, double[] cr, double[] ci) {
    java.util.Arrays.fill(cr, 0);
    java.util.Arrays.fill(ci, 0);
    for (int i = 0; i < m; i++) {
      for (int k = 0; k < m; k++) {
        double xr = ar[i * m + k];
        double xi = ai[i * m + k];
        int bo = k * m;
        int co = i * m;
        for (int j = 0; j < m; j++) {
          double yr = ar[bo + j];
          double yi = ai[bo + j];
          cr[co + j] += xr * yr - xi * yi;
          ci[co + j] += xr * yi + xi * yr;
        }
      }
    }
  }

  private static double frob(double[] r, double[] i) {
    double s = 0;
    for (int k = 0; k < r.length; k++) {
      s += r[k] * r[k] + i[k] * i[k];
    }
    return Math.sqrt(s);
  }

  private static void scale(double[] r, double[] i, double f) {
    for (int k = 0; k < r.length; k++) {
      r[k] *= f;
      i[k] *= f;
    }
  }
}
