package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;

/** The typed registry of lipwatch topics (docs/architecture.md, "Topics"): names, serdes, and creation configs. */
public final class Topics {
  private Topics() {}

  /** Inline snapshots up to 8 MiB plus headers. */
  public static final int SNAPSHOT_MAX_MESSAGE_BYTES = 9 * 1024 * 1024;
  public static final int PROBESET_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

  public static final Topic<String, byte[]> SNAPSHOTS = new Topic<>("lipwatch.snapshots", Serdes.String(), Serdes.ByteArray(),
      Map.of(TopicConfig.COMPRESSION_TYPE_CONFIG, "zstd",
          TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(SNAPSHOT_MAX_MESSAGE_BYTES),
          TopicConfig.RETENTION_MS_CONFIG, Long.toString(7L * 24 * 3600 * 1000)));

  public static final Topic<String, byte[]> PROBESETS = new Topic<>("lipwatch.probesets", Serdes.String(), Serdes.ByteArray(),
      Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
          TopicConfig.COMPRESSION_TYPE_CONFIG, "zstd",
          TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(PROBESET_MAX_MESSAGE_BYTES)));

  public static final Topic<String, Estimate> ESTIMATES = new Topic<>("lipwatch.estimates", Serdes.String(), new EstimateSerde(),
      Map.of(TopicConfig.COMPRESSION_TYPE_CONFIG, "zstd"));

  public static final Topic<String, DlqRecord> SNAPSHOTS_DLQ = new Topic<>("lipwatch.snapshots.dlq", Serdes.String(),
      new DlqRecordSerde(), Map.of(TopicConfig.COMPRESSION_TYPE_CONFIG, "zstd"));

  public static final Topic<String, Verdict> VERDICTS = new Topic<>("lipwatch.verdicts", Serdes.String(), new VerdictSerde(),
      Map.of(TopicConfig.COMPRESSION_TYPE_CONFIG, "zstd"));

  /** Pinned baselines per model (compacted; co-partitioned with lipwatch.estimates: same key, same partition count). */
  public static final Topic<String, BaselinePin> BASELINES = new Topic<>("lipwatch.baselines", Serdes.String(),
      new BaselinePinSerde(), Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
          TopicConfig.COMPRESSION_TYPE_CONFIG, "zstd"));

  public static final List<Topic<?, ?>> ALL = List.of(SNAPSHOTS, PROBESETS, ESTIMATES, SNAPSHOTS_DLQ, VERDICTS, BASELINES);
}
