package io.lipwatch.estimator.snapshot;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** The {@code lipwatch.*} snapshot header names (their rules: docs/architecture.md, "Snapshot headers") and their conversion to and from Kafka headers. */
public final class SnapshotHeaders {
  public static final String MODEL = "lipwatch.model";
  public static final String VERSION = "lipwatch.version";
  public static final String SHA256 = "lipwatch.sha256";
  public static final String CREATED_AT = "lipwatch.created-at";
  public static final String DATASET = "lipwatch.dataset";
  public static final String INPUT_RANGE = "lipwatch.input-range";
  public static final String REGULARIZER = "lipwatch.regularizer";
  public static final String LAMBDA = "lipwatch.lambda";
  public static final String EPOCH = "lipwatch.epoch";
  public static final String TRAIN_ACCURACY = "lipwatch.train-accuracy";
  public static final String RUN_ID = "lipwatch.run-id";
  public static final String CLAIM_CHECK = "lipwatch.claim-check";
  public static final String SIGNATURE = "lipwatch.signature";
  /** CLIP training: the trainer's running Lipschitz estimate (best quotient of its pairs) at the snapshot. */
  public static final String CLIP_ESTIMATE = "lipwatch.clip-estimate";
  /** Input shape {@code c,h,w} of a convolutional model whose configuration does not determine it (optional). */
  public static final String INPUT_SHAPE = "lipwatch.input-shape";
  /** Snapshot format: {@code dl4j} (default when absent) or {@code onnx}. */
  public static final String FORMAT = "lipwatch.format";

  /** Headers every snapshot must carry. */
  public static final List<String> REQUIRED = List.of(MODEL, VERSION, SHA256);

  /** Largest header value we read; a hostile producer gets no more than this per header. */
  static final int MAX_HEADER_BYTES = 4096;

  private SnapshotHeaders() {}

  /** The last value of every {@code lipwatch.*} header, as text (size-capped, for DLQ records and parsing). */
  public static Map<String, String> toMap(Headers headers) {
    Map<String, String> out = new LinkedHashMap<>();
    if (headers == null) {
      return out;
    }
    for (Header h : headers) {
      if (h.key() == null || !h.key().startsWith("lipwatch.") || out.size() >= 64) {
        continue;
      }
      byte[] v = h.value();
      String s = v == null ? "" : new String(v, 0, Math.min(v.length, MAX_HEADER_BYTES), StandardCharsets.UTF_8);
      out.put(h.key(), s);
    }
    return out;
  }

  /** Writes the metadata as Kafka headers. */
  public static void write(SnapshotMetadata m, Headers headers) {
    m.toHeaderMap().forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
  }
}
