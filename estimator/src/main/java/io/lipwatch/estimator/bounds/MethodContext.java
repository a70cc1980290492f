package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.network.ExtractedNetwork;

import java.util.List;

/**
 * What a {@link BoundMethod} gets: the network, the engine settings, the warm start of the previous snapshot, the
 * inputs for lower bounds, the pairs found by earlier lower-bound methods in this run, and its deadline.
 *
 * @param explicit the user named this method in {@code --methods} (report why it cannot run rather than skip)
 */
public record MethodContext(ExtractedNetwork net, EngineConfig config, WarmStart warm, double[][] inputs,
    List<double[][]> seeds, long deadline, boolean explicit) {}
