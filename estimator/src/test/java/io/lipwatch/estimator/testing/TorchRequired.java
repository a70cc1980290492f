package io.lipwatch.estimator.testing;

import io.lipwatch.estimator.bench.TorchReference;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** The PyTorch reference for comparison tests: fails under CI=true when python3-torch is missing, skips elsewhere. */
public final class TorchRequired {
  private TorchRequired() {}

  public static TorchReference start(Path dir) throws IOException {
    TorchReference ref = TorchReference.start(dir, 2);
    if (ref == null) {
      String msg = "no python3 with torch and numpy — install it: apt-get install -y python3-torch python3-numpy"
          + " (`./lipwatch test` does)";
      if (Required.ci()) {
        Assertions.fail(msg + "; CI=true, so a missing requirement fails instead of skipping");
      }
      Assumptions.abort(msg + "; skipped (set CI=true to make this a failure)");
    }
    return ref;
  }
}
