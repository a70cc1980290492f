package io.lipwatch.estimator.bounds.lipsdp;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.bounds.lipsdp.LipSdpException.Reason;
import io.lipwatch.estimator.estimate.UpperBound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * LipSDP (Fazlyab et al., NeurIPS 2019) solved with the CSDP command-line solver, every answer re-verified here. See
 * the package documentation for the formulation, the scaling and the verification.
 */
public final class LipSdp {
  /** Relative margin δ the SDP keeps inside the cone (S ⪰ δI on the scaled problem), so rounding cannot tip it out. */
  static final double SOLVER_MARGIN = 1e-7;

  private LipSdp() {}

  /** Multiplier structure: one t per hidden neuron (LipSDP-Neuron) or one λ per hidden layer (LipSDP-Layer). */
  public enum Mode {
    NEURON("lipsdp"),
    LAYER("lipsdp-layer");

    private final String method;

    Mode(String method) {
      this.method = method;
    }

    /** The method name in estimates: {@code lipsdp} or {@code lipsdp-layer}. */
    public String method() {
      return method;
    }
  }

  /**
   * Limits and solver settings.
   *
   * @param maxHiddenNeurons total hidden units allowed (default 400)
   * @param maxLmiDimension input + hidden units, the side of the LMI matrix (default 1500)
   * @param maxNonzeros nonzeros of the SDPA file (default 5·10⁶; activations with αβ ≠ 0, e.g. leaky ReLU, make the
   *     input-side blocks dense)
   * @param timeout wall-clock budget of the csdp process; it is killed past it (default 120 s)
   * @param csdpExecutable the solver; a bare name is looked up on PATH (default {@code csdp})
   * @param threads OMP_NUM_THREADS for csdp (default 1)
   * @param maxInflation the largest relative increase of the solver's ρ accepted to pass our own LMI check (default
   *     10⁻³); above it the answer is rejected as not verified
   */
  public record Limits(int maxHiddenNeurons, int maxLmiDimension, long maxNonzeros, Duration timeout,
      Path csdpExecutable, int threads, double maxInflation) {
    public Limits {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(csdpExecutable, "csdpExecutable");
      if (maxHiddenNeurons < 0 || maxLmiDimension < 1 || maxNonzeros < 1 || threads < 1 || timeout.isNegative()
          || timeout.isZero() || !(maxInflation >= 0)) {
        throw new IllegalArgumentException("invalid LipSDP limits");
      }
    }

    public static Limits defaults() {
      return new Limits(400, 1500, 5_000_000L, Duration.ofSeconds(120), Path.of("csdp"), 1, 1e-3);
    }

    public Limits withMaxHiddenNeurons(int n) {
      return new Limits(n, maxLmiDimension, maxNonzeros, timeout, csdpExecutable, threads, maxInflation);
    }

    public Limits withTimeout(Duration t) {
      return new Limits(maxHiddenNeurons, maxLmiDimension, maxNonzeros, t, csdpExecutable, threads, maxInflation);
    }

    public Limits withCsdpExecutable(Path exe) {
      return new Limits(maxHiddenNeurons, maxLmiDimension, maxNonzeros, timeout, exe, threads, maxInflation);
    }

    public Limits withThreads(int n) {
      return new Limits(maxHiddenNeurons, maxLmiDimension, maxNonzeros, timeout, csdpExecutable, n, maxInflation);
    }
  }

  /**
   * A verified LipSDP solution in the original (unscaled) coordinates.
   *
   * @param bound the estimate entry: value L = √ρ rounded up, {@code sound:true}
   * @param rho the verified ρ = L² (rounded up)
   * @param multipliers T: one value per hidden neuron, layer by layer (Layer mode repeats λᵢ over layer i), ≥ 0
   * @param inflation relative increase of the solver's ρ needed to pass our check (0 when none)
   * @param solverRho the solver's own ρ, unverified, for diagnostics
   * @param csdpExitCode CSDP's exit code (0 or 3 normally)
   */
  public record Solution(UpperBound bound, double rho, double[] multipliers, double inflation, double solverRho,
      int csdpExitCode) {}

