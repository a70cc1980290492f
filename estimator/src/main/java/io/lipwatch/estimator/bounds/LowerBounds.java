package io.lipwatch.estimator.bounds;

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
      double[][] vals = net.forward(x);
      double[] v = new double[x.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = rnd.nextGaussian();
      }
      SpectralNorm.scale(v, 1 / SpectralNorm.norm(v));
      double sigma = 0;
      for (int it = 0; it < maxIter; it++) {
        iterations++;
        double[] u = net.jvp(vals, x, v);
        double s = SpectralNorm.norm(u);
        if (s == 0) {
          break;
        }
        double[] g = net.vjp(vals, x, u);
        double gn = SpectralNorm.norm(g);
        if (gn == 0) {
          break;
        }
        v = g;
        SpectralNorm.scale(v, 1 / gn);
        boolean done = Math.abs(s - sigma) <= 1e-7 * s;
        sigma = s;
        if (done) {
          break;
        }
      }
      double h = 1e-4 * Math.max(1, SpectralNorm.norm(x)) / Math.sqrt(x.length);
      double[] xp = x.clone();
      for (int i = 0; i < xp.length; i++) {
        xp[i] += h * v[i];
      }
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
      double[] x = p[0];
      double[] xp = p[1];
      double r = ratio(net, x, xp);
      double tau = 0.1;
      for (int s = 0; s < steps; s++) {
        if (deadline != 0 && System.nanoTime() > deadline) {
          late = true;
          break;
        }
        iterations++;
        double[][] vx = net.forward(x);
        double[][] vxp = net.forward(xp);
        double[] fx = vx[vx.length - 1];
        double[] fxp = vxp[vxp.length - 1];
        double[] df = new double[fx.length];
        for (int i = 0; i < df.length; i++) {
          df[i] = fx[i] - fxp[i];
        }
        double[] d = new double[x.length];
        for (int i = 0; i < d.length; i++) {
          d[i] = x[i] - xp[i];
        }
        double d2 = dot(d, d);
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
          ax[i] = 2 * gx[i] / d2 - 2 * f2 * d[i] / (d2 * d2);
          axp[i] = -2 * gxp[i] / d2 + 2 * f2 * d[i] / (d2 * d2);
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
      done.add(new Scored(x, xp, r));
      if (late) {
        break;
      }
    }
    double best = done.stream().mapToDouble(Scored::ratio).max().orElse(0);
    String note = start.size() + " pairs (" + seeds.size() + " seeded), up to " + steps + " ascent steps each"
        + (late ? "; budget exhausted" : "");
    return new Result(new LowerBound(CLIP, best, AutoLip.seconds(t0), iterations, note), top(done));
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
      Result g = gradientNorm(ctx.net(), ctx.inputs(), 50, ctx.config().seed(), ctx.deadline());
      return MethodOutcome.of(g.bound(), g.pairs());
    }
  }

  /** {@code clip-pairs}: CLIP's pair search, seeded with earlier pairs and the warm start. */
  static final class ClipPairs implements BoundMethod {
    public String name() { return CLIP; }
    public Kind kind() { return Kind.LOWER; }
    public MethodOutcome compute(MethodContext ctx) {
      Result p = clipPairs(ctx.net(), ctx.inputs(), ctx.seeds(), LipschitzEngine.CLIP_STEPS, ctx.config().seed() + 1, ctx.deadline());
      return MethodOutcome.of(p.bound(), p.pairs());
    }
  }
}
