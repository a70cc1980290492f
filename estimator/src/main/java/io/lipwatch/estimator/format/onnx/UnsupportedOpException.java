package io.lipwatch.estimator.format.onnx;

import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;

/** An ONNX operator, attribute or pattern the engine cannot represent exactly; names the op type and the node. */
public final class UnsupportedOpException extends SnapshotRejectedException {
  public UnsupportedOpException(String opType, String node, String why) {
    super(RejectReason.UNSUPPORTED_OP, "op " + opType + " (node '" + node + "') is not supported: " + why);
  }
}
