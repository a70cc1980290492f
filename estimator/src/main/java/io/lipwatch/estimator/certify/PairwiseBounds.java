package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.bounds.AutoLip;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import io.lipwatch.estimator.linalg.OperatorNorms;
import io.lipwatch.estimator.bounds.eclipse.EclipseFastBound;
import java.util.ArrayList;
import java.util.List;

/**
 * Lipschitz bounds of every logit margin z_y − z_j, one per class pair (symmetric). The margin is the network with its
 * last affine map replaced by the row difference (w_y − w_j)ᵀ, so for h the last hidden output
 * |m(x) − m(x′)| ≤ ‖w_y − w_j‖₂·‖h(x) − h(x′)‖₂ ≤ ‖w_y − w_j‖₂·L(h)·‖x − x′‖₂ (Cauchy–Schwarz), with L(h) AutoLip's product of
 * the earlier layers' proven norms. On MLPs with slopes in [0, β], ECLipsE-Fast bounds the margin network itself (the
 * one-row last layer lets its semidefinite certificate couple the row with the hidden layers), and on small ones LipSDP-Neuron
 * too ({@link PairwiseLipSdp}, verified like the global LipSDP certificate). Each pair keeps the least
 * of these and of √2·L, the global bound's own pairwise form (|Δz_y − Δz_j| ≤ √2‖Δz‖₂), so a pairwise certificate is
 * never weaker than the global one. On a linear classifier z = Wx + b the bound is ‖w_y − w_j‖₂, exact.
 *
 * @param lip     lip[y][j], +∞ where nothing applies; 0 on the diagonal
 * @param prefix  the proven Lipschitz bound of the last layer's input (1 for a linear classifier), NaN when the last node
 *                is not an affine map of one input
 * @param note    how the values were obtained
 * @param seconds time taken
 */
public record PairwiseBounds(double[][] lip, double prefix, String note, double seconds) {
  private static final double U = Math.ulp(1.0) / 2;

  public int classes() {
    return lip.length;
  }

  /** Only the global form: √2·L for every pair (or +∞ without a bound). */
  static double[][] globalForm(int k, Double global) {
    double v = global == null || !(global > 0) || !Double.isFinite(global) ? Double.POSITIVE_INFINITY
        : Math.nextUp(Math.nextUp(Math.sqrt(2.0)) * global);
    double[][] l = new double[k][k];
    for (int y = 0; y < k; y++) {
      for (int j = 0; j < k; j++) {
        l[y][j] = y == j ? 0 : v;
      }
    }
    return l;
  }

  /**
   * @param global   the best sound upper bound of the logit map (null: none)
   * @param deadline System.nanoTime() after which ECLipsE-Fast stops (pairs not reached keep the AutoLip form); 0: none
   */
  public static PairwiseBounds compute(ExtractedNetwork net, Double global, long deadline) {
    long t0 = System.nanoTime();
    int k = net.outputDim();
    double[][] l = globalForm(k, global);
    List<String> notes = new ArrayList<>();
    List<Node> nodes = net.nodes();
    int m = nodes.size();
    Node last = nodes.get(m - 1);
    DenseMatrix wl = null;
    double prefix = Double.NaN;
    if (last.op() instanceof Op.Affine af && last.inputs().length == 1 && last.inputs()[0] == m - 2) {
      LinearOperator op = af.linear();
      wl = op instanceof DenseMatrix d ? d : (long) op.inDim() * op.outDim() <= DenseChain.MAX_UNROLLED ? op.toDense() : null;
    }
    if (wl != null) {
      prefix = m == 1 ? 1.0 : AutoLip.propagate(truncated(net), n -> (deadline != 0 && System.nanoTime() > deadline
          ? OperatorNorms.cheap(n.linear()) : OperatorNorms.sound(n.linear())).value());
      for (int y = 0; y < k; y++) {
        for (int j = y + 1; j < k; j++) {
          // fl(w_y − w_j) is within u·|w_y − w_j| of the exact difference: raise its norm by that
          double v = Math.nextUp(prefix * Math.nextUp(Rounding.normUp(difference(wl, y, j)) * (1 + 2 * U)));
          l[y][j] = l[j][y] = Math.min(l[y][j], v);
        }
      }
      notes.add(m == 1 ? "‖w_y − w_j‖₂ (linear classifier: exact)" : "AutoLip prefix " + fmt(prefix) + " × ‖w_y − w_j‖₂");
      eclipse(net, l, prefix, deadline, notes);
      DenseChain chain = DenseChain.of(net).orElse(null);
      String sdp = chain == null ? null : PairwiseLipSdp.tighten(chain, l, prefix, deadline);
      if (sdp != null) {
        notes.add(sdp);
      }
    } else {
      notes.add("last node is not a single-input affine map: √2·L only");
    }
    return new PairwiseBounds(l, prefix, String.join("; ", notes), (System.nanoTime() - t0) / 1e9);
  }

