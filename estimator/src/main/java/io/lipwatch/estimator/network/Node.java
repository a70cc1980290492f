package io.lipwatch.estimator.network;

import io.lipwatch.estimator.linalg.LinearOperator;

/**
 * One node of an {@link ExtractedNetwork}: an {@link Op} applied to earlier nodes ({@code inputs} index the node list;
 * -1 is the network input). {@code name} is the DL4J layer or vertex it comes from (suffixed for its activation).
 */
public record Node(String name, String type, int[] inputs, Op op, int outDim) {

  public LinearOperator linear() {
    return op instanceof Op.Affine a ? a.linear() : null;
  }
}
