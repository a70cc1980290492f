package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SingleThreadBlas;
import io.lipwatch.estimator.linalg.SpectralNorm;
import java.util.List;
import org.bytedeco.openblas.global.openblas;

/**
 * Local certificates on the ball B(x, ε) of a {@link DenseChain} with monotone activations.
 *
 * <p>Why it is sound. (1) Interval bounds: every pre-activation z_k,i(x′), x′ ∈ B(x, ε), lies in [lo, hi], the
 * intersection of two enclosures: interval propagation (z₁ exactly: z₁,i(x) ± ε‖W₁[i,:]‖₂; then φ monotone maps an
 * interval to [φ(lo), φ(hi)] and an affine map sends a box of centre c and radius r into W c + b ± |W| r) and a
 * Lipschitz one (z_k,i(x′) − z_k,i(x) = Σ_j W_k[i,j]·s_j·Δz_{k−1,j} with s_j the secant slope of φ between the two
 * points, so |Δz_k,i| ≤ ‖W_k[i,:] ∘ s̄‖₂·L(z_{k−1})·ε, s̄_j the largest slope on neuron j's interval).
 * (2) Secant slopes: for x, x′ in the ball, h_k(x′) − h_k(x) = S_k (z_k(x′) − z_k(x)) with S_k diagonal and each
 * entry in the neuron's slope range on its interval ({@link SlopeRange}): 0 or 1 for a stable ReLU, [0, 1] for an
 * unstable one. Hence the margin m = (w_y − w_j)ᵀ h_{L−1} + c satisfies m(x′) − m(x) = gᵀ(x′ − x) with
 * g = W₁ᵀS₁ ⋯ W_{L−1}ᵀS_{L−1}(w_y − w_j) for some S in those ranges, and |m(x′) − m(x)| ≤ sup_S ‖g‖₂·ε.
 * (3) The sup is bounded by carrying an interval vector backward (centre and radius through W_kᵀ and |W_k|ᵀ, products
 * with slope intervals): the enclosure of g at the input, and at each hidden level k the enclosure of the partial
 * product times a Lipschitz bound of z_k on the ball; the least of these levels is kept, and never more than the
 * pairwise bound (a global constant holds on every ball). If m(x) exceeds that bound times ε for every j ≠ y, no point
 * of the ball changes the prediction.
 *
 * <p>Floating point: radii carry the dot products' rounding (γ_n terms, {@link Rounding}), the forward pass carries a
 * bound of its own error ({@link Point}), activation values are widened by a few ulps, and the margin must clear the
 * bound after subtracting the logits' error bounds.
 */
final class LocalCertifier {
  /** Largest one-off norm proof (multiply-adds of its Gram matrix) taken on when the Gram matrices are skipped. */
  static final double MAX_SVD_MACS = 2e9;
  private final DenseChain chain;
  private final int hidden;
  private final DenseMatrix[] abs;
  private final DenseMatrix[] sq;
  private final double[][] rowNorms;
  private final double[] spectral;
  private final double[] frobenius;
  private final double[] gammas;
  /** G = W₁W₁ᵀ (null with fewer than two hidden layers), a bound of its rounding's norm, and its Frobenius norm. */
  private final DenseMatrix gram;
  private final double gramError;
  private final double gramFrobenius;
  /** G_k = W_kW_kᵀ of every hidden layer and a bound of its rounding's spectral norm (γ_n‖W_k‖_F²). */
  private final DenseMatrix[] rowGrams;
  private final double[] rowGramErrors;

  LocalCertifier(DenseChain chain) {
    this(chain, true);
  }

