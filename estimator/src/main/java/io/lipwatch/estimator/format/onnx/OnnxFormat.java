package io.lipwatch.estimator.format.onnx;

import io.lipwatch.estimator.network.BinaryLogits;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.format.LoadedModel;
import io.lipwatch.estimator.format.ModelFormat;
import io.lipwatch.estimator.probes.Classifier;
import io.lipwatch.estimator.probes.Classifiers;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.util.List;

/** ONNX models ({@code lipwatch.format: onnx}): bounds and probes both run on the converted network. */
public final class OnnxFormat implements ModelFormat {
  public static final String NAME = "onnx";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> extensions() {
    return List.of(".onnx");
  }

  @Override
  public LoadedModel read(byte[] bytes, String expectedSha256, SnapshotLimits limits) {
    if (bytes != null && bytes.length > limits.maxRecordBytes()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "snapshot is " + bytes.length + " bytes, limit "
          + limits.maxRecordBytes());
    }
    if (expectedSha256 != null && bytes != null) {
      String actual = Sha256.hex(bytes);
      if (!actual.equals(expectedSha256)) {
        throw new SnapshotRejectedException(RejectReason.SHA256_MISMATCH,
            "sha256 of the model is " + actual + " but header lipwatch.sha256 says " + expectedSha256);
      }
    }
    ExtractedNetwork net = BinaryLogits.asTwoClass(new OnnxModelReader(limits).read(bytes));
    return new LoadedModel() {
      @Override
      public String format() {
        return NAME;
      }

      @Override
      public ExtractedNetwork network() {
        return net;
      }

      @Override
      public Classifier classifier(ProbeSet set, List<String> warnings) {
        return Classifiers.network(net);
      }
    };
  }
}
