package io.lipwatch.estimator.network;

import io.lipwatch.estimator.linalg.DenseMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * A binary classifier with one output logit z (sigmoid output: class 1 when z > 0) seen as two logits (0, z): the
 * decision is the same (argmax is class 1 exactly when z > 0), the margin is |z|, and the map x ↦ (0, z(x)) has exactly
 * the Lipschitz constant of z, so every bound, probe and certificate of a multi-class network applies unchanged. The
 * appended node is the 2×1 matrix [0; 1], whose norm is 1.
 */
public final class BinaryLogits {
  private BinaryLogits() {}

  /** {@code net} with the (0, z) node appended when it has one output; otherwise {@code net} itself. */
  public static ExtractedNetwork asTwoClass(ExtractedNetwork net) {
    if (net.outputDim() != 1) {
      return net;
    }
    List<Node> nodes = new ArrayList<>(net.nodes());
    int last = nodes.size() - 1;
    nodes.add(new Node("binary-logits", "BinaryLogits", new int[] {last},
        new Op.Affine(new DenseMatrix(2, 1, new double[] {0.0, 1.0}), null), 2));
    return new ExtractedNetwork(net.kind(), List.copyOf(nodes), net.inputShape(), net.inputDim(), 2, net.layers(),
        net.parameters());
  }
}