  /**
   * @param grams whether to form the hidden layers' W_kW_kᵀ (the second layer's intervals through W₁W₁ᵀ, proven norms
   *              of the unstable rows): a one-off cost of Σ n_k²·d_k multiply-adds; without them the certificate keeps
   *              the row-wise and slope-restricted Frobenius enclosures and the full layers' spectral norms (wide MLPs)
   */
  LocalCertifier(DenseChain chain, boolean grams) {
    this.chain = chain;
    this.hidden = chain.layers() - 1;
    int l = chain.layers();
    abs = new DenseMatrix[l];
    sq = new DenseMatrix[l];
    rowNorms = new double[l][];
    spectral = new double[l];
    frobenius = new double[l];
    gammas = new double[l];
    for (int k = 0; k < l; k++) {
      DenseMatrix w = chain.weights().get(k);
      double[] a = new double[w.data().length];
      double[] s = new double[a.length];
      for (int i = 0; i < a.length; i++) {
        a[i] = Math.abs(w.data()[i]);
        s[i] = Math.nextUp(a[i] * a[i]);
      }
      abs[k] = new DenseMatrix(w.rows(), w.cols(), a);
      sq[k] = new DenseMatrix(w.rows(), w.cols(), s);
      rowNorms[k] = new double[w.rows()];
      double[] row = new double[w.cols()];
      for (int i = 0; i < w.rows(); i++) {
        System.arraycopy(w.data(), i * w.cols(), row, 0, w.cols());
        rowNorms[k][i] = Rounding.normUp(row);
      }
      // without the Gram matrices (wide layers, unrolled convolutions) a proven SVD norm only where its AᵀA is cheap,
      // else Hölder's √(‖A‖₁‖A‖∞): the one-off cost stays bounded
      spectral[k] = k >= hidden ? Double.NaN
          : grams || (double) w.rows() * w.cols() * Math.min(w.rows(), w.cols()) <= MAX_SVD_MACS ? SpectralNorm.exactUpper(w)
          : w.holderBound();
      frobenius[k] = Rounding.normUp(w.data());
      gammas[k] = Rounding.gamma(w.cols() + 1L);
    }
    rowGrams = grams ? new DenseMatrix[hidden] : null;
    rowGramErrors = new double[hidden];
    for (int k = 0; k < hidden && grams; k++) {
      DenseMatrix w = chain.weights().get(k);
      rowGrams[k] = w.times(w.transpose());
      rowGramErrors[k] = Math.nextUp(Rounding.gamma(w.cols() + 1L) * Math.nextUp(frobenius[k] * frobenius[k]));
    }
    if (hidden >= 2 && grams) {
      gram = rowGrams[0];
      gramError = rowGramErrors[0];
      gramFrobenius = Rounding.normUp(gram.data());
    } else {
      gram = null;
      gramError = 0;
      gramFrobenius = 0;
    }
  }

  /** Multiply-adds of the one-off setup: the hidden layers' W_kW_kᵀ. */
  static double setupMacs(DenseChain chain) {
    double macs = 0;
    for (int k = 0; k < chain.layers() - 1; k++) {
      DenseMatrix w = chain.weights().get(k);
      macs += (double) w.rows() * w.rows() * w.cols();
    }
    return macs;
  }

  /** Whether the local certificate applies: a chain whose activations are monotone. */
  static boolean applies(DenseChain chain) {
    return chain.activations().stream().allMatch(SlopeRange::monotone);
  }

  /** Interval bounds and slopes of every hidden neuron on B(x, ε), and Lipschitz bounds of each z_k on the ball. */
  record Ball(double[][] lo, double[][] hi, double[][] slopeLo, double[][] slopeHi, double[] lipZ, double[] unstableNorm) {}

  /**
   * The forward pass of one point: pre-activations ẑ_k(x) as computed, and err[k][i] ≥ |ẑ_k,i(x) − z_k,i(x)|: each
   * layer's own rounding γ_n(|W||ĥ| + |b|)_i ≤ γ_n(‖W_i‖₂‖ĥ‖₂ + |b_i|), plus the earlier layers' error carried through
   * ‖W_i‖₂·Lip(φ) and the math library's few ulps on φ.
   */
  record Point(double[][] z, double[][] err) {}

  Point point(double[] x) {
    double[][] z = chain.preActivations(x);
    double[][] err = new double[chain.layers()][];
    double hNorm = Rounding.normUp(x);
    double carried = 0; // ‖error of ĥ_{k−1}‖₂
    for (int k = 0; k < chain.layers(); k++) {
      double[] b = chain.biases().get(k);
      int n = z[k].length;
      err[k] = new double[n];
      double e2 = 0;
      for (int i = 0; i < n; i++) {
        double e = Math.nextUp(gammas[k] * (Math.nextUp(rowNorms[k][i] * hNorm) + Math.abs(b[i]) + Math.abs(z[k][i]))
            + Math.nextUp(rowNorms[k][i] * carried) * (1 + 4 * Rounding.U));
        err[k][i] = e;
        e2 = Math.nextUp(e2 + Math.nextUp(e * e));
      }
      if (k < hidden) {
        ActivationSpec s = chain.activations().get(k);
        double t = 0;
        for (double v : z[k]) {
          double h = Math.abs(s.apply(v));
          t = Math.nextUp(t + Math.nextUp(h * h));
        }
        double libm = 8 * Rounding.U; // relative error of φ from the math library (a few ulps)
        hNorm = Math.nextUp(Math.sqrt(t) * (1 + 2 * libm));
        carried = Math.nextUp(Math.nextUp(Math.sqrt(e2) * s.lipschitz()) * (1 + 4 * Rounding.U) + libm * hNorm);
      }
    }
    return new Point(z, err);
  }

