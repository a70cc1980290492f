package io.lipwatch.estimator.format.onnx;

/** Per-example layout of an activation: feature vector [c] ({@code spatial == false}) or NCHW [c, h, w]. */
record Layout(boolean spatial, int c, int h, int w) {
  static Layout ff(int n) {
    return new Layout(false, n, 1, 1);
  }

  static Layout cnn(int c, int h, int w) {
    return new Layout(true, c, h, w);
  }

  int size() {
    return c * h * w;
  }

  /** Dims without the batch, as ONNX's Shape reports them after the batch dim. */
  long[] dims() {
    return spatial ? new long[] {c, h, w} : new long[] {c};
  }

  @Override
  public String toString() {
    return spatial ? "[N," + c + "," + h + "," + w + "]" : "[N," + c + "]";
  }
}
