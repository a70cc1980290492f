package io.lipwatch.estimator.bounds;

/**
 * One step of a feed-forward network as the engine sees it: an optional affine map x ↦ A x + b followed by an
 * activation. Layers without weights (activation, dropout, flattening) have {@code linear == null}.
 */
public record Stage(String name, String type, DenseMatrix linear, double[] bias, ActivationSpec activation) {

  public int inDim() {
    return linear == null ? -1 : linear.cols();
  }

  public int outDim() {
    return linear == null ? -1 : linear.rows();
  }
}
