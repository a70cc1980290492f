package io.lipwatch.estimator.format;

import io.lipwatch.estimator.snapshot.SnapshotLimits;

/** One snapshot format: reads untrusted bytes, as strictly as the limits say, into a model the pipeline can estimate. */
public interface ModelFormat {

  /** The value of the {@code lipwatch.format} header (lower case). */
  String name();

  /** File name extensions (lower case, with the dot) the CLI maps to this format. */
  java.util.List<String> extensions();

  /**
   * Reads a snapshot; throws {@link io.lipwatch.estimator.snapshot.SnapshotRejectedException} with a reason on any
   * problem. The sha256 is verified first when {@code expectedSha256} is not null.
   */
  LoadedModel read(byte[] bytes, String expectedSha256, SnapshotLimits limits);
}
