package io.lipwatch.estimator.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/** Value of {@code lipwatch.snapshots.dlq}: why a snapshot could not be estimated, with its headers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DlqRecord(String reason, String detail, Map<String, String> headers, String model, String failedAt,
    String topic, Integer partition, Long offset) {}