  /**
   * LipSDP bound on the L2 Lipschitz constant of x ↦ W_L φ_{L−1}(W_{L−1} … φ_1(W_1 x)).
   *
   * @param weights W_1 … W_L as operators (rows = outputs); biases do not matter
   * @param hiddenActivations φ_1 … φ_{L−1}, element-wise with slopes in [slopeMin, slopeMax]
   * @throws LipSdpException with the reason when no verified bound could be produced (never a fallback number)
   */
  public static UpperBound bound(List<DenseMatrix> weights, List<ActivationSpec> hiddenActivations, Mode mode,
      Limits limits) {
    return solve(weights, hiddenActivations, mode, limits).bound();
  }

  /** As {@link #bound}, with the verified multipliers and diagnostics. */
  public static Solution solve(List<DenseMatrix> weights, List<ActivationSpec> hiddenActivations, Mode mode,
      Limits limits) {
    return solve(weights, hiddenActivations, mode, limits, 0);
  }

  /**
   * As {@link #solve(List, List, Mode, Limits)}, minimising ρ + c·Σt (on the internally scaled problem) instead of ρ.
   * LipSDP's optimal multipliers are not unique: a neuron with tiny incoming weights can take any huge t, and an
   * interior-point solver drifts there (seen: t up to 10⁶ beside t ~ 1). A small c picks tame multipliers at a
   * slightly larger, still verified ρ — what the ADMM W̄-step needs, whose SDP inherits T's conditioning.
   */
  public static Solution solve(List<DenseMatrix> weights, List<ActivationSpec> hiddenActivations, Mode mode,
      Limits limits, double multiplierCost) {
    if (!(multiplierCost >= 0) || !Double.isFinite(multiplierCost)) {
      throw new LipSdpException(Reason.UNSUPPORTED, "multiplier cost must be finite and ≥ 0, got " + multiplierCost);
    }
    long t0 = System.nanoTime();
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(limits, "limits");
    validate(weights, hiddenActivations);
    int layers = weights.size();
    int[] size = new int[layers + 1];
    size[0] = weights.get(0).cols();
    for (int i = 1; i <= layers; i++) {
      size[i] = weights.get(i - 1).rows();
    }
    int hidden = 0;
    for (int i = 1; i < layers; i++) {
      hidden += size[i];
    }
    if (hidden > limits.maxHiddenNeurons()) {
      throw new LipSdpException(Reason.TOO_LARGE, "network has " + hidden + " hidden neurons, LipSDP limit is "
          + limits.maxHiddenNeurons() + " (CSDP time and memory grow as the cube of the LMI size)");
    }
    if (size[0] + hidden > limits.maxLmiDimension()) {
      throw new LipSdpException(Reason.TOO_LARGE, "LMI would be " + (size[0] + hidden) + "×" + (size[0] + hidden)
          + " (inputs " + size[0] + " + hidden " + hidden + "), limit " + limits.maxLmiDimension());
    }
    double[] alpha = new double[layers];
    double[] beta = new double[layers];
    for (int i = 1; i < layers; i++) {
      alpha[i] = hiddenActivations.get(i - 1).slopeMin();
      beta[i] = hiddenActivations.get(i - 1).slopeMax();
    }
    int[] sdpSize = size.clone();
    if (layers >= 2 && size[0] > size[1]) {
      sdpSize[0] = size[1]; // the reduction below
    }
    long nnz = LipSdpProblem.estimateNonzeros(sdpSize, alpha, beta, mode);
    if (nnz > limits.maxNonzeros()) {
      throw new LipSdpException(Reason.TOO_LARGE, "SDP would have ~" + nnz + " nonzeros, limit "
          + limits.maxNonzeros() + (hasDenseBlocks(alpha, beta) ? " (slopeMin·slopeMax ≠ 0 makes input blocks dense)"
              : ""));
    }

    // Power-of-two rescaling of every layer (exact in floating point): see package-info.
    List<DenseMatrix> scaled = new ArrayList<>(layers);
    int[] sExp = new int[layers + 1]; // s_i = 2^{sExp[i]} = Π_{j ≤ i} c_j
    boolean zeroLayer = false;
    for (int i = 1; i <= layers; i++) {
      DenseMatrix wi = weights.get(i - 1);
      double norm = SpectralNorm.exactUpper(wi);
      int e = 0;
      if (norm > 0 && Double.isFinite(norm)) {
        e = -Math.getExponent(norm);
      } else if (norm == 0) {
        zeroLayer = true;
      }
      DenseMatrix si = scale(wi, e);
      if (si == null) {
        e = 0;
        si = wi;
      }
      sExp[i] = sExp[i - 1] + e;
      scaled.add(si);
    }
    if (zeroLayer) {
      UpperBound b = new UpperBound(mode.method(), 0.0, true, seconds(t0), 0, "a weight matrix is zero: f is constant");
      return new Solution(b, 0.0, new double[hidden], 0.0, 0.0, 0);
    }

    LipSdpProblem prob = new LipSdpProblem(scaled, hiddenActivations, mode, SOLVER_MARGIN);
    // What CSDP sees: with more inputs than first-layer units, W_1 is replaced by a square factor of W_1W_1ᵀ (an
    // equivalent LMI, see package-info). The answer is verified on the full LMI `prob` all the same.
    LipSdpProblem sdp = prob;
    prob.multiplierCost = multiplierCost;
    String reduced = "";
    if (layers >= 2 && size[0] > size[1]) {
      DenseMatrix f = gramFactor(scaled.get(0));
      if (f != null) {
        List<DenseMatrix> red = new ArrayList<>(scaled);
        red.set(0, f);
        sdp = new LipSdpProblem(red, hiddenActivations, mode, SOLVER_MARGIN);
        sdp.multiplierCost = multiplierCost;
        reduced = String.format("; SDP input side reduced %d→%d via a factor of W₁W₁ᵀ", size[0], size[1]);
      }
    }
    Solved solved = solve(sdp, "lipsdp.dat-s", "LipSDP-" + mode + " " + java.util.Arrays.toString(size), limits);
    CsdpRunner.Result res = solved.result();
    long lines = solved.lines();
    int code = res.exitCode();
    if (code == 1 || code == 2) {
      throw new LipSdpException(Reason.INFEASIBLE, "csdp exit " + code + " (" + CsdpRunner.describe(code) + ")");
    }
    if (code < 0 || code > 7) {
      throw new LipSdpException(Reason.SOLVER_FAILED, "csdp exit " + code + " (" + CsdpRunner.describe(code)
          + "); log tail: " + res.logTail().strip());
    }
    if (res.y() == null) {
      throw new LipSdpException(Reason.GARBAGE, "csdp exit " + code + " but no solution file");
    }
    double[] y = res.y();
    double solverRho = y[0];
    if (!(solverRho > 0)) {
      throw new LipSdpException(Reason.GARBAGE, "solver returned ρ = " + solverRho);
    }
    double[] mult = new double[prob.numVars + 1];
    int clamped = 0;
    for (int v = 2; v <= prob.numVars; v++) {
      double t = y[v - 1];
      if (t < 0) {
        clamped++;
        t = 0;
      }
      mult[v] = t;
    }

    // Never trust the solver: find the smallest ρ on a ladder above its answer that passes our own check.
    double rho = certify(prob, solverRho, mult, limits.maxInflation());
    double inflation = rho / solverRho - 1;

    // back to the original coordinates (exact: powers of two)
    int outExp = sExp[layers];
    double rhoOrig = Math.scalb(rho, -2 * outExp);
    double lScaled = Math.nextUp(Math.sqrt(rho));
    double l = Math.scalb(lScaled, -outExp);
    double[] t = new double[hidden];
    for (int i = 1; i < layers; i++) {
      for (int j = 0; j < size[i]; j++) {
        t[prob.offset[i] - prob.n0 + j] = Math.scalb(mult[prob.variableOf(i, j)], 2 * (sExp[i] - outExp));
      }
    }
    String note = String.format("CSDP exit %d (%s), %d vars, LMI %d×%d, %d nonzeros, solve %.2f s; "
        + "verified S(ρ,T) ⪰ 0 (full %d×%d LMI) by shifted Cholesky, ρ inflated by %.2e relative%s; "
        + "layer scales 2^%s%s",
        code, CsdpRunner.describe(code), sdp.numVars, sdp.dim, sdp.dim, lines, res.seconds(), prob.dim, prob.dim,
        Math.max(inflation, 0), clamped > 0 ? ", " + clamped + " negative multipliers set to 0" : "",
        java.util.Arrays.toString(java.util.Arrays.copyOfRange(sExp, 1, layers + 1)), reduced);
    UpperBound b = new UpperBound(mode.method(), l, true, seconds(t0), res.iterations() >= 0 ? res.iterations() : null,
        note);
    return new Solution(b, rhoOrig, t, Math.max(inflation, 0), Math.scalb(solverRho, -2 * outExp), code);
  }

