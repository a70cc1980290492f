package io.lipwatch.estimator.bounds.eclipse;

import io.lipwatch.estimator.bounds.lipsdp.LmiCertificate;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.util.List;

/**
 * ECLipsE-Fast with its own proof. For f = W_l φ(W_{l−1} … φ(W_1 x)) with every φ slope-restricted in [α_b, β_b]
 * (0 ≤ α_b ≤ β_b, m_b = (α_b+β_b)/2), multipliers λ_b &gt; 0 and ρ &gt; 0 prove ‖f(x)−f(y)‖² ≤ ρ‖x−y‖² when the block
 * tridiagonal matrix
 *
 * <pre>
 *   M = [ I            −λ₁m₁W₁ᵀ                                  ]
 *       [ −λ₁m₁W₁      λ₁I        −λ₂m₂W₂ᵀ                       ]
 *       [               …           …             W_lᵀ           ]
 *       [                          W_l            ρI             ]
 * </pre>
 *
 * is positive semidefinite: minimising its quadratic form over the last block gives
 * ‖v₀‖² + Σ λ_b(‖v_b‖² − 2m_b v_bᵀW_b v_{b−1}) − ‖W_l v_{l−1}‖²/ρ ≥ 0, and each slope constraint
 * (Δφ − αΔz)(βΔz − Δφ) ≥ 0 says λ_b(‖Δv_b‖² − 2m_bΔv_bᵀΔz_b) ≤ −λ_bα_bβ_b‖Δz_b‖² ≤ 0 (dropping the αβ term is sound; it is kept where α &gt; 0, below).
 * The Schur complements are ECLipsE's X_b = λ_bI − λ_b²m_b²W_bX_{b−1}⁻¹W_bᵀ, and λ_b = 1/(2m_b²λ_max(W_bX_{b−1}⁻¹W_bᵀ))
 * is their closed form (X_b ⪰ λ_b/2·I: ample room for rounding).
 *
 * <p>Proof in floating point. The pass runs on the congruent matrix DMD, D = diag(s_b I) with implicit positive reals
 * s_b, whose blocks are exact doubles: d_b I on the diagonal and c_b W_b below it with c_b a power of two (then
 * s_b = d_b m_b s_{b−1}/c_b, λ_b = d_b/s_b², and ρ = d_l s_{l−1}²/c_l², computed rounding up). Powers of two commute
 * with rounding, so the triangular solves and Gram products below are, operation for operation, a Cholesky
 * factorisation R̃R̃ᵀ of fl(DMD − Σ) for a diagonal shift Σ (zero blocks stay exactly zero). Whenever it runs to
 * completion, R̃R̃ᵀ = fl(DMD − Σ) + ΔA with |ΔA| ≤ γ_{N+1}|R̃||R̃ᵀ| in any summation order (Higham, Thm 10.3); with
 * e the rounding of the shifted diagonal, DMD = R̃R̃ᵀ − ΔA − e + Σ ⪰ 0 as soon as every row has
 * σ_i ≥ γ_{N+1}(|R̃||R̃ᵀ|𝟙)_i + |e_i| (Gershgorin on the symmetric Σ − ΔA − e). Those row sums are computed from the
 * factor after the fact, rounded up; a row that fails means no bound.
 *
 * <p>The αβ term. With α_b &gt; 0 (leaky ReLU) it adds +λ_bα_bβ_bW_bᵀW_b to block b−1, so keeping it tightens the bound
 * (1.78× → 1.35× of LipSDP-Neuron on a leaky 16-32-32-4 with one multiplier per layer). Block b−1 is factored before
 * λ_b is known, so {@link #withAlphaBeta} takes its coefficient from an earlier pass and checks exactly that it is at
 * most α_bβ_b times the λ_b then chosen; the dense κW_bᵀW_b entries' rounding joins the row checks.
 *
 * <p>Small networks (a dense Newton step of at most {@link #REFINE_MACS} multiply-adds) also get
 * {@link #perNeuron}: one multiplier per neuron is LipSDP-Neuron's feasible set, and the one-per-layer pass left up to
 * 1.8× on the table against it (2-input nets, leaky ReLU). Those multipliers keep the αβ term too, are found in plain
 * floating point by a log-barrier method
 * ({@link NeuronRefinement}) and are trusted only after the whole dense LMI, its assembly rounding bounded entry-wise,
 * passes the LipSDP certificate ({@link LmiCertificate#checkPsd}). The least proven bound of the two is reported.
 */
public final class EclipseFastBound {
  private static final double U = Math.ulp(1.0) / 2;
  /** Diagonal shift relative to each block's diagonal: far above the rounding it must cover, far below the bound's precision. */
  static final double SHIFT = 1e-9;
  private static final int RETRIES = 4;

  private EclipseFastBound() {}

  /**
   * @param value    the bound √ρ, rounded up (NaN when not verified)
   * @param verified the a posteriori check passed for every row
   * @param retries  multiplier choices redone after a failed factorisation
   * @param note     how it went
   */
  public record Result(double value, boolean verified, int retries, String note) {}

  /**
   * The bound of x ↦ W_l φ_{l−1}(… φ_1(W_1 x)); {@code slopeMin/Max[b]} is the slope range of φ_{b+1}: the
   * one-multiplier-per-layer pass, and on small networks the per-neuron one too, the least proven value.
   */
  public static Result bound(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline) {
    Result layerwise = layerwise(weights, slopeMin, slopeMax, deadline);
    if (!refinable(weights) || (deadline != 0 && System.nanoTime() > deadline)) {
      return layerwise;
    }
    return refined(layerwise, weights, slopeMin, slopeMax, deadline);
  }

  /**
   * {@link #bound} of each network that has {@code hidden}'s layers and, as its last layer, one row of {@code last}
   * (the margin networks w_y − w_j of a classifier's class pairs): the results of one {@link #bound} per row, with the
   * hidden layers' blocks factored once for all rows instead of once per row (they do not depend on the last layer).
   */
  public static Result[] boundRows(List<DenseMatrix> hidden, DenseMatrix last, double[] slopeMin, double[] slopeMax,
      long deadline) {
    Result[] out = layerwiseRows(hidden, last, slopeMin, slopeMax, deadline);
    if (out.length == 0 || !refinable(withLast(hidden, row(last, 0)))) {
      return out;
    }
    for (int r = 0; r < out.length && !(deadline != 0 && System.nanoTime() > deadline); r++) {
      out[r] = refined(out[r], withLast(hidden, row(last, r)), slopeMin, slopeMax, deadline);
    }
    return out;
  }

