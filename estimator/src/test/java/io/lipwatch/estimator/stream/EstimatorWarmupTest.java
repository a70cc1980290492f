package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The warm-up estimate at estimator start runs the stream's suite to the end, quickly; without probes it is skipped. */
class EstimatorWarmupTest {
  @Test
  void warmUpEstimateSucceedsQuickly() {
    double secs = EstimatorWarmup.run(EstimatorSettings.defaults());
    assertTrue(secs >= 0, "the warm-up estimate failed (see the log)");
    assertTrue(secs < 60, "warm-up took " + secs + " s");
    EstimatorSettings noProbes = new EstimatorSettings(EstimatorSettings.defaults().limits(),
        EstimatorSettings.defaults().engine(), null, null, null);
    assertEquals(-1, EstimatorWarmup.run(noProbes));
  }
}
