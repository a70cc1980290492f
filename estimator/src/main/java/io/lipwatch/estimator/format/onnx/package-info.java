/**
 * ONNX snapshots: a strict reader of untrusted ONNX bytes (size and recursion limits, no external data, every tensor's
 * size checked in exact arithmetic before allocation, finite weights) and a converter of the graph into the engine's
 * own network representation ({@link io.lipwatch.estimator.network.ExtractedNetwork}), so every bound method and the
 * probes (through the engine's forward pass and vector–Jacobian product) work on PyTorch and TensorFlow exports.
 * Only the protobuf classes shipped in nd4j-api are used: no ONNX runtime, no importer.
 */
package io.lipwatch.estimator.format.onnx;