  /** The per-neuron pass's result when it proves less than {@code layerwise}, else {@code layerwise}. */
  private static Result refined(Result layerwise, List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax,
      long deadline) {
    Result neuron = perNeuron(weights, slopeMin, slopeMax, deadline, 0);
    if (neuron.verified() && (!layerwise.verified() || neuron.value() < layerwise.value())) {
      return new Result(neuron.value(), true, neuron.retries(), neuron.note() + " (one multiplier per layer: "
          + (layerwise.verified() ? layerwise.value() : layerwise.note()) + ")");
    }
    return layerwise;
  }

  private static List<DenseMatrix> withLast(List<DenseMatrix> hidden, DenseMatrix last) {
    List<DenseMatrix> w = new java.util.ArrayList<>(hidden);
    w.add(last);
    return w;
  }

  /** Row r of m as a 1-row matrix. */
  private static DenseMatrix row(DenseMatrix m, int r) {
    int n = m.cols();
    return new DenseMatrix(1, n, java.util.Arrays.copyOfRange(m.data(), r * n, (r + 1) * n));
  }

  /** Networks whose dense LMI costs at most this many multiply-adds per Newton step get per-neuron multipliers. */
  static final double REFINE_MACS = 1e7;
  /** Newton steps of the per-neuron refinement at most (78–125 reached the path's end on the test networks). */
  static final int REFINE_STEPS = 200;

  static boolean refinable(List<DenseMatrix> weights) {
    if (weights.size() < 2) {
      return false;
    }
    double dim = weights.get(0).cols();
    double pairs = 0;
    for (int b = 0; b < weights.size(); b++) {
      dim += weights.get(b).rows();
      if (b + 1 < weights.size()) {
        pairs += (double) weights.get(b).rows() * weights.get(b).cols();
      }
    }
    return dim * dim * dim + 2 * dim * pairs <= REFINE_MACS;
  }

  /**
   * LipSDP-Neuron's multipliers, one per hidden neuron and with the αβ term of every slope constraint, found by
   * {@link NeuronRefinement} from ECLipsE-Fast's θ = ½ point, then ρ = (1 + η)·ρ_min(λ) proven on the whole dense
   * LMI by the LipSDP certificate ({@link LmiCertificate#checkPsd}: assembly rounding bounded entry-wise, Rump's
   * shifted Cholesky), η rising from 10⁻⁹ until it passes. {@code margin} ≠ 0 tries η = margin only (tests).
   */
  public static Result perNeuron(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline, double margin) {
    int l = weights.size();
    if (l < 2 || slopeMin.length != l - 1 || slopeMax.length != l - 1) {
      throw new IllegalArgumentException("need ≥ 2 layers and one slope range per hidden layer");
    }
    for (int b = 0; b + 1 < l; b++) {
      if (!(slopeMin[b] >= 0 && slopeMax[b] > 0 && slopeMax[b] >= slopeMin[b])) {
        throw new IllegalArgumentException("slopes [" + slopeMin[b] + ", " + slopeMax[b] + "] not in 0 ≤ α ≤ β, β > 0");
      }
    }
    double[][] mq = NeuronLmi.slopes(slopeMin, slopeMax);
    NeuronLmi lmi = new NeuronLmi(weights, mq[0], mq[1]);
    double[] lam0 = halfTheta(lmi);
    double rho0 = lam0 == null ? Double.NaN : lmi.leastRho(lam0);
    if (!(rho0 > 0) || !Double.isFinite(rho0)) {
      return new Result(Double.NaN, false, 0, "per-neuron refinement: no strictly feasible start");
    }
    NeuronRefinement.Point path = NeuronRefinement.optimise(lmi, lam0, 2 * rho0, deadline, REFINE_STEPS);
    if (path == null) {
      return new Result(Double.NaN, false, 0, "per-neuron refinement: start not strictly feasible");
    }
    double[] lam = java.util.Arrays.copyOf(path.x(), lmi.hidden);
    for (double v : lam) {
      if (!(v >= 0) || !Double.isFinite(v)) {
        return new Result(Double.NaN, false, 0, "per-neuron refinement: a multiplier is not a finite non-negative number");
      }
    }
    double rhoMin = lmi.leastRho(lam);
    if (!(rhoMin >= 0) || !Double.isFinite(rhoMin)) {
      return new Result(Double.NaN, false, 0, "per-neuron refinement: the Schur complement is not positive definite");
    }
    double[] etas = margin != 0 ? new double[] {margin} : new double[] {1e-9, 1e-7, 1e-5, 1e-3};
    int retries = 0;
    for (double eta : etas) {
      double rho = rhoMin * (1 + eta);
      if (rho > 0 && prove(lmi, lam, rho)) {
        double value = Math.nextUp(Math.sqrt(rho));
        return new Result(value, true, retries, "per-neuron multipliers (" + lmi.hidden + ", " + path.steps() + " log-barrier Newton steps from θ = ½"
            + (lmi.hasAlphaBeta() ? ", with the αβ term of the slope constraints" : "") + "); LMI of side " + lmi.dim
            + " at ρ = (1 + " + eta + ")·ρ_min proven PSD by the LipSDP certificate");
      }
      retries++;
    }
    return new Result(Double.NaN, false, retries, "per-neuron multipliers: the LMI check failed up to η = " + etas[etas.length - 1]);
  }

