package io.lipwatch.estimator.format.onnx;

import java.util.Arrays;

/**
 * A constant tensor of the graph (initializer, {@code Constant} node or a folded shape computation): floating values in
 * {@code values} (double) or integers in {@code ints}, exactly one of them set, c-order.
 */
record OnnxTensor(long[] dims, double[] values, long[] ints) {

  static OnnxTensor ofInts(long[] dims, long[] ints) {
    return new OnnxTensor(dims, null, ints);
  }

  static OnnxTensor ofValues(long[] dims, double[] values) {
    return new OnnxTensor(dims, values, null);
  }

  boolean isInteger() {
    return ints != null;
  }

  int size() {
    return ints != null ? ints.length : values.length;
  }

  int rank() {
    return dims.length;
  }

  /** Element i as a double (integers converted). */
  double get(int i) {
    return ints != null ? ints[i] : values[i];
  }

  /** The integer elements (floating tensors with integral values converted, others refused by the caller). */
  long[] asLongs() {
    if (ints != null) {
      return ints;
    }
    long[] out = new long[values.length];
    for (int i = 0; i < out.length; i++) {
      if (values[i] != Math.rint(values[i])) {
        return null;
      }
      out[i] = (long) values[i];
    }
    return out;
  }

  double[] asDoubles() {
    if (values != null) {
      return values;
    }
    double[] out = new double[ints.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = ints[i];
    }
    return out;
  }

  @Override
  public String toString() {
    return "tensor" + Arrays.toString(dims);
  }
}
