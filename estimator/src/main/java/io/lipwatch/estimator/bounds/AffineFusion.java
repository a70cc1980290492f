package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.DiagonalOperator;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.linalg.SparseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.estimate.UpperBound;
import java.util.ArrayList;
import java.util.List;

/**
 * Composes consecutive affine nodes exactly (dense after dense with an identity activation between, inference batch
 * norm before or after a dense layer or a convolution, a flattened convolution into a dense layer) before the upper
 * bound methods see the network: ‖AB‖ ≤ ‖A‖‖B‖, and on a linear chain every method becomes exact.
 *
 * <p>The product is computed in floating point, so the fused network is not exactly the stored one. For each fusion
 * f = g∘(C·)∘h with C̃ = fl(AB), |C̃ − AB| ≤ γ_k|A||B| entrywise, hence ‖C̃ − AB‖₂ ≤ γ_k√(‖|A||B|‖₁‖|A||B|‖∞) =: e,
 * and L(f) ≤ L(f̃) + e·L(g)·L(h) with L(g), L(h) the Hölder products of the other nodes. The sum of these terms is
 * {@link Fused#allowance}, added to every sound upper bound (typically ~1e-13 of it). Lower bounds keep evaluating the
 * stored network: their pairs must be real.
 */
public final class AffineFusion {
  /** Largest fused dense matrix (entries); beyond it the layers stay separate. */
  static final long MAX_ENTRIES = 4_000_000L;
  private static final double U = Math.ulp(1.0) / 2;

  private AffineFusion() {}

  /** The fused network and what to add to sound upper bounds computed on it. */
  public record Fused(ExtractedNetwork net, double allowance, int fused) {
    /** A sound bound of the fused network as a sound bound of the stored one; other values unchanged. */
    public UpperBound inflate(UpperBound u) {
      if (u == null || fused == 0 || !u.sound()) {
        return u;
      }
      double v = Math.nextUp(u.value() + allowance);
      String note = (u.note() == null ? "" : u.note() + "; ") + fused + " affine pair(s) composed exactly, + " + String.format("%.1e", allowance)
          + " for their rounding";
      return new UpperBound(u.method(), v, true, u.seconds(), u.iterations(), note, u.converged());
    }
  }

  public static Fused fuse(ExtractedNetwork net) {
    List<Node> nodes = net.nodes();
    int m = nodes.size();
    int[] consumers = new int[m];
    for (Node n : nodes) {
      for (int j : n.inputs()) {
        if (j >= 0) {
          consumers[j]++;
        }
      }
    }
    List<Node> out = new ArrayList<>();
    int[] map = new int[m];
    List<double[]> errors = new ArrayList<>(); // per fusion: {e, index of the fused node in out}
    for (int i = 0; i < m; i++) {
      Node n = nodes.get(i);
      int[] in = n.inputs();
      if (n.op() instanceof Op.Affine outer && in.length == 1 && in[0] >= 0 && consumers[in[0]] == 1) {
        Node prev = out.get(map[in[0]]);
        if (prev.op() instanceof Op.Affine inner) {
          Composed c = compose(outer, inner);
          if (c != null) {
            Node merged = new Node(prev.name() + "+" + n.name(), prev.type() + "+" + n.type(), prev.inputs(), c.op(), n.outDim());
            out.set(map[in[0]], merged);
            map[i] = map[in[0]];
            errors.add(new double[] {c.error(), map[i]});
            continue;
          }
        }
      }
      int[] remapped = new int[in.length];
      for (int k = 0; k < in.length; k++) {
        remapped[k] = in[k] < 0 ? in[k] : map[in[k]];
      }
      out.add(new Node(n.name(), n.type(), remapped, n.op(), n.outDim()));
      map[i] = out.size() - 1;
    }
    if (errors.isEmpty()) {
      return new Fused(net, 0, 0);
    }
    ExtractedNetwork f = new ExtractedNetwork(net.kind(), out, net.inputShape(), net.inputDim(), net.outputDim(), net.layers(),
        net.parameters());
    double allowance = 0;
    for (double[] e : errors) {
      int at = (int) e[1];
      allowance += e[0] * holderAround(f, at, true) * holderAround(f, at, false);
    }
    return new Fused(f, Math.nextUp(allowance * (1 + 16 * U * out.size())), errors.size());
  }

  /**
   * A Lipschitz bound (Hölder norms: sound and cheap) of the map from the input to node {@code at}'s input
   * ({@code before}), or of the map from node {@code at}'s output to the logits (the input then counts 0: a later
   * node reading the network input directly adds a term that does not depend on node {@code at}).
   */
  private static double holderAround(ExtractedNetwork f, int at, boolean before) {
    List<Node> nodes = f.nodes();
    double[] l = new double[nodes.size()];
    double input = before ? 1.0 : 0.0;
    int end = before ? at : nodes.size();
    for (int i = before ? 0 : at; i < end; i++) {
      l[i] = !before && i == at ? 1.0 : step(nodes.get(i), l, input);
    }
    if (before) {
      int j = nodes.get(at).inputs()[0];
      return j < 0 ? 1.0 : l[j];
    }
    return l[nodes.size() - 1];
  }