  Ball ball(Point p, double eps) {
    double[][] los = new double[hidden][];
    double[][] his = new double[hidden][];
    double[][] sLo = new double[hidden][];
    double[][] sHi = new double[hidden][];
    double[] lipZ = new double[hidden];
    double unstableFirst = -1;
    double[] lo = null;
    double[] hi = null;
    for (int k = 0; k < hidden; k++) {
      DenseMatrix w = chain.weights().get(k);
      double[] b = chain.biases().get(k);
      double[] zk = p.z()[k];
      int n = w.rows();
      double[] nlo = new double[n];
      double[] nhi = new double[n];
      if (k == 0) {
        for (int i = 0; i < n; i++) {
          double r = Math.nextUp(Math.nextUp(eps * rowNorms[0][i]) + p.err()[0][i]);
          nlo[i] = zk[i] - r;
          nhi[i] = zk[i] + r;
        }
        lipZ[0] = spectral[0];
      } else {
        // interval propagation through φ_{k} (monotone) and W_k
        ActivationSpec act = chain.activations().get(k - 1);
        int m = w.cols();
        double[] mid = new double[m];
        double[] rad = new double[m];
        double midNorm = 0;
        for (int j = 0; j < m; j++) {
          double a = Rounding.down(act.apply(lo[j]));
          double c = Rounding.up(act.apply(hi[j]));
          mid[j] = 0.5 * (a + c);
          rad[j] = Math.nextUp(Math.max(c - mid[j], mid[j] - a));
          midNorm = Math.nextUp(midNorm + Math.nextUp(mid[j] * mid[j]));
        }
        midNorm = Math.nextUp(Math.sqrt(midNorm));
        double[] c = new double[n];
        w.multiply(mid, c);
        double[] r = new double[n];
        abs[k].multiply(rad, r);
        // Lipschitz enclosure around z_k(x): row norms of W_k with columns scaled by the previous slopes
        double[] s2 = new double[m];
        double sMax = 0;
        for (int j = 0; j < m; j++) {
          double sb = sHi[k - 1][j];
          s2[j] = Math.nextUp(sb * sb);
          sMax = Math.max(sMax, sb);
        }
        double[] rowS = new double[n];
        sq[k].multiply(s2, rowS);
        double g = gammas[k];
        double frob = 0;
        // second hidden layer: through the first layer's Gram matrix, much tighter than the row norms
        if (k == 1 && gram != null) {
          unstableFirst = unstableRowsNorm(0, sLo[0], sHi[0]);
        }
        SecondLayer second = k == 1 && gram != null ? secondLayer(sLo[0], sHi[0], unstableFirst) : null;
        for (int i = 0; i < n; i++) {
          double cc = c[i] + b[i];
          double ri = Math.nextUp((r[i] + g * (rowNorms[k][i] * midNorm + Math.abs(b[i]) + Math.abs(cc) + r[i])) * (1 + g));
          double rowNorm = Math.nextUp(Math.sqrt(rowS[i] * (1 + g)));
          frob = Math.nextUp(frob + rowS[i] * (1 + g));
          double lipRow = Math.nextUp(rowNorm * lipZ[k - 1]);
          if (second != null) {
            lipRow = Math.min(lipRow, second.row()[i]);
          }
          double rl = Math.nextUp(Math.nextUp(lipRow * eps) + p.err()[k][i]);
          nlo[i] = Math.max(cc - ri, zk[i] - rl);
          nhi[i] = Math.min(cc + ri, zk[i] + rl);
          if (nlo[i] > nhi[i]) { // only rounding can do this: keep the wider enclosure
            nlo[i] = Math.min(cc - ri, zk[i] - rl);
            nhi[i] = Math.max(cc + ri, zk[i] + rl);
          }
        }
        double stepLip = Math.min(Math.nextUp(spectral[k] * sMax), Math.nextUp(Math.sqrt(frob)));
        lipZ[k] = Math.nextUp(stepLip * lipZ[k - 1]);
        if (second != null) {
          lipZ[k] = Math.min(lipZ[k], second.whole());
        }
      }
      ActivationSpec act = chain.activations().get(k);
      sLo[k] = new double[n];
      sHi[k] = new double[n];
      for (int i = 0; i < n; i++) {
        double[] s = SlopeRange.of(act, nlo[i], nhi[i]);
        sLo[k][i] = s[0];
        sHi[k][i] = s[1];
      }
      lo = nlo;
      hi = nhi;
      los[k] = nlo;
      his[k] = nhi;
    }
    double[] unstable = new double[hidden];
    java.util.Arrays.fill(unstable, Double.NaN);
    if (unstableFirst >= 0) {
      unstable[0] = unstableFirst;
    }
    return new Ball(los, his, sLo, sHi, lipZ, unstable);
  }

