package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.NativeLayers;
import io.lipwatch.estimator.network.Node;

import io.lipwatch.estimator.estimate.LowerBound;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Lower bounds of the Lipschitz constant. Every reported value is a ratio ‖f(x)−f(x′)‖/‖x−x′‖ of a real pair, with
 * f evaluated by a forward pass ({@link ExtractedNetwork#forward}, checked against DL4J in tests): any such ratio is
 * ≤ L by definition, so these are true lower bounds, whatever the search that found the pair.
 */
public final class LowerBounds {
  public static final String CLIP = "clip-pairs";
  public static final String GRADIENT = "gradient-norm";
  public static final String SEARCH = "pair-search";
  /** Forward passes the pair search may spend, in multiply-adds (a fraction of a second of one core)... */
  static final double SEARCH_MACS = 1e8;
  /** ... and at most this many forward passes (small networks). */
  static final long SEARCH_EVALS = 60_000;
  /** Screening of the pair search: multiply-adds it may spend, points at most, power iterations per point... */
  static final double SCREEN_MACS = 1e9;
  static final long SCREEN_POINTS = 4_000;
  static final int SCREEN_ITERS = 6;
  /** ... the screened points kept as starts, and the share of the remaining budget screening may take. */
  static final int SCREEN_KEEP = 12;
  static final double SCREEN_SHARE = 0.3;
  /** Pairs kept for the next snapshot. */
  static final int KEEP_PAIRS = 8;

  private LowerBounds() {}

  /** A lower bound with the pairs that attain the best ratios. */
  public record Result(LowerBound bound, List<double[][]> pairs) {}

  public static double ratio(ExtractedNetwork net, double[] x, double[] xp) {
    double d = dist(x, xp);
    return d == 0 ? 0 : dist(net.output(x), net.output(xp)) / d;
  }

  /**
   * Gradient norm: at each input, power iteration on JᵀJ with J·v and Jᵀ·u gives the Jacobian's top right singular
   * vector v; the reported value is the real difference quotient along v with a small step h (a pair ratio, so a
   * true lower bound; it equals ‖J v‖ up to O(h) where f is smooth or piecewise linear).
   */
  public static Result gradientNorm(ExtractedNetwork net, double[][] inputs, int maxIter, long seed, long deadline) {
    long t0 = System.nanoTime();
    Random rnd = new Random(seed);
    double best = 0;
    int iterations = 0;
    List<Scored> pairs = new ArrayList<>();
    boolean late = false;
    for (double[] x : inputs) {
      if (deadline != 0 && System.nanoTime() > deadline) {
        late = true;
        break;
      }
      JacobianPower power = new JacobianPower(net, x, rnd);
      double sigma = 0;
      for (int it = 0; it < maxIter; it++) {
        iterations++;
        if (!power.step()) {
          break;
        }
        double s = power.norm;
        boolean done = Math.abs(s - sigma) <= 1e-7 * s;
        sigma = s;
        if (done) {
          break;
        }
      }
      double h = 1e-4 * Math.max(1, SpectralNorm.norm(x)) / Math.sqrt(x.length);
      double[] xp = along(x, h, power.v);
      double r = ratio(net, x, xp);
      pairs.add(new Scored(x, xp, r));
      best = Math.max(best, r);
    }
    String note = "max over " + inputs.length + " inputs of the Jacobian's spectral norm (power iteration), as a real difference quotient"
        + (late ? "; budget exhausted" : "");
    return new Result(new LowerBound(GRADIENT, best, AutoLip.seconds(t0), iterations, note), top(pairs));
  }

  /**
   * CLIP pair search (Bungert et al. 2021): pairs from the warm start, the inputs plus uniform noise in [0, 0.1), and
   * any seed pairs (e.g. the gradient-norm directions); gradient ascent on R = ‖f(x)−f(x′)‖²/‖x−x′‖² with a per-pair
   * step that grows ×1.3 on improvement and halves otherwise (non-improving steps are rejected).
   */
  public static Result clipPairs(ExtractedNetwork net, double[][] inputs, List<double[][]> seeds, int steps, long seed, long deadline) {
    long t0 = System.nanoTime();
    Random rnd = new Random(seed);
    List<double[][]> start = new ArrayList<>();
    for (double[][] p : seeds) {
      if (p.length == 2 && p[0].length == net.inputDim() && p[1].length == net.inputDim()) {
        start.add(new double[][] {p[0].clone(), p[1].clone()});
      }
    }
    for (double[] x : inputs) {
      double[] xp = x.clone();
      for (int i = 0; i < xp.length; i++) {
        xp[i] += rnd.nextDouble() * 0.1;
      }
      start.add(new double[][] {x.clone(), xp});
    }
    List<Scored> done = new ArrayList<>();
    int iterations = 0;
    boolean late = false;
    for (double[][] p : start) {
      // no box: the pairs may leave [0, 1] (clamping to ±∞ leaves every finite value as it is)
      Ascent a = ascend(net, new Scored(p[0], p[1], ratio(net, p[0], p[1])), steps, Double.NEGATIVE_INFINITY,
          Double.POSITIVE_INFINITY, deadline);
      iterations += a.steps();
      late = a.late();
      done.add(a.best());
      if (late) {
        break;
      }
    }
    double best = done.stream().mapToDouble(Scored::ratio).max().orElse(0);
    String note = start.size() + " pairs (" + seeds.size() + " seeded), up to " + steps + " ascent steps each"
        + (late ? "; budget exhausted" : "");
    return new Result(new LowerBound(CLIP, best, AutoLip.seconds(t0), iterations, note), top(done));
  }

  /**
   * The box the pair search stays in: [0, 1] (the default input range) widened to cover every probe input, the same
   * interval on every coordinate. Lower bounds hold for the network on R^n whatever the box; the box only says where
   * the pairs were looked for.
   */
  public static double[] domain(double[][] inputs) {
    double lo = 0;
    double hi = 1;
    for (double[] x : inputs) {
      for (double v : x) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return new double[] {lo, hi};
  }

  /**
   * Pair search inside the box {@code dom}: starts from the seed pairs (the last snapshot's best pairs, this run's
   * gradient directions), the best of many uniform points screened by their Jacobian's norm (a multi-start power
   * iteration, at most {@value #SCREEN_SHARE} of the remaining budget), the inputs with a small random partner, and
   * uniform random points; each start gets projected
   * CLIP ascent (local refinement), then simulated annealing of the pair's position (the same random move for both
   * points, a slight turn of their difference, worse moves accepted with probability exp(Δ/(0.05·r·T))), then ascent
   * again from the best pair seen. Every value is a real pair's ratio.
   */
  public static Result search(ExtractedNetwork net, double[][] inputs, List<double[][]> seeds, double[] dom, int randomStarts,
      long seed, long deadline) {
    long t0 = System.nanoTime();
    Random rnd = new Random(seed);
    int d = net.inputDim();
    double lo = dom[0];
    double hi = dom[1];
    long macs = 1;
    for (Node n : net.linearNodes()) {
      macs += n.linear().macs();
    }
    long evals = Math.max(400, Math.min(SEARCH_EVALS, (long) (SEARCH_MACS / macs)));
    List<double[][]> start = new ArrayList<>();
    for (double[][] p : seeds) {
      if (p.length == 2 && p[0].length == d && p[1].length == d) {
        start.add(new double[][] {clamp(p[0].clone(), lo, hi), clamp(p[1].clone(), lo, hi)});
      }
    }
    double sep = 1e-3 * (hi - lo);
    long screenEnd = deadline == 0 ? 0 : System.nanoTime() + (long) (SCREEN_SHARE * Math.max(0, deadline - System.nanoTime()));
    long screenPoints = Math.max(SCREEN_KEEP, Math.min(SCREEN_POINTS, (long) (SCREEN_MACS / macs) / (2 * SCREEN_ITERS + 1)));
    Screen screen = screen(net, d, lo, hi, sep, screenPoints, rnd, screenEnd);
    start.addAll(screen.starts());
    for (double[] x : inputs) {
      start.add(new double[][] {clamp(x.clone(), lo, hi), partner(x, sep, lo, hi, rnd)});
    }
    for (int k = 0; k < randomStarts; k++) {
      double[] x = new double[d];
      for (int i = 0; i < d; i++) {
        x[i] = lo + (hi - lo) * rnd.nextDouble();
      }
      start.add(new double[][] {x, partner(x, sep, lo, hi, rnd)});
    }
    long per = Math.max(12, evals / Math.max(1, start.size()));
    int ascent = (int) Math.max(3, per / 6);   // forward pairs per ascent phase (each step ≈ 2 passes + 2 VJPs)
    int anneal = (int) Math.max(4, per / 3);
    List<Scored> done = new ArrayList<>();
    int iterations = 0;
    boolean late = false;
    for (double[][] p : start) {
      if (deadline != 0 && System.nanoTime() > deadline) {
        late = true;
        break;
      }
      Scored best = ascend(net, new Scored(p[0], p[1], ratio(net, p[0], p[1])), ascent, lo, hi, deadline).best();
      Scored cur = best;
      double t0Anneal = 0.05 * (hi - lo);
      for (int s = 0; s < anneal; s++) {
        iterations++;
        double temp = 1 - (double) s / anneal;
        double step = t0Anneal * temp / Math.sqrt(d);
        double[] move = new double[d];
        double[] turn = new double[d];
        double dn = dist(cur.x(), cur.xp());
        for (int i = 0; i < d; i++) {
          move[i] = step * rnd.nextGaussian();
          turn[i] = 0.2 * temp * dn * rnd.nextGaussian() / Math.sqrt(d);
        }
        double[] nx = cur.x().clone();
        double[] nxp = cur.xp().clone();
        for (int i = 0; i < d; i++) {
          nx[i] += move[i];
          nxp[i] += move[i] + turn[i];
        }
        clamp(nx, lo, hi);
        clamp(nxp, lo, hi);
        double nr = ratio(net, nx, nxp);
        if (nr > cur.ratio() || rnd.nextDouble() < Math.exp((nr - cur.ratio()) / (0.05 * Math.max(cur.ratio(), 1e-300) * Math.max(temp, 1e-3)))) {
          cur = new Scored(nx, nxp, nr);
          if (nr > best.ratio()) {
            best = cur;
          }
        }
        if (deadline != 0 && System.nanoTime() > deadline) {
          late = true;
          break;
        }
      }
      best = ascend(net, best, ascent, lo, hi, deadline).best();
      iterations += 2 * ascent;
      done.add(best);
      if (late) {
        break;
      }
    }
    double value = done.stream().mapToDouble(Scored::ratio).max().orElse(0);
    String note = String.format("pairs in [%s, %s]^%d: %d starts (%d seeded, %d best of %d screened points, %d inputs, %d random), ascent + annealing + ascent each%s",
        lo, hi, d, start.size(), seeds.size(), screen.starts().size(), screen.points(), inputs.length, randomStarts, late ? "; budget exhausted" : "");
    return new Result(new LowerBound(SEARCH, value, AutoLip.seconds(t0), iterations, note), top(done));
  }

  /** The best screened starts and how many points were screened. */
  private record Screen(List<double[][]> starts, long points) {}

  /**
   * Screening: the Jacobian's top singular value by {@value #SCREEN_ITERS} power iterations (J·v, Jᵀ·u) at uniform
   * points of the box, until {@code points} or {@code end}; the {@value #SCREEN_KEEP} largest become starts, each
   * paired with a partner at distance sep along its top singular vector (a multi-start search finds large Jacobians
   * faster than restarts of the pair ascent alone; only the pairs' ratios are ever reported).
   */
  private static Screen screen(ExtractedNetwork net, int d, double lo, double hi, double sep, long points, Random rnd, long end) {
    java.util.PriorityQueue<double[][]> best = new java.util.PriorityQueue<>(Comparator.comparingDouble(p -> p[2][0]));
    long n = 0;
    for (; n < points; n++) {
      if (end != 0 && System.nanoTime() > end) {
        break;
      }
      double[] x = new double[d];
      for (int i = 0; i < d; i++) {
        x[i] = lo + (hi - lo) * rnd.nextDouble();
      }
      JacobianPower power = new JacobianPower(net, x, rnd);
      for (int it = 0; it < SCREEN_ITERS; it++) {
        if (!power.step()) {
          break;
        }
      }
      double sigma = power.norm;
      if (best.size() < SCREEN_KEEP || sigma > best.peek()[2][0]) {
        best.add(new double[][] {x, clamp(along(x, sep, power.v), lo, hi), {sigma}});
        if (best.size() > SCREEN_KEEP) {
          best.poll();
        }
      }
    }
    List<double[][]> out = new ArrayList<>();
    best.stream().sorted(Comparator.comparingDouble((double[][] p) -> p[2][0]).reversed()).forEach(p -> out.add(new double[][] {p[0], p[1]}));
    return new Screen(out, n);
  }

  /**
   * Power iteration on JᵀJ at one input, J the Jacobian there (J·v forward, Jᵀ·u backward): {@link #v} is the current
   * unit direction (a random one at first), {@link #norm} ‖J v‖ as of the last step.
   */
  private static final class JacobianPower {
    private final ExtractedNetwork net;
    private final double[] x;
    private final double[][] vals;
    double[] v;
    double norm;

    JacobianPower(ExtractedNetwork net, double[] x, Random rnd) {
      this.net = net;
      this.x = x;
      this.vals = net.forward(x);
      this.v = new double[x.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = rnd.nextGaussian();
      }
      SpectralNorm.scale(v, 1 / SpectralNorm.norm(v));
    }

    /** norm ← ‖J v‖, then v ← JᵀJ v normalised; false (v kept) when J v or JᵀJ v is zero. */
    boolean step() {
      double[] u = net.jvp(vals, x, v);
      norm = SpectralNorm.norm(u);
      if (norm == 0) {
        return false;
      }
      double[] g = net.vjp(vals, x, u);
      double gn = SpectralNorm.norm(g);
      if (gn == 0) {
        return false;
      }
      SpectralNorm.scale(g, 1 / gn);
      v = g;
      return true;
    }
  }

  /** x + h·v, a new array. */
  private static double[] along(double[] x, double h, double[] v) {
    double[] xp = x.clone();
    for (int i = 0; i < xp.length; i++) {
      xp[i] += h * v[i];
    }
    return xp;
  }

  /** A partner of x at distance ≈ sep in a random direction, inside the box. */
  private static double[] partner(double[] x, double sep, double lo, double hi, Random rnd) {
    double[] v = new double[x.length];
    double n = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian();
      n += v[i] * v[i];
    }
    n = Math.sqrt(n);
    double[] xp = x.clone();
    for (int i = 0; i < v.length; i++) {
      xp[i] += sep * v[i] / n;
    }
    return clamp(xp, lo, hi);
  }

  private static double[] clamp(double[] x, double lo, double hi) {
    for (int i = 0; i < x.length; i++) {
      x[i] = Math.max(lo, Math.min(hi, x[i]));
    }
    return x;
  }

  /** What one ascent reached: the best pair, the steps taken, and whether the deadline stopped it. */
  private record Ascent(Scored best, int steps, boolean late) {}

  /**
   * Projected CLIP ascent on the ratio (steps relative to the pair's distance, ×1.3 on success, halved otherwise),
   * inside the box [lo, hi] on every coordinate.
   */
  private static Ascent ascend(ExtractedNetwork net, Scored s, int steps, double lo, double hi, long deadline) {
    double[] x = s.x();
    double[] xp = s.xp();
    double r = s.ratio();
    double tau = 0.1;
    int taken = 0;
    boolean late = false;
    for (int k = 0; k < steps; k++) {
      if (deadline != 0 && System.nanoTime() > deadline) {
        late = true;
        break;
      }
      taken++;
      double[][] vx = net.forward(x);
      double[][] vxp = net.forward(xp);
      double[] fx = vx[vx.length - 1];
      double[] fxp = vxp[vxp.length - 1];
      double[] df = new double[fx.length];
      for (int i = 0; i < df.length; i++) {
        df[i] = fx[i] - fxp[i];
      }
      double[] dd = new double[x.length];
      for (int i = 0; i < dd.length; i++) {
        dd[i] = x[i] - xp[i];
      }
      double d2 = dot(dd, dd);
      if (d2 == 0) {
        break;
      }
      double f2 = dot(df, df);
      // ∂R/∂x = 2Jₓᵀ Δf/‖d‖² − 2‖Δf‖² d/‖d‖⁴ ; ∂R/∂x′ = −2J_{x′}ᵀ Δf/‖d‖² + 2‖Δf‖² d/‖d‖⁴
      double[] gx = net.vjp(vx, x, df);
      double[] gxp = net.vjp(vxp, xp, df);
      double[] ax = new double[x.length];
      double[] axp = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        ax[i] = 2 * gx[i] / d2 - 2 * f2 * dd[i] / (d2 * d2);
        axp[i] = -2 * gxp[i] / d2 + 2 * f2 * dd[i] / (d2 * d2);
      }
      double gn = Math.sqrt(dot(ax, ax) + dot(axp, axp));
      if (gn == 0) {
        break;
      }
      double scale = tau * Math.sqrt(d2) / gn; // step relative to the pair's distance
      double[] nx = x.clone();
      double[] nxp = xp.clone();
      for (int i = 0; i < x.length; i++) {
        nx[i] += scale * ax[i];
        nxp[i] += scale * axp[i];
      }
      clamp(nx, lo, hi);
      clamp(nxp, lo, hi);
      double nr = ratio(net, nx, nxp);
      if (nr > r) {
        x = nx;
        xp = nxp;
        r = nr;
        tau *= 1.3;
      } else {
        tau /= 2;
        if (tau < 1e-8) {
          break;
        }
      }
    }
    return new Ascent(new Scored(x, xp, r), taken, late);
  }

  private record Scored(double[] x, double[] xp, double ratio) {}

  private static List<double[][]> top(List<Scored> s) {
    return s.stream().sorted(Comparator.comparingDouble(Scored::ratio).reversed()).limit(KEEP_PAIRS)
        .map(p -> new double[][] {p.x(), p.xp()}).toList();
  }

  /** Seeded uniform inputs in [0,1]^d (the default input range). */
  public static double[][] randomInputs(int n, int dim, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[n][dim];
    for (double[] row : x) {
      for (int i = 0; i < dim; i++) {
        row[i] = r.nextDouble();
      }
    }
    return x;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double dist(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }

  /** {@code gradient-norm}: the largest Jacobian norm found at the inputs. */
  static final class GradientNorm implements BoundMethod {
    public String name() { return GRADIENT; }
    public Kind kind() { return Kind.LOWER; }
    public MethodOutcome compute(MethodContext ctx) {
      try (NativeLayers fast = NativeLayers.of(ctx.net())) {
        Result g = gradientNorm(fast.network(), ctx.inputs(), 50, ctx.config().seed(), ctx.deadline());
        return MethodOutcome.of(g.bound(), g.pairs());
      }
    }
  }

  /** {@code pair-search}: restarts, annealing and local refinement inside the input box, seeded like clip-pairs. */
  static final class PairSearch implements BoundMethod {
    public String name() { return SEARCH; }
    public Kind kind() { return Kind.LOWER; }
    public MethodOutcome compute(MethodContext ctx) {
      try (NativeLayers fast = NativeLayers.of(ctx.net())) {
        Result p = search(fast.network(), ctx.inputs(), ctx.seeds(), domain(ctx.inputs()), 48, ctx.config().seed() + 2,
            ctx.deadline());
        return MethodOutcome.of(p.bound(), p.pairs());
      }
    }
  }

  /** {@code clip-pairs}: CLIP's pair search, seeded with earlier pairs and the warm start. */
  static final class ClipPairs implements BoundMethod {
    public String name() { return CLIP; }
    public Kind kind() { return Kind.LOWER; }
    public MethodOutcome compute(MethodContext ctx) {
      try (NativeLayers fast = NativeLayers.of(ctx.net())) {
        Result p = clipPairs(fast.network(), ctx.inputs(), ctx.seeds(), LipschitzEngine.CLIP_STEPS, ctx.config().seed() + 1,
            ctx.deadline());
        return MethodOutcome.of(p.bound(), p.pairs());
      }
    }
  }
}
