package io.lipwatch.estimator.estimate;

import java.util.List;

/** Shape of the estimated network: {@code kind} is MultiLayerNetwork or ComputationGraph. */
public record Architecture(String kind, int layers, long parameters, List<Long> inputShape, long outputs) {}