  /**
   * Result of {@link #project} / {@link #projectPenalized}: the projected weights W̄, their Frobenius distance to W,
   * the Lipschitz bound we verified for W̄ with the given T (√ρ; in enforce mode ρ = L_des² when {@code meetsTarget},
   * else slightly inflated), and notes.
   */
  public record Projection(List<DenseMatrix> weights, double distance, double lipschitzBound, boolean meetsTarget,
      double seconds, String note) {}

  /**
   * The W̄-step of Pauli et al. (2020), enforce mode: the weights closest to {@code weights} in Frobenius norm that
   * satisfy the LipSDP LMI with the fixed multipliers T ({@code multipliers}, one per hidden neuron as in
   * {@link Solution#multipliers}) and ρ = lDes². Needs slopeMin = 0 for every hidden activation (ReLU, tanh, sigmoid),
   * where the LMI is linear in the hidden weights; the last layer enters by a Schur complement. Every weight is an SDP
   * variable, except that a first layer with more inputs than units is projected inside its own row space (exact,
   * see package-info), so the count is Σ n_i·n_{i−1} with n_0 replaced by min(n_0, n_1); at most
   * {@link Limits#maxHiddenNeurons()}·15. The result is verified by the same Cholesky check as {@link #bound}.
   */
  public static Projection project(List<DenseMatrix> weights, List<ActivationSpec> hiddenActivations,
      double[] multipliers, double lDes, Limits limits) {
    if (!(lDes > 0) || !Double.isFinite(lDes)) {
      throw new LipSdpException(Reason.UNSUPPORTED, "target Lipschitz constant must be positive, got " + lDes);
    }
    return projectImpl(weights, hiddenActivations, multipliers, lDes * lDes, 0, limits, true);
  }