  /** AutoLip's rule for one node with Hölder norms, rounded up. */
  private static double step(Node n, double[] l, double input) {
    int[] in = n.inputs();
    if (n.op() instanceof Op.Sum s) {
      double t = 0;
      for (int j = 0; j < in.length; j++) {
        t += Math.abs(s.coeffs()[j]) * at(l, in[j], input);
      }
      return t * (1 + 4 * U * in.length);
    }
    if (n.op() instanceof Op.Concat) {
      double t = 0;
      for (int j : in) {
        t += at(l, j, input) * at(l, j, input);
      }
      return Math.sqrt(t) * (1 + 4 * U * in.length);
    }
    double local = n.op() instanceof Op.Affine ? n.linear().holderBound() : AutoLip.local(n, x -> 0.0);
    return Math.nextUp(local * at(l, in[0], input));
  }

  private static double at(double[] l, int j, double input) {
    return j < 0 ? input : l[j];
  }


  private record Composed(Op.Affine op, double error) {}

  /** outer∘inner as one affine map with the bound e of its rounding (null when it would not be a smaller operator). */
  static Composed compose(Op.Affine outer, Op.Affine inner) {
    LinearOperator a = outer.linear();
    LinearOperator b = inner.linear();
    double[] bias = null;
    if (inner.bias() != null) {
      bias = new double[a.outDim()];
      a.apply(inner.bias(), bias);
    }
    if (outer.bias() != null) {
      if (bias == null) {
        bias = outer.bias().clone();
      } else {
        for (int k = 0; k < bias.length; k++) {
          bias[k] += outer.bias()[k];
        }
      }
    }
    LinearOperator c;
    int terms;
    if (a instanceof DiagonalOperator da && b instanceof DiagonalOperator db) {
      double[] d = new double[da.diag().length];
      for (int k = 0; k < d.length; k++) {
        d[k] = da.diag()[k] * db.diag()[k];
      }
      c = new DiagonalOperator(d);
      terms = 1;
    } else if (a instanceof DiagonalOperator da && b instanceof DenseMatrix db) {
      c = scaleDense(db, da.diag(), true); // batch norm after a dense layer: rows scaled
      terms = 1;
    } else if (a instanceof DenseMatrix dm && b instanceof DiagonalOperator db) {
      c = scaleDense(dm, db.diag(), false); // batch norm before it: columns scaled
      terms = 1;
    } else if (a instanceof DiagonalOperator da && b instanceof Conv2dOperator cb && perChannel(da.diag(), cb.cOut(), cb.outH() * cb.outW())) {
      c = scaleConv(cb, da.diag(), cb.outH() * cb.outW(), true);
      terms = 1;
    } else if (a instanceof Conv2dOperator ca && b instanceof DiagonalOperator db && perChannel(db.diag(), ca.cIn(), ca.inH() * ca.inW())) {
      c = scaleConv(ca, db.diag(), ca.inH() * ca.inW(), false);
      terms = 1;
    } else if ((long) a.outDim() * b.inDim() <= MAX_ENTRIES
        && (a instanceof DenseMatrix || b instanceof DenseMatrix || a instanceof DiagonalOperator || b instanceof DiagonalOperator)
        && (long) a.outDim() * b.inDim() <= (long) a.outDim() * a.inDim() + (long) b.outDim() * b.inDim()) {
      c = product(a, b);
      terms = a instanceof DiagonalOperator || b instanceof DiagonalOperator ? 1 : a.inDim();
    } else {
      return null;
    }
    // the bias A·b + a is evaluated, not bounded: it shifts f and does not change any Lipschitz constant
    return new Composed(new Op.Affine(c, bias), productError(a, b, terms));
  }

  /** diag(d)·M (rows) or M·diag(d) (columns): one rounding per entry. */
  private static DenseMatrix scaleDense(DenseMatrix m, double[] d, boolean rows) {
    double[] v = m.data().clone();
    for (int r = 0; r < m.rows(); r++) {
      for (int k = 0; k < m.cols(); k++) {
        v[r * m.cols() + k] *= rows ? d[r] : d[k];
      }
    }
    return new DenseMatrix(m.rows(), m.cols(), v);
  }

  /** True when d is constant over each channel's plane (batch norm of a feature map). */
  private static boolean perChannel(double[] d, int channels, int plane) {
    if (d.length != channels * plane) {
      return false;
    }
    for (int ch = 0; ch < channels; ch++) {
      for (int p = 1; p < plane; p++) {
        if (d[ch * plane + p] != d[ch * plane]) {
          return false;
        }
      }
    }
    return true;
  }

