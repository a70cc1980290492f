package io.lipwatch.trainer.reproduce;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The reproduction tables estimate each trained model through the same {@link EstimatePipeline} as the stream and
 * {@code lipwatch estimate}, so a table row and a dashboard figure of the same weights are the same numbers.
 */
final class TableEstimates {
  /** The tables' models never travel as snapshots: no digest to carry. */
  private static final String NO_DIGEST = "0".repeat(64);

  private TableEstimates() {}

  /**
   * @param probes probe settings, null for bounds only
   * @param set    the probe set; its first samples also seed the lower-bound searches
   */
  static Estimate of(MultiLayerNetwork net, String name, EngineConfig engine, ProbeConfig probes, ProbeSet set) {
    EstimatePipeline pipeline = new EstimatePipeline(new LipschitzEngine(engine), probes);
    SnapshotMetadata meta = SnapshotMetadata.of(modelName(name), 0, NO_DIGEST);
    return pipeline.run(RestoredModel.of(net), meta, WarmStart.EMPTY, set, List.of()).estimate();
  }

  /** A row label ("Weight reg. 85") as a valid model name ("Weight-reg.-85"). */
  static String modelName(String label) {
    String s = label.replaceAll("[^A-Za-z0-9._-]", "-");
    s = s.isEmpty() || !Character.isLetterOrDigit(s.charAt(0)) ? "m" + s : s;
    return s.length() > 128 ? s.substring(0, 128) : s;
  }
}
