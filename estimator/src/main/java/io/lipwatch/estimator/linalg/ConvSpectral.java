package io.lipwatch.estimator.linalg;

/**
 * Spectral-norm bounds of 2-D convolutions from their Fourier blocks.
 *
 * <p>Embedding argument (why the circular values bound the zero-padded, strided, dilated layer): put the input on an
 * N_h×N_w torus with N ≥ {@link Conv2dOperator#paddedGrid()}, shifted by the top/left padding (zero-filling the rest:
 * an isometric embedding E). Every window of every output then lies inside the torus without wrapping, so the layer is
 * A = S·C·E, with C the circular convolution on the torus and S the selection of the (strided) output positions, a
 * coordinate projection. ‖S‖, ‖E‖ ≤ 1, hence ‖A‖₂ ≤ ‖C‖₂. A strided layer is bounded more tightly by the
 * strided circular operator itself (downsampling included), whose Fourier blocks are the polyphase stacks of
 * {@link #stridedCertified}: the same embedding on a torus whose sides are multiples of the stride. By Sedghi et al. (2019), ‖C‖₂ is the largest singular value
 * of the c_out×c_in matrices K̂(ξ) = Σ_{p,q} K[:,:,p,q]·e^{-2πi(ξ₁·p·d_h/N_h + ξ₂·q·d_w/N_w)} over the N_h·N_w
 * frequencies, and ‖C‖₂ ≤ sup over the continuous torus of σ_max(K̂(ω)), which LipBound bounds.
 */
public final class ConvSpectral {
  private ConvSpectral() {}

  /** u = 2⁻⁵³, the unit roundoff of double precision. */
  private static final double U = Math.ulp(1.0) / 2;
  /**
   * Absolute error of a computed twiddle cos θ or sin θ, θ = 2π·r/N with integers 0 ≤ r &lt; N: fl(fl(2·Math.PI·r)/N)
   * is θ·(1+δ)³ with |δ| ≤ u (Math.PI itself included), so the angle is off by ≤ 2π·γ₃ ≈ 19u; StrictMath.cos/sin are
   * within 1 ulp (≤ 2u for results in [−1, 1]) and cos, sin are 1-Lipschitz: ≤ 21u in all, 32u taken.
   */
  private static final double TWIDDLE_ERROR = 32 * U;
  /** Relative inflations of a frequency's estimate tried by the certificate before the Gram-iteration value. */
  private static final double[] LADDER = {0x1p-40, 0x1p-30, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3};

  /**
   * A proven upper bound of the norm of the circular convolution on an nh×nw torus (hence, on a torus that embeds it,
   * of the zero-padded layer), with what the proof took: the frequencies checked, how many of them needed a new
   * candidate (an estimate and a certificate at a higher value), and the bound on the symbol's rounding error.
   */
  public record Certified(double value, int frequencies, int candidates, double symbolError) {}

  /**
   * Sound, with a floating-point proof: ‖C‖₂ = max over the nh·nw frequencies ξ of σ_max(K̂(ξ)) exactly (Sedghi et
   * al.), and every frequency is proven below the returned s:
   *
   * <ol>
   *   <li>the computed symbol K̃(ξ) differs from the exact K̂(ξ) entrywise by at most β·Σ_t|K_ij,t| in its real and in
   *       its imaginary part, β = γ_kk·(1 + η) + η (η the twiddle error above, γ_kk the dot product of the kk taps), so
   *       ‖K̂ − K̃‖₂ ≤ ‖K̂ − K̃‖_F ≤ e = √2·β·(Σ_ij (Σ_t|K_ij,t|)²)^½, the same at every frequency (rounded upward);</li>
   *   <li>‖K̃(ξ)‖₂ ≤ s − e is proven by {@link NormCertificate#certifiesComplex} (a verified Cholesky of the real
   *       embedding's (s − e)²I − BᵀB), or by ‖K̃(ξ)‖_F ≤ s − e when that is already enough; so ‖K̂(ξ)‖₂ ≤ s.</li>
   * </ol>
   *
   * The frequencies are visited in a fixed pseudo-random order; one that the current s does not cover gets an estimate
   * (Gram iteration on K̃ᴴK̃ with {@code steps} squarings, then the Rayleigh quotient of its dominant column: a value
   * from below) and s is raised to the least step above it that the certificate accepts. s only grows, so frequencies
   * proven earlier stay proven; in a random order few frequencies (about ln of their number) raise it. K real gives
   * K̂(−ξ) = conj K̂(ξ), of the same norm, so half of the ξ₂ range is visited.
   */
  public static Certified circularCertified(Conv2dOperator c, int nh, int nw, int steps) {
    int co = c.cOut();
    int ci = c.cIn();
    int half = nw / 2 + 1;
    int count = nh * half;
    if (isZero(c)) {
      return new Certified(0.0, count, 0, 0.0); // the zero map
    }
    double e = symbolError(c);
    int[] order = visitingOrder(count);
    Symbol k = new Symbol(c);
    double[] fr = k.re;
    double[] fi = k.im;
    double s = 0;
    int candidates = 0;
    for (int f : order) {
      k.at(c, f / half, f % half, nh, nw);
      double frob = frobeniusUp(fr, fi);
      if (Math.nextUp(frob + e) <= s) {
        continue; // ‖K̂‖₂ ≤ ‖K̃‖_F + e ≤ s
      }
      if (s > 0 && NormCertificate.certifiesComplex(fr, fi, co, ci, Math.nextDown(s - e))) {
        continue;
      }
      candidates++;
      s = Math.max(s, raise(fr, fi, co, ci, steps, e, s, frob));
    }
    return new Certified(s, count, candidates, e);
  }

