package io.lipwatch.estimator.stream;

/** Serde of {@code lipwatch.snapshots.dlq} values. */
public final class DlqRecordSerde extends JsonSerde<DlqRecord> {
  public DlqRecordSerde() {
    super(DlqRecord.class);
  }
}
