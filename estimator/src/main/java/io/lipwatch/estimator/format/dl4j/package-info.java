/**
 * DL4J snapshots (the default format, {@code lipwatch.format: dl4j}): {@link io.lipwatch.estimator.format.dl4j.Dl4jFormat}
 * restores the zip through the safe restorer, {@link io.lipwatch.estimator.format.dl4j.NetworkExtractor} turns a
 * MultiLayerNetwork or ComputationGraph into the engine's {@link io.lipwatch.estimator.network.ExtractedNetwork}, and
 * {@link io.lipwatch.estimator.format.dl4j.InputShapeInference} finds the input shape of convolutional networks whose
 * configuration does not state it (from the {@code lipwatch.input-shape} header, the probe set, or the layer geometry).
 */
package io.lipwatch.estimator.format.dl4j;
