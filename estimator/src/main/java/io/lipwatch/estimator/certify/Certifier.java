package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Certifies probe samples at each radius by the three methods: global (√2·L), pairwise ({@link PairwiseBounds}) and
 * local ({@link LocalCertifier} on dense chains, {@link GraphLocalCertifier} on CNNs and DAGs). Budgeted: the pairwise bounds' ECLipsE-Fast and the local certificates stop at the
 * deadline, and a sample the local certificate did not reach keeps its pairwise result (a global constant is a valid
 * bound on any ball): never a guess, only a weaker certificate, with a warning.
 */
public final class Certifier {
  /** Share of the remaining time the pairwise ECLipsE-Fast bounds may take; the rest is for local certificates. */
  static final double PAIRWISE_SHARE = 0.25;
  /** Largest one-off cost (multiply-adds of the hidden layers' W_kW_kᵀ) the local certificates take on. */
  static final double MAX_SETUP_MACS = 1e9;
  /** Relative allowance on the margin for networks without a {@link DenseChain} (no per-layer rounding bound there). */
  static final double PLAIN_ALLOWANCE = 1e-9;

  private Certifier() {}

  /**
   * @param inputs   probe inputs (flat, network input units)
   * @param labels   their labels
   * @param correct  whether the model's prediction equals the label (as the probe run found it); null: from the network
   * @param eps      L2 radii
   * @param global   the best sound upper bound of the logit map, or null
   * @param deadline System.nanoTime() at which to stop (0: none)
   */
  public static CertifiedSets run(ExtractedNetwork net, double[][] inputs, int[] labels, boolean[] correct, List<Double> eps,
      Double global, long deadline) {
    List<String> warnings = new ArrayList<>();
    int n = inputs.length;
    int k = net.outputDim();
    long t0 = System.nanoTime();
    long pairDeadline = deadline == 0 ? 0 : t0 + (long) ((deadline - t0) * PAIRWISE_SHARE);
    PairwiseBounds pw = PairwiseBounds.compute(net, global, pairDeadline);
    double pairSecs = (System.nanoTime() - t0) / 1e9;
    double sqrt2L = PairwiseBounds.globalForm(2, global)[0][1];

    DenseChain chain = DenseChain.of(net).orElse(null);
    LocalCertifier local = null;
    GraphLocalCertifier graph = null;
    if (chain == null) {
      // CNNs (max pooling, large convolutions) and DAGs: interval and backward enclosures op by op
      String why = GraphLocalCertifier.inapplicable(net);
      if (why != null) {
        warnings.add("local certificates: " + why + ": local = pairwise");
      } else {
        graph = GraphLocalCertifier.of(net, deadline);
      }
    } else if (!LocalCertifier.applies(chain)) {
      warnings.add("local certificates need monotone activations (slopes ≥ 0): local = pairwise");
    } else if (chain.layers() > 1) {
      // wide MLPs skip the per-layer Gram matrices (their one-off cost) and keep the row-wise enclosures
      local = new LocalCertifier(chain, LocalCertifier.setupMacs(chain) <= MAX_SETUP_MACS);
    }

    List<Double> radii = List.copyOf(eps);
    Integer[] order = new Integer[radii.size()];
    for (int e = 0; e < order.length; e++) {
      order[e] = e;
    }
    Arrays.sort(order, (a, b) -> Double.compare(radii.get(a), radii.get(b)));
    boolean[][] g = new boolean[radii.size()][n];
    boolean[][] p = new boolean[radii.size()][n];
    boolean[][] l = new boolean[radii.size()][n];
    long tl = System.nanoTime();
    int reached = 0;
    boolean stopped = false;
    for (int i = 0; i < n; i++) {
      int y = labels[i];
      LocalCertifier.Point pt = chain != null ? pointOf(chain, local, inputs[i]) : null;
      double[] z = pt != null ? pt.z()[pt.z().length - 1] : net.output(inputs[i]);
      GraphLocalCertifier.Enclosure at = graph != null && !stopped ? graph.point(inputs[i]) : null;
      boolean ok = correct != null ? correct[i] && argmax(z) == y : argmax(z) == y;
      if (!stopped && deadline != 0 && System.nanoTime() > deadline) {
        stopped = true;
        warnings.add(String.format(Locale.ROOT, "local certificates stopped by the time budget after %d of %d samples: "
            + "the rest keep their pairwise result", reached, n));
      }
      boolean doLocal = (local != null || at != null) && !stopped;
      if (doLocal) {
        reached++;
      }
      boolean failedLocal = false;
      for (int oe : order) {
        double r = radii.get(oe);
        if (!ok) {
          continue;
        }
        g[oe][i] = globalMargin(z, y) > Math.nextUp(sqrt2L * r) + PLAIN_ALLOWANCE * (1 + maxAbs(z));
        boolean pair = true;
        for (int j = 0; j < k && pair; j++) {
          if (j != y) {
            pair = clears(pt, z, y, j, pw.lip()[y][j], r);
          }
        }
        // each method also keeps what the weaker one proved (both are proofs): local ⊇ pairwise ⊇ global
        pair |= g[oe][i];
        p[oe][i] = pair;
        if (pair || !doLocal || failedLocal) {
          l[oe][i] = pair;
          continue;
        }
        boolean loc = local != null ? localChain(local, pt, z, y, r, pw) : localGraph(graph, at, inputs[i], z, y, r, pw);
        l[oe][i] = loc;
        // a sample not certified at ε is left uncertified at larger radii (sound: no certificate is claimed)
        failedLocal = !loc;
      }
    }
    double localSecs = (System.nanoTime() - tl) / 1e9;
    List<CertifiedSets.PerEps> per = new ArrayList<>();
    for (int e = 0; e < radii.size(); e++) {
      per.add(new CertifiedSets.PerEps(radii.get(e), g[e], p[e], l[e]));
    }
    return new CertifiedSets(per, pw, warnings, local == null && graph == null ? 0 : reached, pairSecs, localSecs);
  }