  /** M(λ, ρ) ⪰ 0 for these exact doubles: assembled with its rounding bounds, scaled by powers of two to unit diagonal. */
  static boolean prove(NeuronLmi lmi, double[] lam, double rho) {
    int n = lmi.dim;
    double[] abs = new double[n * n];
    double[] s = lmi.assemble(lam, rho, abs);
    int[] e = new int[n];
    for (int i = 0; i < n; i++) {
      double d = s[i * n + i];
      if (!(d > 0) || !Double.isFinite(d)) {
        return false;
      }
      e[i] = -Math.getExponent(d) / 2;
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        int k = i * n + j;
        if (!Double.isFinite(s[k]) || !Double.isFinite(abs[k])) {
          return false;
        }
        // exact: a power of two on a normal double that stays normal (checked)
        double v = Math.scalb(s[k], e[i] + e[j]);
        double a = Math.scalb(abs[k], e[i] + e[j]);
        if ((v != 0 && Math.abs(v) < Double.MIN_NORMAL) || (a != 0 && a < Double.MIN_NORMAL)
            || Double.isInfinite(v) || Double.isInfinite(a)) {
          return false;
        }
        s[k] = v;
        abs[k] = a;
      }
    }
    return LmiCertificate.checkPsd(s, abs, n, lmi.termsK).passed();
  }

  /**
   * ECLipsE-Fast's θ = ½ multipliers (one per layer) in plain floating point, with the αβ term: the Schur complement
   * before layer b gains q_bλ_bW_bᵀW_b, so λ_b is the largest (bisected in log scale) with
   * m_b²λ_b·λ_max(W_b(X_{b−1} + q_bλ_bW_bᵀW_b)⁻¹W_bᵀ) ≤ ½ (without it, leaky ReLU with α = ½ started 4× above
   * LipSDP and the barrier path did not recover in hundreds of steps). Null if a Schur complement fails.
   */
  static double[] halfTheta(NeuronLmi lmi) {
    double[] lam = new double[lmi.hidden];
    int n0 = lmi.width[0];
    double[] x = new double[n0 * n0];
    for (int i = 0; i < n0; i++) {
      x[i * n0 + i] = 1;
    }
    int nx = n0;
    for (int b = 1; b < lmi.layers; b++) {
      DenseMatrix w = lmi.w.get(b - 1);
      int nb = w.rows();
      double mb = lmi.m[b];
      double qb = lmi.q[b];
      double[] g = schurGram(x, nx, w, 0, null);
      if (g == null) {
        return null;
      }
      double lb = 0.5 / (mb * mb * powerMax(g, nb) * 1.01);
      if (!(lb > 0) || !Double.isFinite(lb)) {
        return null;
      }
      if (qb > 0) {
        // WᵀW by the Gram of Wᵀ's rows: each entry the same sum over W's rows in the same order
        double[][] wt = new double[nx][nb];
        double[] wd = w.data();
        for (int r = 0; r < nb; r++) {
          for (int i = 0; i < nx; i++) {
            wt[i][r] = wd[r * nx + i];
          }
        }
        double[] wtw = gram(wt, 0);
        double lo = lb; // h(lo) ≤ ½ already: the q-term only lowers λ_max
        double hi = lb;
        for (int k = 0; k < 40; k++) { // h(λ) = m²λ·λ_max(…) rises to at most m²/q > ½: find where it crosses
          double[] gh = schurGram(x, nx, w, qb * hi * 2, wtw);
          if (gh == null || mb * mb * 2 * hi * powerMax(gh, nb) * 1.01 > 0.5) {
            break;
          }
          hi *= 2;
          lo = hi;
        }
        hi = lo * 2;
        for (int k = 0; k < 20; k++) {
          double mid = Math.sqrt(lo * hi);
          double[] gm = schurGram(x, nx, w, qb * mid, wtw);
          if (gm != null && mb * mb * mid * powerMax(gm, nb) * 1.01 <= 0.5) {
            lo = mid;
          } else {
            hi = mid;
          }
        }
        lb = lo;
        g = schurGram(x, nx, w, qb * lb, wtw);
        if (g == null) {
          return null;
        }
      }
      java.util.Arrays.fill(lam, lmi.hiddenOff[b], lmi.hiddenOff[b] + nb, lb);
      x = new double[nb * nb];
      for (int i = 0; i < nb * nb; i++) {
        x[i] = -lb * lb * mb * mb * g[i];
      }
      for (int i = 0; i < nb; i++) {
        x[i * nb + i] += lb;
      }
      nx = nb;
    }
    return lam;
  }

  /** W(X + c·WᵀW)⁻¹Wᵀ (c = 0: W X⁻¹ Wᵀ) in plain floating point; null if the matrix is not positive definite. */
  private static double[] schurGram(double[] x, int nx, DenseMatrix w, double c, double[] wtw) {
    double[] a = x.clone();
    if (c != 0) {
      for (int i = 0; i < nx * nx; i++) {
        a[i] += c * wtw[i];
      }
    }
    if (LmiCertificate.cholesky(a, nx) >= 0) {
      return null;
    }
    return gram(forwardSolve(a, nx, w.data(), 0, nx, w.rows(), 0), 0);
  }

  /** The one-multiplier-per-layer pass over the θ grid (any size). */
  static Result layerwise(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline) {
    double[][][] first = new double[2][][];
    Result best = null;
    double bestTheta = Double.NaN;
    double[][] bestDc = null;
    double cost = passCost(weights);
    double[] thetas = cost <= GRID_MACS ? THETAS : new double[] {THETAS[0]};
    for (double theta : thetas) {
      if (best != null && deadline != 0 && System.nanoTime() > deadline) {
        break;
      }
      double[][] dc = new double[2][];
      Result r = bound(weights, slopeMin, slopeMax, deadline, 4 * SHIFT, Weighting.UNIFORM, theta, first, null, dc);
      if (r.verified() && (best == null || r.value() < best.value())) {
        best = atTheta(r, thetas, theta);
        bestTheta = theta;
        bestDc = dc;
      }
      if (best == null) {
        return r; // the first choice failed: say why
      }
    }
    return alphaBetaRounds(best, bestTheta, bestDc, cost, weights, slopeMin, slopeMax, deadline);
  }

  /**
   * {@link #layerwise} of each network {@code hidden} + row r of {@code last}: per θ, one walk over the hidden layers
   * ({@link Walk#copy}), then each row's last step; the same arithmetic as one call per row, so the same results.
   */
  static Result[] layerwiseRows(List<DenseMatrix> hidden, DenseMatrix last, double[] slopeMin, double[] slopeMax,
      long deadline) {
    int rows = last.rows();
    Result[] out = new Result[rows];
    if (rows == 0) {
      return out;
    }
    List<DenseMatrix> shape = withLast(hidden, row(last, 0));
    int l = shape.size();
    double[][][] first = new double[2][][];
    Result[] best = new Result[rows];
    double[] bestTheta = new double[rows];
    double[][][] bestDc = new double[rows][][];
    double cost = passCost(shape);
    double[] thetas = cost <= GRID_MACS ? THETAS : new double[] {THETAS[0]};
    for (int t = 0; t < thetas.length; t++) {
      // past the first θ every row still open has a proven bound (layerwise's own condition for stopping)
      if (t > 0 && deadline != 0 && System.nanoTime() > deadline) {
        break;
      }
      Walk shared = Walk.start(shape, slopeMin, slopeMax, deadline, 4 * SHIFT, Weighting.UNIFORM, thetas[t], first, null);
      for (int b = 1; b < l && shared.ended == null; b++) {
        shared.step(b, shape.get(b - 1));
      }
      for (int r = 0; r < rows; r++) {
        if (out[r] != null) {
          continue;
        }
        double[][] dc = new double[2][];
        Result res = shared.ended;
        if (res == null) {
          Walk own = shared.copy();
          res = own.step(l, row(last, r)) ? own.finish(dc) : own.ended;
        }
        if (res.verified() && (best[r] == null || res.value() < best[r].value())) {
          best[r] = atTheta(res, thetas, thetas[t]);
          bestTheta[r] = thetas[t];
          bestDc[r] = dc;
        }
        if (best[r] == null) {
          out[r] = res; // the first choice failed: say why
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      if (out[r] == null) {
        out[r] = alphaBetaRounds(best[r], bestTheta[r], bestDc[r], cost, withLast(hidden, row(last, r)), slopeMin,
            slopeMax, deadline);
      }
    }
    return out;
  }

  /** Multiply-adds of one pass: solves and Gram products. */
  private static double passCost(List<DenseMatrix> weights) {
    double cost = 0;
    for (DenseMatrix w : weights) {
      cost += (double) w.cols() * w.rows() * (w.cols() + w.rows());
    }
    return cost;
  }

  private static Result atTheta(Result r, double[] thetas, double theta) {
    return new Result(r.value(), true, r.retries(), "least over θ ∈ " + java.util.Arrays.toString(thetas) + " at θ = "
        + theta + (theta == 0.5 ? " (ECLipsE-Fast's own)" : "") + "; " + r.note());
  }

  /** With the αβ term: κ from the last verified pass, repeated while it gains (once on large networks). */
  private static Result alphaBetaRounds(Result best, double bestTheta, double[][] bestDc, double cost,
      List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline) {
    double plain = best.value();
    int rounds = cost <= GRID_MACS ? AB_ROUNDS : 1;
    for (int k = 0; k < rounds && bestDc != null && bestDc[0] != null && !(deadline != 0 && System.nanoTime() > deadline); k++) {
      double[][] dc = new double[2][];
      Result ab = withAlphaBeta(weights, slopeMin, slopeMax, deadline, bestTheta, bestDc, dc);
      if (ab == null || !ab.verified() || !(ab.value() < best.value())) {
        break;
      }
      best = new Result(ab.value(), true, ab.retries(), "with the αβ term (slope α > 0; " + (k + 1) + " pass" + (k > 0 ? "es" : "")
          + " after the one without it, " + plain + "), θ ≥ " + bestTheta + "; " + ab.note());
      bestDc = dc;
    }
    return best;
  }

  /**
   * θ = λ_b m_b² λ_max(W_b X_{b−1}⁻¹ W_bᵀ), the same in every layer. ECLipsE-Fast's closed form is θ = ½ (it maximises
   * λ_min(X_b)); larger θ keep more of X_b for the next layer and measured 10–25 % tighter on random MLPs. Each θ is a
   * feasible point proven on its own, so the least bound over the grid is a bound.
   */
  static final double[] THETAS = {0.75, 0.5, 0.65, 0.85};
  /** Networks whose one pass costs more multiply-adds than this get θ = 0.75 only (deterministic, unlike a timer). */
  static final double GRID_MACS = 3e7;

  /** As above; {@code lastMargin} is the relative room left in the last pivot block (tests make it negative). */
  public static Result bound(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline, double lastMargin,
      boolean perNeuron) {
    return bound(weights, slopeMin, slopeMax, deadline, lastMargin, perNeuron ? Weighting.JACOBI : Weighting.UNIFORM);
  }

  /**
   * How the multipliers of one layer's neurons are spread (each rounded to a power of two; the layer's scale is
   * ECLipsE's). Measured on random MLPs, per-neuron spreads (these and ones weighted by the later layers' column norms)
   * gained at most 6 % and often lost, so the pass uses ECLipsE-Fast's uniform one (small networks get optimised
   * per-neuron multipliers instead, {@link #perNeuron}).
   */
  public enum Weighting {
    /** ECLipsE-Fast: one multiplier per layer. */
    UNIFORM,
    /** ∝ 1/(W X⁻¹ Wᵀ)_ii. */
    JACOBI
  }

  public static Result bound(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline, double lastMargin,
      Weighting weighting) {
    return bound(weights, slopeMin, slopeMax, deadline, lastMargin, weighting, 0.5, null, null, null);
  }

  /**
   * {@code first}, when given, caches the first layer's H and G (they do not depend on θ): {ht, {g}}. {@code kappa},
   * when given (uniform weighting), adds the αβ term κ_bW_bᵀW_b to scaled block b−1 (see {@link #withAlphaBeta});
   * {@code out}, when given, receives {d_b, c_b} of a verified pass.
   */
  static Result bound(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline, double lastMargin,
      Weighting weighting, double theta, double[][][] first, double[] kappa, double[][] out) {
    Walk walk = Walk.start(weights, slopeMin, slopeMax, deadline, lastMargin, weighting, theta, first, kappa);
    for (int b = 1; b <= walk.l && walk.ended == null; b++) {
      walk.step(b, weights.get(b - 1));
    }
    return walk.ended != null ? walk.ended : walk.finish(out);
  }

  /**
   * One pass of {@link #bound} as a walk over the layers: its state after layer b is all that layer b + 1 needs, so
   * networks that differ only in their last layer (the margin networks of the class pairs) share the walk up to it
   * ({@link #copy}) and each takes the last step on its own.
   */
  private static final class Walk {
    final List<DenseMatrix> weights;
    final int l;
    final double[] m;
    final double[] q;
    final double[] kappa;
    final boolean perNeuron;
    final long deadline;
    final double lastMargin;
    final double theta;
    final double[][][] first;
    Pass p;
    Block prev;
    double[] colPrevPrev;
    double[] dd;
    double[] cc;
    int retries;
    /** The pass's result when it ended before the last layer (a failure, or 0 for a zero layer), else null. */
    Result ended;

    private Walk(List<DenseMatrix> weights, double[] m, double[] q, double[] kappa, boolean perNeuron, long deadline,
        double lastMargin, double theta, double[][][] first) {
      this.weights = weights;
      this.l = weights.size();
      this.m = m;
      this.q = q;
      this.kappa = kappa;
      this.perNeuron = perNeuron;
      this.deadline = deadline;
      this.lastMargin = lastMargin;
      this.theta = theta;
      this.first = first;
    }

    /** Checks the network and factors block 0. */
    static Walk start(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline, double lastMargin,
        Weighting weighting, double theta, double[][][] first, double[] kappa) {
      boolean perNeuron = weighting != Weighting.UNIFORM;
      if (perNeuron) {
        kappa = null;
      }
      int l = weights.size();
      if (l < 2 || slopeMin.length != l - 1 || slopeMax.length != l - 1) {
        throw new IllegalArgumentException("need ≥ 2 layers and one slope range per hidden layer");
      }
      double[] m = new double[l];
      for (int b = 1; b < l; b++) {
        double a = slopeMin[b - 1];
        double c = slopeMax[b - 1];
        if (!(a >= 0 && c > 0 && c >= a)) {
          throw new IllegalArgumentException("slopes [" + a + ", " + c + "] not in 0 ≤ α ≤ β, β > 0");
        }
        m[b] = Math.nextUp((a + c) * 0.5); // rounded up: a larger m only loosens the bound
      }
      long dim = weights.get(0).cols();
      for (int b = 0; b < l; b++) {
        DenseMatrix w = weights.get(b);
        if (b > 0 && w.cols() != weights.get(b - 1).rows()) {
          throw new IllegalArgumentException("layer " + (b + 1) + " has " + w.cols() + " inputs, previous has " + weights.get(b - 1).rows() + " outputs");
        }
        dim += w.rows();
      }
      double[] q = kappa == null ? null : NeuronLmi.slopes(slopeMin, slopeMax)[1];
      Walk walk = new Walk(weights, m, q, kappa, perNeuron, deadline, lastMargin, theta, first);
      walk.p = new Pass(gamma(dim + 1), dim);
      walk.dd = new double[l + 1];
      walk.cc = new double[l + 1];
      walk.blockZero();
      return walk;
    }

    /** The same walk, to go on from here apart from this one (its blocks are never changed, only replaced). */
    Walk copy() {
      Walk c = new Walk(weights, m, q, kappa, perNeuron, deadline, lastMargin, theta, first);
      c.p = p.copy();
      c.prev = prev;
      c.colPrevPrev = colPrevPrev;
      c.dd = dd.clone();
      c.cc = cc.clone();
      c.retries = retries;
      c.ended = ended;
      return c;
    }

    // block 0: d₀ = 1, a diagonal block, so its factor is the diagonal √fl(1 − σ₀)
    private void blockZero() {
      int n0 = weights.get(0).cols();
      double a0 = 1.0 - SHIFT;
      prev = Block.diagonal(n0, Math.sqrt(a0), SHIFT, a0);
      if (kappa != null && kappa[1] > 0) {
        // with the αβ term block 0 is I + κ₁W₁ᵀW₁: dense
        AlphaBeta ext;
        try {
          ext = AlphaBeta.of(weights.get(0), kappa[1], deadline);
        } catch (OutOfTime e) {
          ended = new Result(Double.NaN, false, 0, "budget exhausted in the αβ term of layer 1");
          return;
        }
        double[] sigma = new double[n0];
        double[] a = new double[n0];
        for (int i = 0; i < n0; i++) {
          sigma[i] = SHIFT * (1 + ext.diag(i));
          a[i] = 1 - sigma[i];
        }
        double[] s0 = ext.assemble(a, null, null, n0);
        if (!cholesky(s0, n0)) {
          ended = new Result(Double.NaN, false, 0, "αβ pass: block 0 not positive definite");
          return;
        }
        prev = new Block(n0, s0, -1, null, null, sigma, a, ext.rounding(s0Diag(a, ext)));
      }
    }

    private boolean fail(String why) {
      ended = new Result(Double.NaN, false, retries, why);
      return false;
    }

    /** Layer b (1-based) with weights w: its block factored and the block before it checked; false: {@link #ended}. */
    boolean step(int b, DenseMatrix w) {
      if (deadline != 0 && System.nanoTime() > deadline) {
        return fail("budget exhausted at layer " + b + " of " + l);
      }
      double[][] ht;
      double[] g;
      try {
        if (b == 1 && first != null && first[0] != null) {
          ht = first[0];
          g = first[1][0];
        } else {
          ht = prev.solve(w, deadline);
          g = gram(ht, deadline);
          if (b == 1 && first != null) {
            first[0] = ht;
            first[1] = new double[][] {g};
          }
        }
      } catch (OutOfTime e) {
        return fail("budget exhausted at layer " + b + " of " + l);
      }
      int nb = ht.length;
      double top = b < l ? powerMax(g, nb) : largestEigenvalue(g, nb);
      if (!(top > 0) || !Double.isFinite(top)) {
        if (top == 0) {
          ended = new Result(0.0, true, retries, "layer " + b + " is zero: f is constant");
          return false;
        }
        return fail("non-finite Gram matrix at layer " + b);
      }
      double[] tau = new double[nb];
      java.util.Arrays.fill(tau, 1.0);
      if (perNeuron && b < l) {
        top = jacobi(g, nb, tau);
      }
      // the αβ term of layer b+1 lands in this block (its coefficient was fixed by the pass before)
      AlphaBeta ext;
      try {
        ext = kappa != null && b < l - 1 && kappa[b + 1] > 0 ? AlphaBeta.of(weights.get(b), kappa[b + 1], deadline) : null;
      } catch (OutOfTime e) {
        return fail("budget exhausted in the αβ term of layer " + (b + 1));
      }
      Block cur = factor(b, ht, g, nb, top, tau, ext);
      if (cur == null) {
        if (ended == null) {
          fail("no positive definite Schur complement at layer " + b);
        }
        return false;
      }
      // the columns of block b−1 are complete now that block b's rows below them are known
      double[] colPrev = prev.columnSums(cur);
      if (!p.checkRows(prev, colPrevPrev, colPrev)) {
        return fail("a posteriori check failed in block " + (b - 1) + ": " + p.failure);
      }
      colPrevPrev = colPrev;
      prev = cur;
      return true;
    }

    /** Jacobi-like: neuron i weighted by a power of two near median(G_ii)/G_ii (into tau); λ_max of T½GT½. */
    private static double jacobi(double[] g, int nb, double[] tau) {
      double[] diagG = new double[nb];
      for (int i = 0; i < nb; i++) {
        diagG[i] = g[i * nb + i];
      }
      double[] want = new double[nb];
      for (int i = 0; i < nb; i++) {
        want[i] = diagG[i] > 0 ? 1 / diagG[i] : 0;
      }
      double[] sorted = want.clone();
      java.util.Arrays.sort(sorted);
      double med = sorted[nb / 2];
      for (int i = 0; i < nb; i++) {
        if (want[i] > 0 && med > 0) {
          tau[i] = Math.scalb(1.0, (int) Math.max(-30, Math.min(30, Math.round(log2(want[i] / med)))));
        }
      }
      double[] gt = new double[nb * nb];
      for (int i = 0; i < nb; i++) {
        for (int j = 0; j < nb; j++) {
          gt[i * nb + j] = Math.sqrt(tau[i] * tau[j]) * g[i * nb + j];
        }
      }
      return powerMax(gt, nb);
    }

    /** Block b's multipliers and factor, retried with more room after a failed factorisation; null: none (see {@link #ended}). */
    private Block factor(int b, double[][] ht, double[] g, int nb, double est, double[] tau, AlphaBeta ext) {
      double margin = lastMargin;
      for (int t = 0; t <= RETRIES; t++) {
        double c;
        double d;
        if (b < l) {
          // ECLipsE-Fast: λ_b = θ/(m²g) in the original coordinates is d = c²g/θ in the scaled ones (θ = ½ in the paper)
          double th = theta;
          if (kappa != null && kappa[b] > 0) {
            // λ_b must be large enough for the κ_b put in block b−1: κ_b·m_b²·d ≤ q_b·c² (q_eff ≤ αβ)
            th = Math.max(theta, est * kappa[b] * m[b] * m[b] / q[b] * (1 + 1e-9));
            if (!(th <= 0.95)) {
              fail("αβ pass: layer " + b + " needs θ = " + th);
              return null;
            }
          }
          c = Math.scalb(1.0, (int) -Math.round(0.5 * log2(est / th)));
          d = c * c * est / th;
          if (kappa != null && kappa[b] > 0 && new java.math.BigDecimal(kappa[b]).multiply(new java.math.BigDecimal(m[b]))
              .multiply(new java.math.BigDecimal(m[b])).multiply(new java.math.BigDecimal(d))
              .compareTo(new java.math.BigDecimal(q[b]).multiply(new java.math.BigDecimal(c * c))) > 0) {
            fail("αβ pass: κ·m²·d > q·c² at layer " + b);
            return null;
          }
        } else {
          c = Math.scalb(1.0, (int) -Math.round(0.5 * log2(est)));
          d = c * c * est * (1 + margin);
        }
        double[] sigma = new double[nb];
        double[] a = new double[nb];
        double[] rowScale = new double[nb];
        for (int i = 0; i < nb; i++) {
          double di = d * tau[i]; // exact: τ is a power of two
          sigma[i] = SHIFT * (ext == null ? di : di + ext.diag(i));
          a[i] = di - sigma[i];
          rowScale[i] = c * tau[i];
        }
        double[] s = ext == null ? assemble(a, rowScale, g, nb) : ext.assemble(a, rowScale, g, nb);
        double[] asm = ext == null ? null : ext.rounding(s0Diag(a, ext));
        if (cholesky(s, nb)) {
          dd[b] = d;
          cc[b] = c;
          return new Block(nb, s, -1, rowScale, ht, sigma, a, asm);
        }
        if (b == l && lastMargin < 0) {
          fail("last pivot block not positive definite (margin " + lastMargin + ")");
          return null;
        }
        retries++;
        if (b < l) {
          est *= 2;       // the power iteration fell short of λ_max
        } else {
          margin *= 100;  // more room above the output block's λ_max
        }
      }
      return null;
    }

    /** After the last layer's step: the last block's check and ρ. */
    Result finish(double[][] out) {
      if (!p.checkRows(prev, colPrevPrev, prev.columnSums(null))) {
        return new Result(Double.NaN, false, retries, "a posteriori check failed in the last block: " + p.failure);
      }
      // ρ = d_l s_{l−1}²/c_l², s_b = Π d_j m_j/c_j: 3(l−1)+3 roundings, each ≤ u relative
      double s = 1;
      for (int b = 1; b < l; b++) {
        s = s * dd[b] * m[b] / cc[b];
      }
      double rho = dd[l] * s * s / (cc[l] * cc[l]);
      int ops = 3 * l + 3;
      double rhoUp = Math.nextUp(rho * (1 + 2 * ops * U) * (1 + 2 * U));
      double value = Math.nextUp(Math.sqrt(rhoUp));
      if (!Double.isFinite(value)) {
        return new Result(Double.NaN, false, retries, "ρ overflowed");
      }
      if (out != null) {
        out[0] = dd.clone();
        out[1] = cc.clone();
      }
      return new Result(value, true, retries, "closed-form multipliers per layer; LMI of side " + p.dim
          + " proven PSD by a rounding-aware block Cholesky (max row error " + String.format("%.2g", p.worst) + " of the shift)");
    }
  }

  /** The running a posteriori check (rows of one block at a time, so only two blocks are kept). */
  private static final class Pass {
    final double gammaN;
    final double inflate;
    final double tiny;
    final long dim;
    double worst;
    String failure;

    Pass(double gammaN, long dim) {
      this.dim = dim;
      this.gammaN = gammaN;
      this.inflate = 1 + 8 * dim * U; // the computed row sums of non-negative terms, rounded up
      this.tiny = 8.0 * dim * (dim + 2) * Double.MIN_NORMAL; // gradual underflow in any product
    }

    Pass copy() {
      Pass c = new Pass(gammaN, dim);
      c.worst = worst;
      c.failure = failure;
      return c;
    }

    /** σ ≥ γ(|R̃||R̃ᵀ|𝟙)_i + |e_i| for each row i of the block; {@code colIn} are the column sums of the block before. */
    boolean checkRows(Block blk, double[] colIn, double[] colOwn) {
      for (int i = 0; i < blk.n; i++) {
        double v = 0;
        if (blk.ht != null) {
          double[] h = blk.ht[i];
          double acc = 0;
          for (int k = 0; k < h.length; k++) {
            acc += Math.abs(h[k]) * colIn[k];
          }
          v += Math.abs(blk.rowScale[i]) * acc;
        }
        if (blk.diag >= 0) {
          v += blk.diag * colOwn[i];
        } else {
          int ri = i * blk.n;
          for (int k = 0; k <= i; k++) {
            v += Math.abs(blk.r[ri + k]) * colOwn[k];
          }
        }
        double need = (gammaN * v + 2 * U * Math.abs(blk.a[i]) + (blk.asm == null ? 0 : blk.asm[i])) * inflate * inflate + tiny;
        worst = Math.max(worst, need / blk.sigma[i]);
        if (!(need <= blk.sigma[i])) {
          failure = "row " + i + " needs a shift of " + need + ", has " + blk.sigma[i];
          return false;
        }
      }
      return true;
    }
  }

  /** One diagonal block of the factor: its own triangle R_b and the incoming block c_b·H_bᵀ (rows = this block). */
  private static final class Block {
    final int n;
    final double[] r;      // n×n lower triangle, row-major (null for the diagonal block 0)
    final double diag;     // the diagonal value of block 0's factor, −1 otherwise
    final double[] rowScale; // c·τ_i: row i of the incoming block is c·τ_i·(H_bᵀ row i), a power of two
    final double[][] ht;     // H_bᵀ: row i = R_{b−1}⁻¹ w_i (null for block 0)
    final double[] sigma;    // the shift of each row
    final double[] a;        // the shifted diagonal entries fl(d·τ_i − σ_i)
    final double[] asm;      // per row, the rounding of the αβ term's entries (null: none)

    Block(int n, double[] r, double diag, double[] rowScale, double[][] ht, double[] sigma, double[] a, double[] asm) {
      this.n = n;
      this.r = r;
      this.diag = diag;
      this.rowScale = rowScale;
      this.ht = ht;
      this.sigma = sigma;
      this.a = a;
      this.asm = asm;
    }

    static Block diagonal(int n, double value, double sigma, double a) {
      double[] sg = new double[n];
      double[] av = new double[n];
      java.util.Arrays.fill(sg, sigma);
      java.util.Arrays.fill(av, a);
      return new Block(n, null, value, null, null, sg, av, null);
    }

    /** H_{b+1}ᵀ: row j = R⁻¹ w_j by forward substitution (four right-hand sides at a time; same arithmetic per entry). */
    double[][] solve(DenseMatrix w, long deadline) {
      int rows = w.rows();
      double[] wd = w.data();
      if (r == null) {
        double[][] out = new double[rows][n];
        for (int j = 0; j < rows; j++) {
          for (int k = 0; k < n; k++) {
            out[j][k] = wd[j * n + k] / diag;
          }
        }
        return out;
      }
      return forwardSolve(r, n, wd, 0, n, rows, deadline);
    }

    /** Column sums of |factor| over this block's columns: its own triangle plus the next block's c·H below it. */
    double[] columnSums(Block next) {
      double[] col = new double[n];
      if (r == null) {
        java.util.Arrays.fill(col, Math.abs(diag));
      } else {
        for (int i = 0; i < n; i++) {
          int ri = i * n;
          for (int k = 0; k <= i; k++) {
            col[k] += Math.abs(r[ri + k]);
          }
        }
      }
      if (next != null) {
        for (int i = 0; i < next.ht.length; i++) {
          double[] h = next.ht[i];
          double ac = Math.abs(next.rowScale[i]);
          for (int k = 0; k < n; k++) {
            col[k] += ac * Math.abs(h[k]);
          }
        }
      }
      return col;
    }
  }

  /**
   * The αβ term of one layer in scaled coordinates, κ·W_bᵀW_b, as the doubles fl(κ·fl(W_bᵀW_b)) that enter the block, and
   * per row a bound of their rounding: |fl(κ·fl(WᵀW))_ij − κ(WᵀW)_ij| ≤ γ_{n+1}κ(|W|ᵀ|W|)_ij (n rows of W), whose row sums
   * are γ_{n+1}κ·(|W|ᵀ(|W|𝟙))_i, plus u|A_ii| for adding it to the diagonal.
   */
  static final class AlphaBeta {
    final int n;
    final double[] ext;     // fl(κ·fl(WᵀW)), row-major n × n
    final double[] absRows; // γ_{rows+1}·κ·(|W|ᵀ|W|𝟙)_i, rounded up

    private AlphaBeta(int n, double[] ext, double[] absRows) {
      this.n = n;
      this.ext = ext;
      this.absRows = absRows;
    }

    static AlphaBeta of(DenseMatrix w, double kappa, long deadline) {
      int rows = w.rows();
      int n = w.cols();
      double[] wd = w.data();
      double[][] wt = new double[n][rows];
      double[] rowAbs = new double[rows];
      for (int r = 0; r < rows; r++) {
        for (int i = 0; i < n; i++) {
          double v = wd[r * n + i];
          wt[i][r] = v;
          rowAbs[r] += Math.abs(v);
        }
      }
      double[] g = gram(wt, deadline);
      for (int k = 0; k < g.length; k++) {
        g[k] = kappa * g[k];
      }
      double gk = gamma(rows + 1) * kappa * (1 + 8 * (rows + n + 2) * U);
      double[] absRows = new double[n];
      for (int i = 0; i < n; i++) {
        double acc = 0;
        for (int r = 0; r < rows; r++) {
          acc += Math.abs(wt[i][r]) * rowAbs[r];
        }
        absRows[i] = gk * acc;
      }
      return new AlphaBeta(n, g, absRows);
    }

    double diag(int i) {
      return ext[i * n + i];
    }

    /** fl(A − (qG)q) with A = fl(diag(a) + ext); q, g null: A alone. */
    double[] assemble(double[] a, double[] q, double[] g, int nn) {
      double[] s = new double[nn * nn];
      for (int i = 0; i < nn; i++) {
        for (int j = 0; j < nn; j++) {
          double aij = i == j ? a[i] + ext[i * nn + j] : ext[i * nn + j];
          s[i * nn + j] = g == null ? aij : aij - q[i] * q[j] * g[i * nn + j];
        }
      }
      return s;
    }

    /** Per row: the αβ entries' rounding plus u|fl(a_i + ext_ii)|. */
    double[] rounding(double[] diagA) {
      double[] r = new double[n];
      for (int i = 0; i < n; i++) {
        r[i] = absRows[i] + 2 * U * Math.abs(diagA[i]);
      }
      return r;
    }
  }

  /** fl(a_i + ext_ii), the assembled diagonal before the incoming Gram is subtracted. */
  private static double[] s0Diag(double[] a, AlphaBeta ext) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] + ext.diag(i);
    }
    return d;
  }

  /**
   * The one-multiplier-per-layer pass again with the αβ term of the slope constraints: layer b's neurons add
   * q_bλ_bW_bᵀW_b to block b−1, i.e. κ_bW_bᵀW_b in the scaled coordinates, κ_b = q_bλ_bs_{b−1}² = q_bc_b²/(m_b²d_b).
   * Block b−1 is factored before λ_b is chosen, so κ_b comes from a pass before ({@code dc}: d_b, c_b); λ_b is then
   * chosen as before, θ raised where needed so that the κ_b used is at most q_b times the new λ_b's (checked exactly:
   * κ_b·m_b²·d_b ≤ q_b·c_b²), which is the slope constraint with a smaller αβ, still sound. The rounding of the dense
   * κW_bᵀW_b entries joins each row's a posteriori check. Null when no layer has α &gt; 0.
   */
  static Result withAlphaBeta(List<DenseMatrix> weights, double[] slopeMin, double[] slopeMax, long deadline, double theta,
      double[][] dc, double[][] out) {
    double[][] mq = NeuronLmi.slopes(slopeMin, slopeMax);
    int l = weights.size();
    double[] kappa = new double[l];
    boolean any = false;
    for (int b = 1; b < l; b++) {
      double m = Math.nextUp((slopeMin[b - 1] + slopeMax[b - 1]) * 0.5);
      if (mq[1][b] > 0) {
        kappa[b] = mq[1][b] * dc[1][b] * dc[1][b] / (m * m * dc[0][b]);
        any = true;
      }
    }
    if (!any) {
      return null;
    }
    return bound(weights, slopeMin, slopeMax, deadline, 4 * SHIFT, Weighting.UNIFORM, theta, null, kappa, out);
  }

  /** Passes with the αβ term at most, each taking κ from the one before (small networks; large ones get one). */
  static final int AB_ROUNDS = 4;

  /**
   * R⁻¹b_j for j &lt; rows by forward substitution, R the lower triangle of the row-major n×n {@code r} and b_j the n
   * entries of {@code src} from {@code off + j·stride}: four right-hand sides at a time, each entry the same
   * arithmetic in the same order as one at a time (the layer blocks' H, the per-neuron start's and ρ_min's Schur
   * complements).
   */
  static double[][] forwardSolve(double[] r, int n, double[] src, int off, int stride, int rows, long deadline) {
    double[][] out = new double[rows][n];
    int j = 0;
    for (; j + 4 <= rows; j += 4) {
      OutOfTime.check(deadline);
      double[] h0 = out[j];
      double[] h1 = out[j + 1];
      double[] h2 = out[j + 2];
      double[] h3 = out[j + 3];
      int o0 = off + j * stride;
      int o1 = o0 + stride;
      int o2 = o1 + stride;
      int o3 = o2 + stride;
      for (int i = 0; i < n; i++) {
        int ri = i * n;
        double s0 = src[o0 + i];
        double s1 = src[o1 + i];
        double s2 = src[o2 + i];
        double s3 = src[o3 + i];
        for (int k = 0; k < i; k++) {
          double rik = r[ri + k];
          s0 -= rik * h0[k];
          s1 -= rik * h1[k];
          s2 -= rik * h2[k];
          s3 -= rik * h3[k];
        }
        double p = r[ri + i];
        h0[i] = s0 / p;
        h1[i] = s1 / p;
        h2[i] = s2 / p;
        h3[i] = s3 / p;
      }
    }
    for (; j < rows; j++) {
      double[] h = out[j];
      int o = off + j * stride;
      for (int i = 0; i < n; i++) {
        int ri = i * n;
        double s = src[o + i];
        for (int k = 0; k < i; k++) {
          s -= r[ri + k] * h[k];
        }
        h[i] = s / r[ri + i];
      }
    }
    return out;
  }

  /** G = H Hᵀ over the rows of ht (full symmetric, row-major), each entry summed in index order (four rows at a time). */
  static double[] gram(double[][] ht, long deadline) {
    int n = ht.length;
    double[] g = new double[n * n];
    int blocks = n / 4;
    // tiles of four rows, in parallel: each entry is still one dot product in index order (deterministic)
    java.util.stream.IntStream.range(0, blocks).parallel().forEach(blk -> {
      OutOfTime.check(deadline);
      gramTile(ht, g, n, 4 * blk);
    });
    for (int i = 4 * blocks; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = 0;
        for (int k = 0; k < ht[i].length; k++) {
          s += ht[i][k] * ht[j][k];
        }
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
    }
    return g;
  }

  private static void gramTile(double[][] ht, double[] g, int n, int i) {
    double[] a0 = ht[i];
    double[] a1 = ht[i + 1];
    double[] a2 = ht[i + 2];
    double[] a3 = ht[i + 3];
    for (int j = 0; j <= i + 3; j++) {
      double[] bj = ht[j];
      double s0 = 0;
      double s1 = 0;
      double s2 = 0;
      double s3 = 0;
      for (int k = 0; k < bj.length; k++) {
        double v = bj[k];
        s0 += a0[k] * v;
        s1 += a1[k] * v;
        s2 += a2[k] * v;
        s3 += a3[k] * v;
      }
      // the lower triangle and its mirror: row i + t keeps columns j ≤ i + t (no per-column array)
      if (j <= i) {
        store(g, n, i, j, s0);
      }
      if (j <= i + 1) {
        store(g, n, i + 1, j, s1);
      }
      if (j <= i + 2) {
        store(g, n, i + 2, j, s2);
      }
      store(g, n, i + 3, j, s3);
    }
  }

  private static void store(double[] g, int n, int r, int c, double v) {
    g[r * n + c] = v;
    g[c * n + r] = v;
  }

  /** fl(diag(a) − (qG)q) with q_i powers of two, so every q_i·q_j·G_ij is exact. */
  private static double[] assemble(double[] a, double[] q, double[] g, int n) {
    double[] s = new double[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        s[i * n + j] = -(q[i] * q[j] * g[i * n + j]);
      }
      s[i * n + i] = a[i] - q[i] * q[i] * g[i * n + i];
    }
    return s;
  }

  /**
   * In-place lower Cholesky (row-major), the certificates' one ({@link LmiCertificate#cholesky}); false at the first
   * pivot that is not positive and finite. On success the upper triangle is zeroed: it is not part of the factor.
   */
  static boolean cholesky(double[] a, int n) {
    if (LmiCertificate.cholesky(a, n) >= 0) {
      return false;
    }
    for (int j = 0; j < n; j++) {
      for (int k = j + 1; k < n; k++) {
        a[j * n + k] = 0;
      }
    }
    return true;
  }

  /** λ_max estimate of a symmetric PSD matrix by power iteration (any value works; a low one is retried). */
  static double powerMax(double[] g, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = 1 + 0.01 * ((i * 7919) % 13);
    }
    double lambda = 0;
    double[] y = new double[n];
    for (int it = 0; it < 200; it++) {
      double nv = 0;
      for (double x : v) {
        nv += x * x;
      }
      nv = Math.sqrt(nv);
      if (nv == 0) {
        return 0;
      }
      for (int i = 0; i < n; i++) {
        v[i] /= nv;
      }
      double rq = 0;
      for (int i = 0; i < n; i++) {
        double s = 0;
        int ri = i * n;
        for (int k = 0; k < n; k++) {
          s += g[ri + k] * v[k];
        }
        y[i] = s;
        rq += s * v[i];
      }
      boolean done = Math.abs(rq - lambda) <= 1e-5 * rq; // any estimate is sound; a low one costs a retry
      lambda = rq;
      double[] t = v;
      v = y;
      y = t;
      if (done && it > 5) {
        break;
      }
    }
    return lambda;
  }

  /** λ_max by cyclic Jacobi for small matrices (the output block), power iteration beyond. */
  static double largestEigenvalue(double[] g, int n) {
    if (n > 64) {
      return powerMax(g, n);
    }
    double[] a = g.clone();
    for (int sweep = 0; sweep < 60; sweep++) {
      double off = 0;
      double diag = 0;
      for (int p = 0; p < n; p++) {
        diag += a[p * n + p] * a[p * n + p];
        for (int q = p + 1; q < n; q++) {
          off += a[p * n + q] * a[p * n + q];
        }
      }
      if (off <= 1e-32 * diag) {
        break;
      }
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          double apq = a[p * n + q];
          if (apq == 0) {
            continue;
          }
          double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double cs = 1 / Math.sqrt(t * t + 1);
          double sn = t * cs;
          for (int k = 0; k < n; k++) {
            double akp = a[k * n + p];
            double akq = a[k * n + q];
            a[k * n + p] = cs * akp - sn * akq;
            a[k * n + q] = sn * akp + cs * akq;
          }
          for (int k = 0; k < n; k++) {
            double apk = a[p * n + k];
            double aqk = a[q * n + k];
            a[p * n + k] = cs * apk - sn * aqk;
            a[q * n + k] = sn * apk + cs * aqk;
          }
        }
      }
    }
    double max = 0;
    for (int p = 0; p < n; p++) {
      max = Math.max(max, a[p * n + p]);
    }
    return max;
  }

  /** The deadline passed inside a layer: nothing computed so far is usable. */
  private static final class OutOfTime extends RuntimeException {
    OutOfTime() {
      super(null, null, false, false);
    }

    static void check(long deadline) {
      if (deadline != 0 && System.nanoTime() > deadline) {
        throw new OutOfTime();
      }
    }
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  static double gamma(long k) {
    double ku = k * U;
    return ku / (1 - ku);
  }
}