  /**
   * The W̄-step of Pauli et al. (2020), penalise mode: min ‖W̄ − W‖²_F + c·L² subject to the LipSDP LMI with the fixed
   * multipliers T and ρ = L² free (Pauli's µL² + (ρ_admm/2)‖W̄ − W‖² is c = 2µ/ρ_admm). Otherwise as
   * {@link #project}; {@link Projection#lipschitzBound} is the verified √ρ of the result.
   */
  public static Projection projectPenalized(List<DenseMatrix> weights, List<ActivationSpec> hiddenActivations,
      double[] multipliers, double lipschitzSquaredCost, Limits limits) {
    if (!(lipschitzSquaredCost > 0) || !Double.isFinite(lipschitzSquaredCost)) {
      throw new LipSdpException(Reason.UNSUPPORTED, "the cost of L² must be positive, got " + lipschitzSquaredCost);
    }
    return projectImpl(weights, hiddenActivations, multipliers, Double.NaN, lipschitzSquaredCost, limits, true);
  }

  /** {@code reduceInput = false} only for tests of the row-space reduction. */
  static Projection projectImpl(List<DenseMatrix> weights, List<ActivationSpec> hiddenActivations,
      double[] multipliers, double rho, double rhoCost, Limits limits, boolean reduceInput) {
    long t0 = System.nanoTime();
    validate(weights, hiddenActivations);
    for (ActivationSpec a : hiddenActivations) {
      if (a.slopeMin() != 0) {
        throw new LipSdpException(Reason.UNSUPPORTED, "projection needs slopeMin = 0 (" + a.name() + " has "
            + a.slopeMin() + "): the LMI is then linear in the weights");
      }
    }
    LipSdpProblem shape = new LipSdpProblem(weights, hiddenActivations, Mode.NEURON, 0);
    if (multipliers == null || multipliers.length != shape.hidden) {
      throw new LipSdpException(Reason.UNSUPPORTED, "need " + shape.hidden + " multipliers");
    }
    for (double t : multipliers) {
      if (!(t >= 0) || !Double.isFinite(t)) {
        throw new LipSdpException(Reason.UNSUPPORTED, "multipliers must be finite and ≥ 0");
      }
    }
    // a wide first layer is projected inside its row space: W_1 = F·Q (Q orthonormal rows), W̄_1 = F̄·Q
    List<DenseMatrix> sdpWeights = weights;
    DenseMatrix basis = null;
    if (reduceInput && weights.size() >= 2 && weights.get(0).cols() > weights.get(0).rows()) {
      basis = rowBasis(weights.get(0));
      List<DenseMatrix> red = new ArrayList<>(weights);
      red.set(0, weights.get(0).times(basis.transpose()));
      sdpWeights = red;
    }
    boolean free = Double.isNaN(rho);
    double scale = free ? 1.0 : Math.max(1.0, rho);
    LipSdpProjection proj = new LipSdpProjection(sdpWeights, hiddenActivations, multipliers, rho, rhoCost,
        SOLVER_MARGIN * scale);
    long maxVars = 15L * limits.maxHiddenNeurons();
    if (proj.numWeights > maxVars) {
      throw new LipSdpException(Reason.TOO_LARGE, "projection has " + proj.numWeights + " weight variables, limit "
          + maxVars + " (CSDP factors a dense matrix of that side every iteration)");
    }
    CsdpRunner.Result res = solve(proj, "project.dat-s", "LipSDP projection", limits).result();
    int code = res.exitCode();
    if (code == 1 || code == 2) {
      throw new LipSdpException(Reason.INFEASIBLE, "csdp exit " + code + " (" + CsdpRunner.describe(code)
          + "): no weights satisfy the LMI with these multipliers");
    }
    if (code < 0 || code > 7 || res.y() == null) {
      throw new LipSdpException(code < 0 || code > 7 ? Reason.SOLVER_FAILED : Reason.GARBAGE, "csdp exit " + code
          + " (" + CsdpRunner.describe(code) + ")" + (code < 0 || code > 7 ? "; log tail: " + res.logTail().strip() : ""));
    }
    List<DenseMatrix> wBar = new ArrayList<>(proj.weights(res.y()));
    if (basis != null) {
      wBar.set(0, wBar.get(0).times(basis));
    }
    double target = proj.rho(res.y());
    if (!(target > 0) || !Double.isFinite(target)) {
      throw new LipSdpException(Reason.GARBAGE, "solver returned ρ = " + target);
    }
    for (DenseMatrix m : wBar) {
      for (double d : m.data()) {
        if (!Double.isFinite(d)) {
          throw new LipSdpException(Reason.GARBAGE, "solver returned a non-finite weight");
        }
      }
    }
    // never trusted: the full, unreduced LMI with the projected weights is checked here
    LipSdpProblem check = new LipSdpProblem(wBar, hiddenActivations, Mode.NEURON, 0);
    double[] mult = new double[check.numVars + 1];
    System.arraycopy(multipliers, 0, mult, 2, multipliers.length);
    double verified = certify(check, target, mult, limits.maxInflation());
    double dist = 0;
    for (int i = 0; i < weights.size(); i++) {
      double[] a = weights.get(i).data();
      double[] b = wBar.get(i).data();
      for (int k = 0; k < a.length; k++) {
        dist += (a[k] - b[k]) * (a[k] - b[k]);
      }
    }
    double l = Math.nextUp(Math.sqrt(verified));
    return new Projection(List.copyOf(wBar), Math.sqrt(dist), l, verified == target, seconds(t0), String.format(
        "CSDP exit %d (%s), %d variables%s, solve %.2f s; LMI verified at ρ = %s", code, CsdpRunner.describe(code),
        proj.numVariables(), basis != null ? " (first layer in its " + basis.rows() + "-dimensional row space)" : "",
        res.seconds(), (free ? "L²" : "L_des²") + (verified == target ? "" : "·(1+" + (verified / target - 1) + ")")));
  }

