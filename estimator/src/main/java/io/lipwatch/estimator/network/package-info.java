/**
 * What a model is to the engine: an {@link io.lipwatch.estimator.network.ExtractedNetwork}, a small DAG of
 * {@link io.lipwatch.estimator.network.Node}s whose {@link io.lipwatch.estimator.network.Op}s are affine maps (a
 * {@link io.lipwatch.estimator.linalg.LinearOperator} plus bias: dense, NCHW convolution with stride, zero padding and
 * dilation, batch-norm diagonal, average pooling), activations ({@link io.lipwatch.estimator.network.ActivationSpec}:
 * function, derivative and slope range), max pooling, element-wise sums and concatenations.
 *
 * <p>It evaluates forward passes and vector–Jacobian products in plain doubles (the probes of ONNX models and
 * ComputationGraphs run on them); {@link io.lipwatch.estimator.network.NativeLayers} gives a search the same network
 * with its large dense layers' products in OpenBLAS. Model readers produce it ({@link io.lipwatch.estimator.format.dl4j},
 * {@link io.lipwatch.estimator.format.onnx}); whatever they cannot represent they refuse by name with
 * {@link io.lipwatch.estimator.network.UnsupportedLayerException}.
 */
package io.lipwatch.estimator.network;
