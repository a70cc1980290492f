package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.ConvSpectral;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.DiagonalOperator;
import io.lipwatch.estimator.linalg.OperatorNorms;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.estimate.UpperBound;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * AutoLip (Scaman &amp; Virmaux 2018) on the operator DAG: L(node) = lip(op)·L(input) for a one-input node,
 * Σ|c_i|·L_i for a sum, √(Σ L_i²) for a concatenation, L(input) = 1. Each rule is a Lipschitz bound of the map from
 * the network input to that node given bounds of its inputs, so with sound per-operator norms the result is sound.
 *
 * <p>{@link #sound} uses {@link OperatorNorms#sound} (exact σ_max for dense layers, by Gram + Lanczos, proven; for
 * convolutions the min of the FFT/Gram bound, the Hölder bound and an explicit σ_max when small).
 * {@link #powerEstimate} uses power iteration, which
 * converges from below: it is labelled {@code sound:false}.
 */
public final class AutoLip {
  public static final String METHOD = "autolip";
  public static final String POWER_METHOD = "autolip-power";
  public static final String LIPBOUND_METHOD = "lipbound";
  public static final String GRAM_METHOD = "gram";
  /** LipBound grid size S. */
  public static final int LIPBOUND_GRID = 128;

  private AutoLip() {}

  /** The Lipschitz bound of the output given a per-linear-node norm; every sum and product is rounded upward. */
  public static double propagate(ExtractedNetwork net, Function<Node, Double> linearNorm) {
    List<Node> nodes = net.nodes();
    double[] l = new double[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      int[] in = n.inputs();
      Op op = n.op();
      if (op instanceof Op.Sum s) {
        double t = 0;
        for (int j = 0; j < in.length; j++) {
          t = Math.nextUp(t + Math.nextUp(Math.abs(s.coeffs()[j]) * at(l, in[j])));
        }
        l[i] = t;
      } else if (op instanceof Op.Concat) {
        double t = 0;
        for (int j : in) {
          t = Math.nextUp(t + Math.nextUp(at(l, j) * at(l, j)));
        }
        l[i] = Math.nextUp(Math.sqrt(t));
      } else {
        // rounded upward: a product of proven per-layer bounds stays a proven bound
        l[i] = Math.nextUp(local(n, linearNorm) * at(l, in[0]));
      }
    }
    return l[l.length - 1];
  }

  /** Lipschitz constant of one single-input node's own map. */
  static double local(Node n, Function<Node, Double> linearNorm) {
    Op op = n.op();
    if (op instanceof Op.Affine) {
      return linearNorm.apply(n);
    }
    if (op instanceof Op.Activation a) {
      return a.spec().lipschitz();
    }
    if (op instanceof Op.MaxPool p) {
      return p.lipschitz();
    }
    if (op instanceof Op.Softmax) {
      return 1.0; // softmax is 1-Lipschitz in L2 (its Jacobian diag(p) − ppᵀ has norm ≤ max p ≤ 1)
    }
    throw new IllegalStateException("no local constant for " + op);
  }

  private static double at(double[] l, int j) {
    return j < 0 ? 1.0 : l[j];
  }

  public static UpperBound sound(ExtractedNetwork net) {
    return sound(net, 0);
  }

  /** Sound AutoLip; once the deadline passes the remaining layers use the cheap Hölder bound (still sound). */
  public static UpperBound sound(ExtractedNetwork net, long deadline) {
    long t0 = System.nanoTime();
    Map<String, String> how = new LinkedHashMap<>();
    List<String> cheap = new ArrayList<>();
    double l = propagate(net, n -> {
      OperatorNorms.Norm nm;
      if (deadline != 0 && System.nanoTime() > deadline) {
        nm = OperatorNorms.cheap(n.linear());
        cheap.add(n.name());
      } else {
        nm = OperatorNorms.sound(n.linear());
      }
      how.merge(nm.how(), n.name(), (a, b) -> a + "," + b);
      return nm.value();
    });
    String note = "per layer: " + how;
    if (!cheap.isEmpty()) {
      note += "; budget exhausted, Hölder bound for " + cheap;
    }
    return new UpperBound(METHOD, l, true, seconds(t0), null, note);
  }

  /** LipBound for convolutions (with the grid correction), sound norms elsewhere; null when there is no convolution. */
  public static UpperBound lipBound(ExtractedNetwork net, long deadline) {
    if (net.linearNodes().stream().noneMatch(n -> n.linear() instanceof Conv2dOperator)) {
      return null;
    }
    long t0 = System.nanoTime();
    boolean[] late = {false};
    List<String> per = new ArrayList<>();
    double l = propagate(net, n -> {
      if (n.linear() instanceof Conv2dOperator c && !(deadline != 0 && System.nanoTime() > deadline)) {
        double v = ConvSpectral.lipBound(c, LIPBOUND_GRID);
        per.add(n.name() + "=" + String.format("%.4g", v));
        return v;
      }
      if (deadline != 0 && System.nanoTime() > deadline) {
        late[0] = true;
        return OperatorNorms.cheap(n.linear()).value();
      }
      return n.linear() instanceof DenseMatrix d ? SpectralNorm.exactUpper(d) : OperatorNorms.cheap(n.linear()).value();
    });
    String note = "LipBound S=" + LIPBOUND_GRID + " with grid correction per conv " + per + ", exact SVD for dense"
        + (late[0] ? "; budget exhausted, Hölder bound for the rest" : "");
    return new UpperBound(LIPBOUND_METHOD, l, true, seconds(t0), null, note);
  }

  /** Gram iteration for dense (explicit) and convolutions (Fourier blocks on the padded torus); sound. */
  public static UpperBound gram(ExtractedNetwork net, long deadline) {
    long t0 = System.nanoTime();
    boolean[] late = {false};
    double l = propagate(net, n -> {
      if (deadline != 0 && System.nanoTime() > deadline) {
        late[0] = true;
        return OperatorNorms.cheap(n.linear()).value();
      }
      if (n.linear() instanceof DenseMatrix d) {
        return SpectralNorm.gramUpper(d, OperatorNorms.GRAM_STEPS, deadline);
      }
      if (n.linear() instanceof Conv2dOperator c) {
        return ConvSpectral.paddedGramUpper(c, OperatorNorms.GRAM_STEPS);
      }
      return OperatorNorms.cheap(n.linear()).value();
    });
    return new UpperBound(GRAM_METHOD, l, true, seconds(t0), OperatorNorms.GRAM_STEPS,
        "Gram iteration, " + OperatorNorms.GRAM_STEPS + " steps per layer" + (late[0] ? "; budget exhausted, Hölder bound for the rest" : ""));
  }

  /** Power-iteration AutoLip with warm start; returns the estimate and the singular vectors to keep. */
  public static Result powerEstimate(ExtractedNetwork net, EngineConfig cfg, WarmStart warm) {
    return powerEstimate(net, cfg, warm, 0);
  }

  public static Result powerEstimate(ExtractedNetwork net, EngineConfig cfg, WarmStart warm, long deadline) {
    long t0 = System.nanoTime();
    int[] iterations = {0};
    boolean[] converged = {true};
    Map<String, double[]> vectors = new HashMap<>();
    double l = propagate(net, n -> {
      if (n.linear() instanceof DiagonalOperator d) {
        return d.norm();
      }
      SpectralNorm.PowerResult r = SpectralNorm.power(n.linear(), warm.singularVectors().get(n.name()),
          cfg.powerIterations(), cfg.tolerance(), cfg.seed(), deadline);
      iterations[0] += r.iterations();
      converged[0] &= r.converged();
      vectors.put(n.name(), r.vector());
      return r.sigma();
    });
    String note = converged[0] ? "power iteration, converged (from below: an estimate)"
        : "power iteration, not converged" + (deadline != 0 && System.nanoTime() > deadline ? " (budget exhausted)" : "");
    return new Result(new UpperBound(POWER_METHOD, l, false, seconds(t0), iterations[0], note, converged[0]), vectors,
        iterations[0]);
  }

  public record Result(UpperBound bound, Map<String, double[]> vectors, int iterations) {}

  static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** {@code autolip}: the product of sound per-layer norms. */
  static final class Sound implements BoundMethod {
    public String name() { return METHOD; }
    public Kind kind() { return Kind.SOUND_UPPER; }
    public MethodOutcome compute(MethodContext ctx) { return MethodOutcome.of(sound(ctx.net(), ctx.deadline())); }
  }

  /** {@code autolip-power}: power iteration per layer, warm-started; an estimate (converges from below). */
  static final class Power implements BoundMethod {
    public String name() { return POWER_METHOD; }
    public Kind kind() { return Kind.ESTIMATE; }
    public MethodOutcome compute(MethodContext ctx) {
      Result r = powerEstimate(ctx.net(), ctx.config(), ctx.warm(), ctx.deadline());
      return new MethodOutcome(r.bound(), null, r.vectors(), null, null);
    }
  }

  /** {@code lipbound}: LipBound for convolutions, sound norms elsewhere. */
  static final class LipBoundMethod implements BoundMethod {
    public String name() { return LIPBOUND_METHOD; }
    public Kind kind() { return Kind.SOUND_UPPER; }
    public String inapplicable(ExtractedNetwork net) {
      return net.linearNodes().stream().anyMatch(n -> n.linear() instanceof Conv2dOperator) ? null : "lipbound applies to networks with convolutions only";
    }
    public MethodOutcome compute(MethodContext ctx) { return MethodOutcome.of(lipBound(ctx.net(), ctx.deadline())); }
  }

  /** {@code gram}: Gram iteration per layer. */
  static final class Gram implements BoundMethod {
    public String name() { return GRAM_METHOD; }
    public Kind kind() { return Kind.SOUND_UPPER; }
    public MethodOutcome compute(MethodContext ctx) { return MethodOutcome.of(gram(ctx.net(), ctx.deadline())); }
  }
}