  /** The least proven value above this frequency's estimate (at least the current s); ‖K̃‖_F + e when none is. */
  private static double raise(double[] fr, double[] fi, int co, int ci, int steps, double e, double current, double frob) {
    double[] est = estimate(fr, fi, co, ci, steps);
    double fallback = Math.nextUp(frob + e);
    for (double d : LADDER) {
      double cand = Math.nextUp(Math.nextUp(est[0] * (1 + d)) + e);
      if (cand <= current || cand >= fallback) {
        continue;
      }
      if (NormCertificate.certifiesComplex(fr, fi, co, ci, Math.nextDown(cand - e))) {
        return cand;
      }
    }
    double cand = Math.nextUp(Math.nextUp(est[1] * (1 + 1e-6)) + e);
    if (cand < fallback && NormCertificate.certifiesComplex(fr, fi, co, ci, Math.nextDown(cand - e))) {
      return cand;
    }
    return fallback;
  }

  private static boolean isZero(Conv2dOperator c) {
    return java.util.Arrays.stream(c.kernel()).allMatch(v -> v == 0);
  }

  /**
   * 0 … count−1 in the fixed pseudo-random order (seeded Fisher–Yates) in which the certificates visit frequencies, so
   * that few of them raise the bound and every run proves the same value.
   */
  private static int[] visitingOrder(int count) {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    java.util.Random r = new java.util.Random(0x5eed);
    for (int i = count - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Buffers for one frequency's computed symbol K̃(ξ) (co×ci, real and imaginary parts) and its kk twiddles. */
  private static final class Symbol {
    final double[] re;
    final double[] im;
    private final double[] cos;
    private final double[] sin;

    Symbol(Conv2dOperator c) {
      re = new double[c.cOut() * c.cIn()];
      im = new double[re.length];
      cos = new double[c.kH() * c.kW()];
      sin = new double[cos.length];
    }

    /** Computes K̃ at frequency (a, b) of the nh×nw torus into {@link #re}, {@link #im}. */
    void at(Conv2dOperator c, int a, int b, int nh, int nw) {
      twiddles(c, a, b, nh, nw, cos, sin);
      symbol(c.kernel(), re.length, cos.length, cos, sin, re, im);
    }
  }

  /** The proof's e: a bound of ‖K̂(ξ) − K̃(ξ)‖_F valid at every frequency, every operation rounded upward. */
  static double symbolError(Conv2dOperator c) {
    int kk = c.kH() * c.kW();
    double[] k = c.kernel();
    double sq = 0;
    for (int oi = 0; oi < c.cOut() * c.cIn(); oi++) {
      double t = 0;
      for (int j = 0; j < kk; j++) {
        t = Math.nextUp(t + Math.abs(k[oi * kk + j]));
      }
      sq = Math.nextUp(sq + Math.nextUp(t * t));
    }
    // √2·β·√sq, with 1.5 > √2 and every step upward
    return Math.nextUp(Math.nextUp(1.5 * beta(kk)) * Math.nextUp(Math.sqrt(sq)));
  }

  /**
   * β = γ_kk·(1 + η) + η, rounded upward: the error of a computed symbol entry's real (or imaginary) part is at most
   * β·Σ_t|K_t| (a dot product of kk taps with twiddles each within η of the exact cos, sin).
   */
  static double beta(int kk) {
    double gk = Math.nextUp(kk * U / (1 - Math.nextUp(kk * U)));
    return Math.nextUp(Math.nextUp(gk * Math.nextUp(1 + TWIDDLE_ERROR)) + TWIDDLE_ERROR);
  }

  /**
   * e^{−iθ_t} per tap t = (p, q) at frequency (a, b): θ = 2π·r/N with N = nh·nw and r = (a·p·d_h mod nh)·nw +
   * (b·q·d_w mod nw)·nh reduced mod N in integers, so the only rounding is that of the angle's last two operations.
   */
  private static void twiddles(Conv2dOperator c, int a, int b, int nh, int nw, double[] cos, double[] sin) {
    long n = (long) nh * nw;
    int kw = c.kW();
    for (int p = 0; p < c.kH(); p++) {
      long rh = ((long) a * p * c.dH() % nh) * nw;
      for (int q = 0; q < kw; q++) {
        long rr = (rh + ((long) b * q * c.dW() % nw) * nh) % n;
        double th = 2 * Math.PI * rr / n;
        cos[p * kw + q] = StrictMath.cos(th);
        sin[p * kw + q] = -StrictMath.sin(th);
      }
    }
  }

  /** K̃ = Σ_t K_t·e^{−iθ_t} per (o, i), each a dot product of the kk taps with the twiddles. */
  private static void symbol(double[] k, int blocks, int kk, double[] cos, double[] sin, double[] fr, double[] fi) {
    for (int oi = 0; oi < blocks; oi++) {
      double re = 0;
      double im = 0;
      int base = oi * kk;
      for (int t = 0; t < kk; t++) {
        re += k[base + t] * cos[t];
        im += k[base + t] * sin[t];
      }
      fr[oi] = re;
      fi[oi] = im;
    }
  }

  private static double frobeniusUp(double[] r, double[] i) {
    double s = 0;
    for (int k = 0; k < r.length; k++) {
      s = Math.nextUp(s + Math.nextUp(Math.nextUp(r[k] * r[k]) + Math.nextUp(i[k] * i[k])));
    }
    return Math.nextUp(Math.sqrt(s));
  }

  /**
   * {σ from below, σ from above} of the complex co×ci matrix F, both estimates (not proofs): Gram iteration on
   * G₀ = FᴴF (or FFᴴ), where ‖G₀^(2^t)‖_F^(1/2^t) ≥ λ_max (in exact arithmetic), and the Rayleigh quotient xᴴG₀x/xᴴx ≤
   * λ_max of the largest column x of the last iterate (close to the top eigenvector).
   */
  static double[] estimate(double[] fr0, double[] fi0, int co, int ci, int steps) {
    // scaled to max |entry| = 1 first, so that neither the Gram matrix nor its norm overflows or underflows
    double mx = 0;
    for (int i = 0; i < fr0.length; i++) {
      mx = Math.max(mx, Math.max(Math.abs(fr0[i]), Math.abs(fi0[i])));
    }
    if (mx == 0 || !Double.isFinite(mx)) {
      return new double[] {mx, mx};
    }
    double[] fr = fr0.clone();
    double[] fi = fi0.clone();
    scale(fr, fi, 1 / mx);
    boolean inner = ci <= co;
    int m = inner ? ci : co;
    double[] g0r = new double[m * m];
    double[] g0i = new double[m * m];
    gram(fr, fi, co, ci, inner, g0r, g0i);
    double f = frob(g0r, g0i);
    if (f == 0) {
      return new double[] {0, 0};
    }
    double[] gr = g0r.clone();
    double[] gi = g0i.clone();
    double[] tr = new double[m * m];
    double[] ti = new double[m * m];
    scale(gr, gi, 1 / f);
    double logBound = Math.log(f);
    double pow = 1;
    for (int t = 0; t < steps; t++) {
      square(gr, gi, m, tr, ti);
      double n = frob(tr, ti);
      if (n == 0) {
        break;
      }
      System.arraycopy(tr, 0, gr, 0, m * m);
      System.arraycopy(ti, 0, gi, 0, m * m);
      pow *= 2;
      scale(gr, gi, 1 / n);
      logBound += Math.log(n) / pow;
    }
    int best = 0;
    double bestNorm = -1;
    for (int j = 0; j < m; j++) {
      double v = 0;
      for (int i = 0; i < m; i++) {
        v += gr[i * m + j] * gr[i * m + j] + gi[i * m + j] * gi[i * m + j];
      }
      if (v > bestNorm) {
        bestNorm = v;
        best = j;
      }
    }
    // x = column `best`; ρ = xᴴG₀x / xᴴx (real for Hermitian G₀)
    double num = 0;
    for (int i = 0; i < m; i++) {
      double yr = 0;
      double yi = 0;
      for (int j = 0; j < m; j++) {
        double xr = gr[j * m + best];
        double xi = gi[j * m + best];
        yr += g0r[i * m + j] * xr - g0i[i * m + j] * xi;
        yi += g0r[i * m + j] * xi + g0i[i * m + j] * xr;
      }
      num += gr[i * m + best] * yr + gi[i * m + best] * yi; // Re(conj(x_i)·y_i)
    }
    double rho = bestNorm > 0 ? Math.max(0, num / bestNorm) : 0;
    return new double[] {Math.sqrt(rho) * mx, Math.exp(logBound / 2) * mx};
  }

  /**
   * Whether s ≥ ‖C‖₂ is proven for the circular convolution on the nh×nw torus, by the proof of
   * {@link #circularCertified} with s fixed: false as soon as one frequency is not proven below s (always so for s
   * below the true norm).
   */
  public static boolean certifiesCircular(Conv2dOperator c, int nh, int nw, double s) {
    double e = symbolError(c);
    Symbol k = new Symbol(c);
    for (int a = 0; a < nh; a++) {
      for (int b = 0; b <= nw / 2; b++) {
        k.at(c, a, b, nh, nw);
        if (Math.nextUp(frobeniusUp(k.re, k.im) + e) <= s) {
          continue;
        }
        if (!NormCertificate.certifiesComplex(k.re, k.im, c.cOut(), c.cIn(), Math.nextDown(s - e))) {
          return false;
        }
      }
    }
    return true;
  }

  /** Sound (proven): {@link #circularCertified}'s value. */
  public static double circularGramUpper(Conv2dOperator c, int nh, int nw, int steps) {
    return circularCertified(c, nh, nw, steps).value();
  }

  /**
   * On the smallest torus that contains the padded layer: a proven bound of the layer itself. A strided layer is
   * bounded through its polyphase blocks ({@link #stridedCertified}) on that torus rounded up to multiples of the
   * stride.
   */
  public static double paddedGramUpper(Conv2dOperator c, int steps) {
    int[] n = c.paddedGrid();
    if (c.sH() > 1 || c.sW() > 1) {
      return stridedCertified(c, ceilTo(n[0], c.sH()), ceilTo(n[1], c.sW()), steps).value();
    }
    return circularCertified(c, n[0], n[1], steps).value();
  }

  private static int ceilTo(int n, int s) {
    return (n + s - 1) / s * s;
  }

  /**
   * Sound, with a floating-point proof: the norm of the stride-(s_h, s_w) circular convolution on an nh×nw torus (nh,
   * nw multiples of the strides), y[o, m] = Σ K[o,i,p,q]·x[i, (m₁s_h + p·d_h) mod nh, (m₂s_w + q·d_w) mod nw] for m on
   * the reduced M_h×M_w grid (M = n/s).
   *
   * <p>Polyphase argument: with unitary DFTs, downsampling the stride-1 output ŷ(ω) = K̂(ω)x̂(ω) gives, at each reduced
   * frequency ξ, ŷ_s(ξ) = S^(−½)·Σ_k K̂(ξ + k∘M)·x̂(ξ + k∘M), k over the S = s_h·s_w aliases; the aliased input
   * frequencies of different ξ are disjoint. So the operator is block diagonal with the c_out×(S·c_in) blocks
   * B(ξ) = S^(−½)·[K̂(ξ + k₀∘M) … K̂(ξ + k_{S−1}∘M)], and its norm is max_ξ ‖B(ξ)‖₂ exactly (≤ the stride-1 value,
   * max_k ‖K̂‖). The zero-padded strided layer is P·(this operator)·E on a torus that contains it (E the isometric
   * embedding of the input shifted by the top/left padding, P the selection of the outH×outW outputs from the reduced
   * grid; no window wraps), so its norm is at most this value.
   *
   * <p>Proof per ξ, as in {@link #circularCertified}: each computed block is within e (Frobenius) of the exact one, so
   * the computed stack F̃ = [K̃_k] is within √S·e of the exact; ‖F̃‖₂ ≤ t is proven by the verified Cholesky (or its
   * Frobenius norm), and the value returned is t/√S + e, every operation rounded upward.
   */
  public static Certified stridedCertified(Conv2dOperator c, int nh, int nw, int steps) {
    int sh = c.sH();
    int sw = c.sW();
    if (nh % sh != 0 || nw % sw != 0) {
      throw new IllegalArgumentException("torus " + nh + "x" + nw + " is not a multiple of the stride " + sh + "x" + sw);
    }
    int co = c.cOut();
    int ci = c.cIn();
    int mh = nh / sh;
    int mw = nw / sw;
    int aliases = sh * sw;
    int half = mw / 2 + 1;
    int count = mh * half;
    if (isZero(c)) {
      return new Certified(0.0, count, 0, 0.0);
    }
    double e = symbolError(c);
    int[] order = visitingOrder(count);
    int cols = aliases * ci;
    Symbol block = new Symbol(c);
    double[] fr = new double[co * cols];
    double[] fi = new double[co * cols];
    double t = 0; // proven bound of every computed stack's norm so far
    int candidates = 0;
    for (int f : order) {
      stack(c, f / half, f % half, nh, nw, mh, mw, block, fr, fi);
      double frob = frobeniusUp(fr, fi);
      if (frob <= t) {
        continue;
      }
      if (t > 0 && NormCertificate.certifiesComplex(fr, fi, co, cols, t)) {
        continue;
      }
      candidates++;
      t = Math.max(t, raise(fr, fi, co, cols, steps, 0.0, t, frob));
    }
    return new Certified(stridedValue(t, aliases, e), count, candidates, e);
  }

  /** t/√S + e rounded upward: the bound of max_ξ ‖B(ξ)‖₂ from a bound t of the computed stacks. */
  private static double stridedValue(double t, int aliases, double e) {
    return Math.nextUp(Math.nextUp(t / Math.nextDown(Math.sqrt(aliases))) + e);
  }

  /** The computed stack [K̃(ξ + k∘M)]_k at reduced frequency ξ = (a, b), row-major c_out × (S·c_in). */
  private static void stack(Conv2dOperator c, int a, int b, int nh, int nw, int mh, int mw, Symbol block,
      double[] fr, double[] fi) {
    int co = c.cOut();
    int ci = c.cIn();
    int cols = c.sH() * c.sW() * ci;
    int k = 0;
    for (int k1 = 0; k1 < c.sH(); k1++) {
      for (int k2 = 0; k2 < c.sW(); k2++) {
        block.at(c, a + k1 * mh, b + k2 * mw, nh, nw);
        for (int o = 0; o < co; o++) {
          System.arraycopy(block.re, o * ci, fr, o * cols + k * ci, ci);
          System.arraycopy(block.im, o * ci, fi, o * cols + k * ci, ci);
        }
        k++;
      }
    }
  }

  /**
   * Whether s ≥ the strided circular operator's norm is proven by {@link #stridedCertified}'s proof with s fixed: false
   * as soon as one reduced frequency's stack is not proven below (s − e)·√S (always so for s below the true norm).
   */
  public static boolean certifiesStrided(Conv2dOperator c, int nh, int nw, double s) {
    int co = c.cOut();
    int ci = c.cIn();
    int mh = nh / c.sH();
    int mw = nw / c.sW();
    int aliases = c.sH() * c.sW();
    double e = symbolError(c);
    double t = Math.nextDown(Math.nextDown(s - e) * Math.nextDown(Math.sqrt(aliases)));
    if (!(t > 0)) {
      return false;
    }
    int cols = aliases * ci;
    Symbol block = new Symbol(c);
    double[] fr = new double[co * cols];
    double[] fi = new double[co * cols];
    for (int a = 0; a < mh; a++) {
      for (int b = 0; b <= mw / 2; b++) {
        stack(c, a, b, nh, nw, mh, mw, block, fr, fi);
        if (frobeniusUp(fr, fi) <= t) {
          continue;
        }
        if (!NormCertificate.certifiesComplex(fr, fi, co, cols, t)) {
          return false;
        }
      }
    }
    return true;
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
   * one we can prove in two lines.) Stride is not modelled, and need not be: the embedding argument above. The grid
   * values are the S×S torus's symbols, computed and bounded for rounding as in {@link #circularCertified}.
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
    int kk = c.kH() * c.kW();
    if (isZero(c)) {
      return 0.0;
    }
    double[] maxRow = new double[co];
    double[] maxCol = new double[ci];
    double[] rowSum = new double[co];
    double[] colSum = new double[ci];
    Symbol f = new Symbol(c);
    double[] fr = f.re;
    double[] fi = f.im;
    // the grid ω = 2π(a, b)/S is the S×S torus's frequency grid; p_i(−ω) = p_i(ω), so half of b suffices
    for (int a = 0; a < s; a++) {
      for (int b = 0; b <= s / 2; b++) {
        f.at(c, a, b, s, s);
        java.util.Arrays.fill(rowSum, 0);
        java.util.Arrays.fill(colSum, 0);
        for (int o = 0; o < co; o++) {
          for (int i = 0; i < ci; i++) {
            double re = fr[o * ci + i];
            double im = fi[o * ci + i];
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
    // Rounding, proven: |f_ij − f̃_ij| ≤ ε_ij = 1.5·β·Σ_t|K_ij,t| (see circularCertified), so by Minkowski
    // √p_i ≤ √p̃_i + ε_i with ε_i = ‖(ε_ij)_j‖₂; p̃_i is a rounded sum of 2·ci non-negative products, its exact value
    // ≤ fl·(1 + 2γ_{2ci+2}). Everything after is rounded upward, and 1 − slack downward (nextUp(Math.PI) > π).
    double beta = Math.nextUp(1.5 * beta(kk));
    double[] k = c.kernel();
    double[] epsRow = new double[co];
    double[] epsCol = new double[ci];
    for (int o = 0; o < co; o++) {
      for (int i = 0; i < ci; i++) {
        double t = 0;
        for (int j = 0; j < kk; j++) {
          t = Math.nextUp(t + Math.abs(k[(o * ci + i) * kk + j]));
        }
        double e = Math.nextUp(beta * t);
        double e2 = Math.nextUp(e * e);
        epsRow[o] = Math.nextUp(epsRow[o] + e2);
        epsCol[i] = Math.nextUp(epsCol[i] + e2);
      }
    }
    double sr = provenSum(maxRow, epsRow, NormCertificate.gamma(2L * ci + 2));
    double sc = provenSum(maxCol, epsCol, NormCertificate.gamma(2L * co + 2));
    double slackUp = Math.nextUp(Math.nextUp(Math.nextUp(Math.PI) * (dh + dw)) / s);
    double denom = Math.nextDown(1 - slackUp);
    if (!(denom > 0)) {
      throw new IllegalArgumentException("grid " + s + " too coarse for kernel degree " + (dh + dw));
    }
    return Math.nextUp(Math.sqrt(Math.nextUp(Math.min(sr, sc) / denom)));
  }

  /** Σ_i (√(m_i·(1 + 2γ)) + √ε²_i)², every operation rounded upward. */
  private static double provenSum(double[] max, double[] epsSq, double gamma) {
    double inflate = Math.nextUp(1 + Math.nextUp(2 * gamma));
    double total = 0;
    for (int i = 0; i < max.length; i++) {
      double root = Math.nextUp(Math.sqrt(Math.nextUp(max[i] * inflate)));
      double r = Math.nextUp(root + Math.nextUp(Math.sqrt(epsSq[i])));
      total = Math.nextUp(total + Math.nextUp(r * r));
    }
    return total;
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

  /**
   * G = FᴴF (inner, ci×ci) or FFᴴ (co×co), F co×ci row-major complex. Either way an entry is a conjugated dot product
   * Σ_s conj(x_s)·y_s: of the columns i and j for FᴴF, of the rows j and i for FFᴴ (F[i,t]·conj(F[j,t]) in the other
   * order, the same products and sums).
   */
  private static void gram(double[] fr, double[] fi, int co, int ci, boolean inner, double[] gr, double[] gi) {
    int m = inner ? ci : co;
    int len = inner ? co : ci;
    int step = inner ? ci : 1;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        int x = inner ? i : j * ci;
        int y = inner ? j : i * ci;
        double re = 0;
        double im = 0;
        for (int s = 0; s < len; s++, x += step, y += step) {
          double ar = fr[x];
          double ai = -fi[x];
          double br = fr[y];
          double bi = fi[y];
          re += ar * br - ai * bi;
          im += ar * bi + ai * br;
        }
        gr[i * m + j] = re;
        gi[i * m + j] = im;
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