  /** The convolution with its output channels (batch norm after it) or input channels (before it) scaled. */
  private static Conv2dOperator scaleConv(Conv2dOperator c, double[] d, int plane, boolean output) {
    double[] k = c.kernel().clone();
    int per = c.kH() * c.kW();
    for (int co = 0; co < c.cOut(); co++) {
      for (int ci = 0; ci < c.cIn(); ci++) {
        double s = output ? d[co * plane] : d[ci * plane];
        int base = (co * c.cIn() + ci) * per;
        for (int t = 0; t < per; t++) {
          k[base + t] *= s;
        }
      }
    }
    return new Conv2dOperator(c.cIn(), c.inH(), c.inW(), c.cOut(), c.outH(), c.outW(), c.kH(), c.kW(), c.sH(), c.sW(), c.dH(),
        c.dW(), c.padTop(), c.padLeft(), k);
  }

  /** fl(AB) as a dense matrix: rows through Bᵀ when A is dense (or diagonal), columns through A otherwise. */
  private static DenseMatrix product(LinearOperator a, LinearOperator b) {
    int rows = a.outDim();
    int cols = b.inDim();
    double[] c = new double[rows * cols];
    if (a instanceof DenseMatrix || a instanceof DiagonalOperator) {
      DenseMatrix ad = a instanceof DenseMatrix d ? d : null;
      double[] row = new double[a.inDim()];
      double[] out = new double[cols];
      for (int r = 0; r < rows; r++) {
        if (ad != null) {
          System.arraycopy(ad.data(), r * ad.cols(), row, 0, row.length);
        } else {
          java.util.Arrays.fill(row, 0);
          row[r] = ((DiagonalOperator) a).diag()[r];
        }
        b.applyTranspose(row, out);
        System.arraycopy(out, 0, c, r * cols, cols);
      }
    } else {
      double[] col = new double[b.outDim()];
      double[] out = new double[rows];
      for (int j = 0; j < cols; j++) {
        if (b instanceof DenseMatrix bd) {
          for (int k = 0; k < col.length; k++) {
            col[k] = bd.data()[k * bd.cols() + j];
          }
        } else {
          java.util.Arrays.fill(col, 0);
          col[j] = ((DiagonalOperator) b).diag()[j];
        }
        a.apply(col, out);
        for (int r = 0; r < rows; r++) {
          c[r * cols + j] = out[r];
        }
      }
    }
    return new DenseMatrix(rows, cols, c);
  }

  /** γ_k·√(‖|A||B|‖₁‖|A||B|‖∞), from |A|(|B|𝟙) and (𝟙ᵀ|A|)|B| (row and column sums of |A||B|), rounded up. */
  private static double productError(LinearOperator a, LinearOperator b, int terms) {
    double[] rowB = b.absRowSums();       // |B|𝟙
    double[] rows = absApply(a, rowB);     // |A|(|B|𝟙)
    double[] colA = a.absColSums();       // 𝟙ᵀ|A|
    double[] cols = absApplyTranspose(b, colA);
    double r = 0;
    for (double v : rows) {
      r = Math.max(r, v);
    }
    double c = 0;
    for (double v : cols) {
      c = Math.max(c, v);
    }
    double k = terms * U;
    double gamma = (k + 2 * U) / (1 - k - 2 * U); // the products' own rounding and the sums'
    long n = Math.max(a.outDim(), b.inDim()) + (long) a.inDim();
    return Math.nextUp(gamma * Math.sqrt(r * c) * (1 + 8 * U * n));
  }

  /** |A|·x for x ≥ 0, through the operator's absolute version (dense, diagonal or convolution). */
  private static double[] absApply(LinearOperator a, double[] x) {
    double[] y = new double[a.outDim()];
    abs(a).apply(x, y);
    return y;
  }

  private static double[] absApplyTranspose(LinearOperator b, double[] y) {
    double[] x = new double[b.inDim()];
    abs(b).applyTranspose(y, x);
    return x;
  }

  private static LinearOperator abs(LinearOperator a) {
    if (a instanceof DenseMatrix d) {
      double[] v = d.data().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = Math.abs(v[i]);
      }
      return new DenseMatrix(d.rows(), d.cols(), v);
    }
    if (a instanceof DiagonalOperator d) {
      double[] v = d.diag().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = Math.abs(v[i]);
      }
      return new DiagonalOperator(v);
    }
    if (a instanceof Conv2dOperator c) {
      return c.abs();
    }
    if (a instanceof SparseMatrix s) {
      double[] v = s.values().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = Math.abs(v[i]);
      }
      return new SparseMatrix(s.rows(), s.cols(), s.rowStart(), s.colIndex(), v);
    }
    throw new IllegalArgumentException("no absolute version of " + a.getClass().getSimpleName());
  }
}