  private static boolean localChain(LocalCertifier local, LocalCertifier.Point pt, double[] z, int y, double r,
      PairwiseBounds pw) {
    LocalCertifier.Ball ball = local.ball(pt, r);
    for (int j : byMargin(z, y)) {
      if (!clears(pt, z, y, j, pw.lip()[y][j], r)
          && !LocalCertifier.clears(pt, y, j, local.marginLipschitz(ball, y, j, pw.lip()[y][j]), r)) {
        return false;
      }
    }
    return true;
  }

  private static boolean localGraph(GraphLocalCertifier graph, GraphLocalCertifier.Enclosure at, double[] x, double[] z,
      int y, double r, PairwiseBounds pw) {
    GraphLocalCertifier.Enclosure ball = graph.ball(at, x, r);
    for (int j : byMargin(z, y)) {
      if (!clears(null, z, y, j, pw.lip()[y][j], r) && !graph.certifies(at, ball, y, j, pw.lip()[y][j])) {
        return false;
      }
    }
    return true;
  }

  private static LocalCertifier.Point pointOf(DenseChain chain, LocalCertifier local, double[] x) {
    if (local != null) {
      return local.point(x);
    }
    double[][] z = chain.preActivations(x);
    return new LocalCertifier.Point(z, null);
  }

  /** z_y − z_j > L·ε: with the point's error bound when there is one, else the plain allowance. */
  private static boolean clears(LocalCertifier.Point pt, double[] z, int y, int j, double lip, double r) {
    if (!Double.isFinite(lip)) {
      return false;
    }
    if (pt != null && pt.err() != null) {
      return LocalCertifier.clears(pt, y, j, lip, r);
    }
    return z[y] - z[j] > Math.nextUp(lip * r) + PLAIN_ALLOWANCE * (1 + Math.abs(z[y]) + Math.abs(z[j]));
  }

  /** The other classes, smallest margin first (the likeliest to fail, so a failing sample stops early). */
  private static List<Integer> byMargin(double[] z, int y) {
    List<Integer> js = new ArrayList<>();
    for (int j = 0; j < z.length; j++) {
      if (j != y) {
        js.add(j);
      }
    }
    js.sort((a, b) -> Double.compare(z[b], z[a]));
    return js;
  }

  static double globalMargin(double[] z, int y) {
    double other = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < z.length; j++) {
      if (j != y) {
        other = Math.max(other, z[j]);
      }
    }
    return z[y] - other;
  }

  private static double maxAbs(double[] z) {
    double m = 0;
    for (double v : z) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  static int argmax(double[] z) {
    int m = 0;
    for (int i = 1; i < z.length; i++) {
      if (z[i] > z[m]) {
        m = i;
      }
    }
    return m;
  }
}
