package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Second line of defence: an exception that escapes a processor (the estimate processor turns every failure into a DLQ
 * record itself, so reaching this is a bug) sends the source record to {@code lipwatch.snapshots.dlq} with reason
 * {@code estimation-failed} and lets the stream resume, instead of stopping the stream thread and parking
 * exactly-once processing on the record for good.
 */
public final class DlqProcessingExceptionHandler implements ProcessingExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DlqProcessingExceptionHandler.class);

  @Override
  public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    LOG.error("processor {} failed on {}-{}@{}; record sent to the DLQ", context.processorNodeId(), context.topic(),
        context.partition(), context.offset(), exception);
    return Response.resume(List.of(dlqRecord(context, exception)));
  }

  static ProducerRecord<byte[], byte[]> dlqRecord(ErrorHandlerContext context, Exception exception) {
    Map<String, String> headers = SnapshotHeaders.toMap(context.headers());
    byte[] rawKey = context.sourceRawKey();
    String key = rawKey == null ? null : new String(rawKey, StandardCharsets.UTF_8);
    DlqRecord dlq = new DlqRecord(RejectReason.ESTIMATION_FAILED.label(),
        "unhandled in processor " + context.processorNodeId() + ": " + EstimateProcessor.describe(exception), headers, key,
        Instant.now().toString(), context.topic(), context.partition(), context.offset());
    byte[] value = Topics.SNAPSHOTS_DLQ.valueSerde().serializer().serialize(Topics.SNAPSHOTS_DLQ.name(), dlq);
    return new ProducerRecord<>(Topics.SNAPSHOTS_DLQ.name(), rawKey, value);
  }

  @Override
  public void configure(Map<String, ?> configs) {}
}