  /**
   * A Lipschitz bound of z_y − z_j on the ball: the set of products g = W₁ᵀS₁ ⋯ W_{L−1}ᵀS_{L−1}(w_y − w_j) is carried
   * backward in two enclosures at once, a box (centre and radius per coordinate, through W_kᵀ and |W_k|ᵀ) and a ball
   * (an exact centre vector plus an L2 radius, through W_kᵀ and ‖W_k‖₂: S = M + E with M the slope ranges' midpoints,
   * so S·c = M·c + E·c with ‖E·c‖₂ ≤ ‖e ∘ c‖₂). The box is tight when few coordinates are uncertain, the ball when
   * many are (|W|ᵀ adds up radii without cancellation, ‖W‖₂ does not). {@code cap} (the pairwise bound) is returned
   * when nothing is smaller.
   */
  double marginLipschitz(Ball ball, int y, int j, double cap) {
    double[] d = PairwiseBounds.difference(chain.last(), y, j);
    int n = d.length;
    double[] gl = new double[n];
    double[] gh = new double[n];
    for (int i = 0; i < n; i++) {
      double e = Math.nextUp(Rounding.U * Math.abs(d[i]));
      gl[i] = d[i] - e;
      gh[i] = d[i] + e;
    }
    double[] c = d.clone();
    double rho = Math.nextUp(Rounding.U * Rounding.normUp(d));
    double best = cap;
    for (int k = hidden - 1; k >= 0; k--) {
      // through S_k: slopes are ≥ 0, so the product interval's ends are these
      double[] sl = ball.slopeLo()[k];
      double[] sh = ball.slopeHi()[k];
      double sMax = 0;
      double e2 = 0;
      double r2 = 0;
      for (int i = 0; i < gl.length; i++) {
        double a = gl[i] >= 0 ? sl[i] * gl[i] : sh[i] * gl[i];
        double b = gh[i] >= 0 ? sh[i] * gh[i] : sl[i] * gh[i];
        gl[i] = a == 0 ? 0 : Math.nextDown(a);
        gh[i] = b == 0 ? 0 : Math.nextUp(b);
        double mid = 0.5 * (sl[i] + sh[i]);
        double half = Math.nextUp(Math.max(sh[i] - mid, mid - sl[i]));
        double ec = Math.nextUp(half * Math.abs(c[i]));
        e2 = Math.nextUp(e2 + Math.nextUp(ec * ec));
        double rc0 = Math.nextUp(Rounding.U * Math.abs(mid * c[i]));
        r2 = Math.nextUp(r2 + Math.nextUp(rc0 * rc0));
        c[i] = mid * c[i];
        sMax = Math.max(sMax, sh[i]);
      }
      // two radii: the slopes' own uncertainty (supported on the unstable neurons) and what came from above
      double rhoU = Math.nextUp(Math.sqrt(e2));
      double rhoG = Math.nextUp(Math.nextUp(sMax * rho) + Math.nextUp(Math.sqrt(r2)));
      double boxNorm = Rounding.boxNormUp(gl, gh);
      double ballNorm = Math.nextUp(Rounding.normUp(c) + Math.nextUp(rhoU + rhoG));
      best = Math.min(best, Math.nextUp(Math.min(boxNorm, ballNorm) * ball.lipZ()[k]));
      // through W_kᵀ: centre and radius (the radius also carries the centre product's rounding)
      DenseMatrix w = chain.weights().get(k);
      int m = w.cols();
      double[] bc = new double[gl.length];
      double[] r = new double[gl.length];
      for (int i = 0; i < bc.length; i++) {
        bc[i] = 0.5 * (gl[i] + gh[i]);
        r[i] = Math.nextUp(Math.max(gh[i] - bc[i], bc[i] - gl[i]));
      }
      double g = Rounding.gamma(w.rows() + 1L);
      double[] rc = new double[bc.length];
      for (int i = 0; i < bc.length; i++) {
        rc[i] = Math.nextUp(r[i] + g * Math.abs(bc[i]));
      }
      double[] nc = new double[m];
      double[] nr = new double[m];
      w.multiplyTranspose(bc, nc);
      abs[k].multiplyTranspose(rc, nr);
      gl = new double[m];
      gh = new double[m];
      for (int i = 0; i < m; i++) {
        double ri = Math.nextUp(nr[i] * (1 + g));
        gl[i] = nc[i] - ri;
        gh[i] = nc[i] + ri;
      }
      // the ball: exact centre product, its rounding γ_n‖|W|ᵀ|c|‖₂ ≤ γ_n‖W‖_F‖c‖₂, and ‖W‖₂ on the radius
      double cNorm = Rounding.normUp(c);
      double[] wc = new double[m];
      w.multiplyTranspose(c, wc);
      if (rhoU > 0 && Double.isNaN(ball.unstableNorm()[k])) {
        ball.unstableNorm()[k] = unstableRowsNorm(k, sl, sh);
      }
      double nU = rhoU > 0 ? ball.unstableNorm()[k] : 0;
      rho = Math.nextUp(Math.nextUp(Math.nextUp(spectral[k] * rhoG) + Math.nextUp(nU * rhoU))
          + Math.nextUp(g * frobenius[k] * cNorm));
      c = wc;
    }
    double ballNorm = Math.nextUp(Rounding.normUp(c) + rho);
    return Math.min(best, Math.min(Rounding.boxNormUp(gl, gh), ballNorm));
  }

