package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Where the snapshot came from (its headers) and what produced the estimate. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(
    String createdAt,
    String dataset,
    String regularizer,
    Double lambda,
    Integer epoch,
    Double trainAccuracy,
    String runId,
    String engine,
    String host) {}