  /**
   * Orthonormal rows Q (k × n, k = rows of w) whose span contains every row of w: modified Gram–Schmidt, twice for
   * orthogonality; a dependent row is replaced by a fresh direction (a larger span is still exact).
   */
  static DenseMatrix rowBasis(DenseMatrix w) {
    int k = w.rows();
    int n = w.cols();
    double[] q = new double[k * n];
    java.util.Random rnd = new java.util.Random(k * 31L + n);
    for (int r = 0; r < k; r++) {
      double[] v = new double[n];
      System.arraycopy(w.data(), r * n, v, 0, n);
      double orig = norm(v);
      for (int attempt = 0; attempt < 4; attempt++) {
        for (int pass = 0; pass < 2; pass++) {
          for (int j = 0; j < r; j++) {
            double dot = 0;
            for (int c = 0; c < n; c++) {
              dot += q[j * n + c] * v[c];
            }
            for (int c = 0; c < n; c++) {
              v[c] -= dot * q[j * n + c];
            }
          }
        }
        double nv = norm(v);
        if (nv > 1e-10 * Math.max(orig, 1e-300) && nv > 0) {
          for (int c = 0; c < n; c++) {
            q[r * n + c] = v[c] / nv;
          }
          break;
        }
        for (int c = 0; c < n; c++) {
          v[c] = rnd.nextGaussian();
        }
        orig = norm(v);
      }
    }
    return new DenseMatrix(k, n, q);
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  /**
   * The smallest ρ of the ladder ρ₀, ρ₀(1+10⁻¹⁰), ρ₀(1+10⁻⁹), … ≤ ρ₀(1+maxInflation) at which S(ρ, T) ⪰ 0 passes
   * {@link LmiCertificate}, refined by bisection; throws NOT_VERIFIED if none does.
   */
  static double certify(LipSdpProblem prob, double rho0, double[] mult, double maxInflation) {
    LmiCertificate.Check first = LmiCertificate.check(prob, rho0, mult);
    if (first.passed()) {
      return rho0;
    }
    double lo = 0;
    double rel = 1e-10;
    LmiCertificate.Check last = first;
    while (rel <= maxInflation * (1 + 1e-12)) {
      double rho = rho0 * (1 + rel);
      last = LmiCertificate.check(prob, rho, mult);
      if (last.passed()) {
        double hi = rel;
        for (int k = 0; k < 6; k++) {
          double mid = 0.5 * (lo + hi);
          if (LmiCertificate.check(prob, rho0 * (1 + mid), mult).passed()) {
            hi = mid;
          } else {
            lo = mid;
          }
        }
        return rho0 * (1 + hi);
      }
      lo = rel;
      rel = rel * 10 > maxInflation && rel < maxInflation ? maxInflation : rel * 10;
    }
    throw new LipSdpException(Reason.NOT_VERIFIED, String.format(
        "the solver's ρ = %.6g with its multipliers does not satisfy the LMI by our check, even inflated by %.1e "
            + "relative (first failing pivot %d of %d)", rho0, maxInflation, last.failedPivot(), prob.dim));
  }

  private static void validate(List<DenseMatrix> weights, List<ActivationSpec> acts) {
    if (weights == null || weights.isEmpty()) {
      throw new LipSdpException(Reason.UNSUPPORTED, "no weight matrices");
    }
    if (acts == null || acts.size() != weights.size() - 1) {
      throw new LipSdpException(Reason.UNSUPPORTED, "need " + (weights.size() - 1) + " hidden activations, got "
          + (acts == null ? "none" : acts.size()));
    }
    for (int i = 0; i < weights.size(); i++) {
      DenseMatrix w = weights.get(i);
      if (w.rows() == 0 || w.cols() == 0) {
        throw new LipSdpException(Reason.UNSUPPORTED, "layer " + (i + 1) + " has an empty weight matrix");
      }
      if (i > 0 && w.cols() != weights.get(i - 1).rows()) {
        throw new LipSdpException(Reason.UNSUPPORTED, "layer " + (i + 1) + " takes " + w.cols()
            + " inputs but layer " + i + " has " + weights.get(i - 1).rows() + " outputs");
      }
      for (double d : w.data()) {
        if (!Double.isFinite(d)) {
          throw new LipSdpException(Reason.UNSUPPORTED, "layer " + (i + 1) + " has a non-finite weight");
        }
      }
    }
    for (int i = 0; i < acts.size(); i++) {
      ActivationSpec a = acts.get(i);
      if (!a.elementWise()) {
        throw new LipSdpException(Reason.UNSUPPORTED, "hidden activation " + (i + 1) + " (" + a.name()
            + ") is not element-wise");
      }
      if (!Double.isFinite(a.slopeMin()) || !Double.isFinite(a.slopeMax()) || a.slopeMin() > a.slopeMax()) {
        throw new LipSdpException(Reason.UNSUPPORTED, "hidden activation " + (i + 1) + " (" + a.name()
            + ") has slope range [" + a.slopeMin() + ", " + a.slopeMax() + "]");
      }
    }
  }

  private static boolean hasDenseBlocks(double[] alpha, double[] beta) {
    for (int i = 0; i < alpha.length; i++) {
      if (alpha[i] * beta[i] != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * A lower-triangular F (rows × rows) with FFᵀ = WWᵀ + εI, ε = 10⁻¹² of the mean diagonal: W = F·Qᵀ for a matrix Q
   * with orthonormal columns, up to the ε regularisation, which can only enlarge the feasible ρ. Null if it fails.
   */
  static DenseMatrix gramFactor(DenseMatrix w) {
    int n = w.rows();
    int k = w.cols();
    double[] g = new double[n * n];
    double[] d = w.data();
    double trace = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = 0;
        for (int c = 0; c < k; c++) {
          s += d[i * k + c] * d[j * k + c];
        }
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
      trace += g[i * n + i];
    }
    double eps = Math.max(1e-12 * trace / n, Double.MIN_NORMAL);
    for (int i = 0; i < n; i++) {
      g[i * n + i] += eps;
    }
    if (LmiCertificate.cholesky(g, n) >= 0) {
      return null;
    }
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        g[i * n + j] = 0;
      }
    }
    for (double v : g) {
      if (!Double.isFinite(v)) {
        return null;
      }
    }
    return new DenseMatrix(n, n, g);
  }

  static DenseMatrix scale(DenseMatrix w, int exp) {
    double[] d = w.data().clone();
    if (exp != 0) {
      for (int k = 0; k < d.length; k++) {
        d[k] = Math.scalb(d[k], exp);
        if (Math.scalb(d[k], -exp) != w.data()[k]) {
          return null; // not exact (subnormals): caller keeps this layer unscaled
        }
      }
    }
    return new DenseMatrix(w.rows(), w.cols(), d);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** CSDP's answer and the length in lines of the problem file it read. */
  private record Solved(CsdpRunner.Result result, long lines) {}

  /** Writes the SDP as {@code file} in a fresh temporary directory, runs CSDP there, and deletes the directory. */
  private static Solved solve(SdpData sdp, String file, String comment, Limits limits) {
    Path dir;
    try {
      dir = Files.createTempDirectory("lipsdp");
    } catch (IOException e) {
      throw new LipSdpException(Reason.SOLVER_FAILED, "cannot create a temporary directory: " + e.getMessage(), e);
    }
    try {
      Path in = dir.resolve(file);
      long lines = SdpaWriter.write(sdp, in, comment);
      CsdpRunner.Result res = CsdpRunner.run(limits.csdpExecutable(), dir, in, sdp.numVariables(), limits.timeout(),
          limits.threads());
      return new Solved(res, lines);
    } catch (UncheckedIOException e) {
      throw new LipSdpException(Reason.SOLVER_FAILED, "cannot write the SDP: " + e.getMessage(), e);
    } finally {
      deleteRecursively(dir);
    }
  }

  static void deleteRecursively(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
