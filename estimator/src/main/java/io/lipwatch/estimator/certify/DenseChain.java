package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A network in the form the certificates work on: z = W_L φ_{L−1}(… φ_1(W_1 x + b_1) …) + b_L with explicit dense
 * weights. Two affine nodes in a row get an identity activation between them (exact); small non-dense linear maps
 * (convolutions, batch norm) enter as their unrolled matrix. Anything else (max pooling, sums, concatenations, a trailing
 * activation) is not a chain: the local certificate does not apply there.
 *
 * @param weights     W_1 … W_L
 * @param biases      b_1 … b_L (zeros where the network has none)
 * @param activations φ_1 … φ_{L−1}
 */
record DenseChain(List<DenseMatrix> weights, List<double[]> biases, List<ActivationSpec> activations) {
  /** Largest operator (entries) unrolled into a dense matrix. */
  static final long MAX_UNROLLED = 1L << 21;

  int layers() {
    return weights.size();
  }

  DenseMatrix last() {
    return weights.get(weights.size() - 1);
  }

  /** The chain form of {@code net}, or empty (with no reason: callers say what they skip). */
  static Optional<DenseChain> of(ExtractedNetwork net) {
    if (!net.isChain()) {
      return Optional.empty();
    }
    List<DenseMatrix> w = new ArrayList<>();
    List<double[]> b = new ArrayList<>();
    List<ActivationSpec> a = new ArrayList<>();
    boolean expectAffine = true;
    for (Node n : net.nodes()) {
      if (n.op() instanceof Op.Affine af) {
        if (!expectAffine) {
          a.add(ActivationSpec.IDENTITY); // affine after affine: an identity activation between them is exact
        }
        LinearOperator op = af.linear();
        DenseMatrix d;
        if (op instanceof DenseMatrix dm) {
          d = dm;
        } else if ((long) op.inDim() * op.outDim() <= MAX_UNROLLED) {
          d = op.toDense();
        } else {
          return Optional.empty();
        }
        w.add(d);
        b.add(af.bias() == null ? new double[d.rows()] : af.bias());
        expectAffine = false;
      } else if (n.op() instanceof Op.Activation act) {
        if (expectAffine || !act.spec().elementWise()) {
          return Optional.empty();
        }
        a.add(act.spec());
        expectAffine = true;
      } else {
        return Optional.empty();
      }
    }
    if (w.isEmpty() || expectAffine || a.size() != w.size() - 1) {
      return Optional.empty();
    }
    return Optional.of(new DenseChain(List.copyOf(w), List.copyOf(b), List.copyOf(a)));
  }

  /** Pre-activations z_1 … z_L at x (z_L: the logits), in double. */
  double[][] preActivations(double[] x) {
    double[][] z = new double[layers()][];
    double[] h = x;
    for (int k = 0; k < layers(); k++) {
      DenseMatrix wk = weights.get(k);
      double[] zk = new double[wk.rows()];
      wk.multiply(h, zk);
      double[] bk = biases.get(k);
      for (int i = 0; i < zk.length; i++) {
        zk[i] += bk[i];
      }
      z[k] = zk;
      if (k < layers() - 1) {
        ActivationSpec s = activations.get(k);
        h = new double[zk.length];
        for (int i = 0; i < zk.length; i++) {
          h[i] = s.apply(zk[i]);
        }
      }
    }
    return z;
  }
}