  /** ECLipsE-Fast on each margin network (last layer: the one row w_y − w_j), while the deadline allows. */
  private static void eclipse(ExtractedNetwork net, double[][] l, double prefix, long deadline, List<String> notes) {
    DenseChain chain = DenseChain.of(net).orElse(null);
    if (chain == null || chain.layers() < 2) {
      return;
    }
    int h = chain.activations().size();
    double[] lo = new double[h];
    double[] hi = new double[h];
    for (int i = 0; i < h; i++) {
      ActivationSpec a = chain.activations().get(i);
      if (!(a.slopeMin() >= 0 && a.slopeMax() > 0)) {
        return;
      }
      lo[i] = a.slopeMin();
      hi[i] = a.slopeMax();
    }
    int k = l.length;
    int total = k * (k - 1) / 2;
    int n = chain.last().cols();
    double[] rows = new double[total * n];
    int at = 0;
    for (int y = 0; y < k; y++) {
      for (int j = y + 1; j < k; j++, at++) {
        System.arraycopy(difference(chain.last(), y, j), 0, rows, at * n, n);
      }
    }
    // the pairs' margin networks share every layer but the last: one walk over the hidden layers for all of them
    EclipseFastBound.Result[] rs = EclipseFastBound.boundRows(chain.weights().subList(0, chain.layers() - 1),
        new DenseMatrix(total, n, rows), lo, hi, deadline);
    int better = 0;
    int cut = 0;
    at = 0;
    for (int y = 0; y < k; y++) {
      for (int j = y + 1; j < k; j++, at++) {
        EclipseFastBound.Result r = rs[at];
        if (!r.verified() && r.note().startsWith("budget exhausted")) {
          cut++;
        }
        if (r.verified() && Double.isFinite(prefix)) {
          // the certificate is for the rounded row fl(w_y − w_j); the exact row differs by ≤ u·|w_y − w_j|
          double[] d = java.util.Arrays.copyOfRange(rows, at * n, (at + 1) * n);
          double v = Math.nextUp(r.value() + Math.nextUp(2 * U * Rounding.normUp(d) * prefix));
          if (v < l[y][j]) {
            better++;
            l[y][j] = l[j][y] = v;
          }
        }
      }
    }
    if (cut > 0) {
      notes.add("eclipse-fast on " + (total - cut) + " of " + total + " pairs (budget)");
      return;
    }
    notes.add("eclipse-fast per pair (" + total + " pairs, tighter on " + better + ")");
  }

  /** w_y − w_j: rows y and j of the last layer. */
  static double[] difference(DenseMatrix w, int y, int j) {
    double[] d = new double[w.cols()];
    for (int c = 0; c < d.length; c++) {
      d[c] = w.get(y, c) - w.get(j, c);
    }
    return d;
  }

  /** The network without its last node: the map to the last layer's input. */
  private static ExtractedNetwork truncated(ExtractedNetwork net) {
    List<Node> nodes = net.nodes().subList(0, net.nodes().size() - 1);
    return new ExtractedNetwork(net.kind(), nodes, net.inputShape(), net.inputDim(), nodes.get(nodes.size() - 1).outDim(),
        net.layers(), net.parameters());
  }

  private static String fmt(double v) {
    return String.format(java.util.Locale.ROOT, "%.4g", v);
  }
}
