package io.lipwatch.estimator.snapshot;

/** The two DL4J model types a snapshot may hold. */
public enum ModelKind {
  MultiLayerNetwork,
  ComputationGraph
}
