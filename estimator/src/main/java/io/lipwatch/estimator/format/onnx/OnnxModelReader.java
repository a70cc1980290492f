package io.lipwatch.estimator.format.onnx;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.io.IOException;
import onnx.OnnxMl.ModelProto;
import org.nd4j.shade.protobuf.CodedInputStream;

/**
 * Reads untrusted ONNX bytes: the size is checked before parsing, the protobuf parser runs with a size limit (the
 * record itself) and a recursion limit, and the parsed graph is converted by {@link OnnxGraphConverter} (which checks
 * every tensor before allocating it). Any protobuf failure, including a stack overflow on nesting the limit did not
 * catch, is {@code bad-configuration}.
 */
public final class OnnxModelReader {
  /** Deepest message nesting accepted; ONNX models without subgraphs nest fewer than 10 levels. */
  static final int MAX_RECURSION = 24;

  private final SnapshotLimits limits;

  public OnnxModelReader(SnapshotLimits limits) {
    this.limits = limits;
  }

  /** Parses the protobuf only. */
  public ModelProto parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "empty ONNX snapshot");
    }
    if (bytes.length > limits.maxRecordBytes()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "ONNX model is " + bytes.length + " bytes, limit "
          + limits.maxRecordBytes());
    }
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setSizeLimit(bytes.length);
    in.setRecursionLimit(MAX_RECURSION);
    ModelProto m;
    try {
      m = ModelProto.parseFrom(in);
      in.checkLastTagWas(0);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "not a valid ONNX model (" + e.getClass().getSimpleName()
          + ": " + e.getMessage() + ")");
    }
    if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "not an ONNX model: no graph (is it a DL4J zip? "
          + "then leave lipwatch.format unset)");
    }
    return m;
  }

  /** Parses and converts into the engine's network. */
  public ExtractedNetwork read(byte[] bytes) {
    return OnnxGraphConverter.convert(parse(bytes), limits);
  }
}