  /**
   * Lipschitz bounds on the ball of the second hidden layer's pre-activations z₂ = W₂ S₁ W₁ Δx + … (secant slopes S₁).
   * With S₁ = M + E (M the slope ranges' midpoints, |E| ≤ e, e zero on stable neurons):
   * |Δz₂,ᵢ| ≤ ‖W₁ᵀ M W₂[i,:]ᵀ‖₂·ε + ‖W₂[i,U] ∘ e_U‖₂·‖W₁[U,:]‖₂·ε, the first norm exactly as √(vᵢᵀ G vᵢ) with
   * G = W₁W₁ᵀ computed once and vᵢ = M W₂[i,:]ᵀ (plus the rounding of G and of the quadratic form); and the whole map's
   * bound ‖W₂ M W₁‖_F + ‖W₂[:,U] diag(e_U)‖_F·‖W₁[U,:]‖₂ (Frobenius ≥ spectral). ‖W₁[U,:]‖₂ ≤ √‖G[U,U]‖_F.
   *
   * @param row   per neuron of z₂, its Lipschitz bound on the ball
   * @param whole the bound of z₂ as a map
   */
  record SecondLayer(double[] row, double whole) {}

  private SecondLayer secondLayer(double[] sLo, double[] sHi, double unstableNorm) {
    DenseMatrix w2 = chain.weights().get(1);
    int n = w2.rows();
    int m = w2.cols();
    double[] mid = new double[m];
    double[] half = new double[m];
    List<Integer> unstable = new java.util.ArrayList<>();
    for (int j = 0; j < m; j++) {
      mid[j] = 0.5 * (sLo[j] + sHi[j]);
      half[j] = Math.nextUp(Math.max(sHi[j] - mid[j], mid[j] - sLo[j]));
      if (half[j] > 0) {
        unstable.add(j);
      }
    }
    // ‖W₁[U,:]‖₂² = λ_max(G[U,U]) ≤ ‖G[U,U]‖_F, G computed with |ΔG| ≤ γ_d |W₁||W₁|ᵀ, whose norm is ≤ γ_d‖W₁‖_F²
    double gu = 0;
    for (int a : unstable) {
      for (int b : unstable) {
        double v = gram.get(a, b);
        gu = Math.nextUp(gu + Math.nextUp(v * v));
      }
    }
    double nU = Math.min(unstableNorm, Math.nextUp(Math.sqrt(Math.nextUp(Math.nextUp(Math.sqrt(gu)) + gramError))));
    double[] w = w2.data();
    // v_ij = W₂[i,j]·mid_j is zero where mid_j is (neurons off on the whole ball): the quadratic forms vᵢᵀGvᵢ need only
    // the other columns of V and that block of G: the full product V·G would only add zero terms, at a far higher cost
    int[] on = java.util.stream.IntStream.range(0, m).filter(j -> mid[j] != 0).toArray();
    int a = on.length;
    double[] v = new double[n * a];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < a; c++) {
        v[i * a + c] = w[i * m + on[c]] * mid[on[c]];
      }
    }
    double[] ga = new double[a * a];
    for (int r = 0; r < a; r++) {
      for (int c = 0; c < a; c++) {
        ga[r * a + c] = gram.get(on[r], on[c]);
      }
    }
    double[] t = product(v, n, ga, a);
    double gq = Rounding.gamma(m + 1L);
    double[] row = new double[n];
    double q2 = 0;
    double e2 = 0;
    for (int i = 0; i < n; i++) {
      double q = 0;
      double vn = 0;
      double eu = 0;
      for (int c = 0; c < a; c++) {
        double vij = v[i * a + c];
        q += t[i * a + c] * vij;
        vn += vij * vij;
      }
      for (int j = 0; j < m; j++) {
        if (half[j] > 0) {
          double x = w[i * m + j] * half[j];
          eu += x * x;
        }
      }
      // vᵀ(G + ΔG)v computed in two rounded products: allow for ΔG and for the products' own rounding
      double err = (gramError + 2 * gq * gramFrobenius) * vn * (1 + 1e-6);
      double qUp = Math.max(q, 0) * (1 + 4 * gq) + err;
      double euUp = eu * (1 + 4 * gq);
      row[i] = Math.nextUp(Math.nextUp(Math.sqrt(qUp)) + Math.nextUp(Math.sqrt(euUp) * nU));
      q2 += qUp;
      e2 += euUp;
    }
    double whole = Math.nextUp(Math.nextUp(Math.sqrt(q2 * (1 + 4 * Rounding.gamma(n + 1L))))
        + Math.nextUp(Math.sqrt(e2 * (1 + 4 * Rounding.gamma(n + 1L))) * nU));
    return new SecondLayer(row, whole);
  }

  /**
   * V·G for V n×a and G a×a (row-major), by OpenBLAS's dgemm: 40–100× the plain Java loop, which was a third of the
   * certificates' time. Its rounding is within the bound {@link #secondLayer} allows for (|error| ≤ γ_a·(|V||G|)ᵢⱼ holds for
   * any order of summation, with or without fused multiply-adds), and OpenBLAS sums each entry the same way whatever
   * its thread count, so the figures repeat from run to run.
   */
  static double[] product(double[] v, int n, double[] g, int a) {
    double[] c = new double[n * a];
    if (n > 0 && a > 0) {
      // on this thread: the certificates run beside the attacks and the engine, where a two-thread call waits for a core
      try (SingleThreadBlas one = SingleThreadBlas.enter()) {
        openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, n, a, a, 1.0, v, a,
            g, a, 0.0, c, a);
      }
    }
    return c;
  }

  /**
   * A proven ‖W_k[U,:]‖₂ for U the neurons of layer k whose slope is not fixed on the ball (a vector supported on U
   * only meets those rows): ‖W_k[U,:]‖₂² = λ_max(G[U,U]) with G = W_kW_kᵀ computed once. A power-iteration estimate s²
   * of λ_max is proven by a Cholesky factorisation of s²I − Ĝ[U,U] shifted down by the rounding it must cover (Ĝ's
   * own, γ_d‖W_k‖_F² in spectral norm; the diagonal's subtraction; the factorisation's 2γ/(1−2γ)·trace, as
   * {@code NormCertificate} allows); the Gershgorin bound when no estimate is proven; ‖W_k‖₂ when smaller.
   */
  double unstableRowsNorm(int k, double[] sl, double[] sh) {
    int[] u = java.util.stream.IntStream.range(0, sl.length).filter(i -> sh[i] > sl[i]).toArray();
    int n = u.length;
    if (n == 0) {
      return 0;
    }
    if (rowGrams == null) {
      return spectral[k]; // no Gram matrices: the whole layer's norm bounds its unstable rows'
    }
    DenseMatrix g = rowGrams[k];
    double[] a = new double[n * n];
    double gersh = 0;
    for (int i = 0; i < n; i++) {
      double row = 0;
      for (int j = 0; j < n; j++) {
        double v = g.get(u[i], u[j]);
        a[i * n + j] = v;
        row = Math.nextUp(row + Math.abs(v));
      }
      gersh = Math.max(gersh, row);
    }
    double best = Math.nextUp(Math.sqrt(Math.nextUp(gersh * (1 + Rounding.gamma(n + 1L)) + rowGramErrors[k])));
    // power iteration on the PSD block: an estimate of λ_max from below
    double[] v = new double[n];
    java.util.Arrays.fill(v, 1.0 / Math.sqrt(n));
    double lambda = 0;
    double[] t = new double[n];
    DenseMatrix block = new DenseMatrix(n, n, a); // its product pipelines the dot products (an estimate: any order)
    for (int it = 0; it < 60; it++) {
      block.multiply(v, t);
      double norm = 0;
      for (int i = 0; i < n; i++) {
        norm += t[i] * t[i];
      }
      norm = Math.sqrt(norm);
      if (norm == 0) {
        break;
      }
      lambda = norm;
      for (int i = 0; i < n; i++) {
        v[i] = t[i] / norm;
      }
    }
    double gn = Rounding.gamma(n + 1L);
    for (double step : new double[] {1e-6, 1e-4, 1e-2}) {
      double s2 = lambda * (1 + step) + rowGramErrors[k];
      double[] m = new double[n * n];
      double trace = 0;
      double diagMax = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          m[i * n + j] = (i == j ? s2 : 0) - a[i * n + j];
        }
        trace = Math.nextUp(trace + Math.max(m[i * n + i], 0));
        diagMax = Math.max(diagMax, Math.abs(m[i * n + i]));
      }
      double shift = (rowGramErrors[k] + 2 * gn / (1 - 2 * gn) * trace * (1 + 4 * Rounding.U * n)
          + 2 * Rounding.U * (s2 + diagMax) + 8.0 * n * (2.0 * n + diagMax) * Double.MIN_VALUE) * (1 + 8 * Rounding.U);
      for (int i = 0; i < n; i++) {
        m[i * n + i] -= shift;
      }
      if (cholesky(m, n)) {
        best = Math.min(best, Math.nextUp(Math.sqrt(s2)));
        break;
      }
    }
    return Math.min(spectral[k], best);
  }

  /**
   * In-place Cholesky of a symmetric n×n matrix; false when a pivot is not positive. The inner products run in four
   * independent sums (they pipeline): the backward-error bound the shift covers holds for any order of an inner
   * product's terms.
   */
  static boolean cholesky(double[] a, int n) {
    for (int j = 0; j < n; j++) {
      int rj = j * n;
      double d = a[rj + j] - dot(a, rj, rj, j);
      if (!(d > 0)) {
        return false;
      }
      double r = Math.sqrt(d);
      a[rj + j] = r;
      for (int i = j + 1; i < n; i++) {
        int ri = i * n;
        a[ri + j] = (a[ri + j] - dot(a, ri, rj, j)) / r;
      }
    }
    return true;
  }

  /** Σ_{k<len} a[p+k]·a[q+k] in four interleaved sums. */
  private static double dot(double[] a, int p, int q, int len) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int k = 0;
    for (; k + 4 <= len; k += 4) {
      s0 += a[p + k] * a[q + k];
      s1 += a[p + k + 1] * a[q + k + 1];
      s2 += a[p + k + 2] * a[q + k + 2];
      s3 += a[p + k + 3] * a[q + k + 3];
    }
    for (; k < len; k++) {
      s0 += a[p + k] * a[q + k];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** True when the margin z_y − z_j at the point, less its rounding, clears L·ε. */
  static boolean clears(Point p, int y, int j, double lip, double eps) {
    double[] z = p.z()[p.z().length - 1];
    double[] e = p.err()[p.err().length - 1];
    double margin = z[y] - z[j];
    double slack = Math.nextUp(e[y] + e[j] + Rounding.U * Math.abs(margin));
    return margin - slack > Math.nextUp(lip * eps);
  }

  int layers() {
    return chain.layers();
  }

  List<ActivationSpec> activations() {
    return chain.activations();
  }
}
