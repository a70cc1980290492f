package io.lipwatch.estimator.probes;

import java.util.Arrays;
import java.util.List;

/**
 * A labelled probe set: {@code count} inputs of {@code shape}, stored as uint8 codes (value = lo + (hi−lo)·code/255)
 * or as float32, with labels in [0, classes).
 */
public record ProbeSet(String name, List<Integer> shape, int classes, double lo, double hi, int[] labels, byte[] uint8, float[] float32) {

  public ProbeSet {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("probe set needs a name");
    }
    if ((uint8 == null) == (float32 == null)) {
      throw new IllegalArgumentException("probe set holds exactly one of uint8 or float32 data");
    }
    int dim = shape.stream().reduce(1, Math::multiplyExact);
    long expected = (long) labels.length * dim;
    long got = uint8 != null ? uint8.length : float32.length;
    if (got != expected) {
      throw new IllegalArgumentException("probe set data has " + got + " values, expected " + expected);
    }
    if (!(lo < hi)) {
      throw new IllegalArgumentException("probe set value range must have lo < hi");
    }
    for (int l : labels) {
      if (l < 0 || l >= classes) {
        throw new IllegalArgumentException("probe set label " + l + " outside [0, " + classes + ")");
      }
    }
  }

  public int count() {
    return labels.length;
  }

  public int dimension() {
    return shape.stream().reduce(1, Math::multiplyExact);
  }

  /** Input i as doubles in the value range. */
  public double[] input(int i) {
    int d = dimension();
    double[] x = new double[d];
    if (uint8 != null) {
      double scale = (hi - lo) / 255.0;
      for (int j = 0; j < d; j++) {
        x[j] = lo + scale * (uint8[i * d + j] & 0xff);
      }
    } else {
      for (int j = 0; j < d; j++) {
        x[j] = float32[i * d + j];
      }
    }
    return x;
  }

  /** The first n samples (or all when n ≤ 0 or n ≥ count). */
  public ProbeSet head(int n) {
    if (n <= 0 || n >= count()) {
      return this;
    }
    int d = dimension();
    return new ProbeSet(name, shape, classes, lo, hi, Arrays.copyOf(labels, n),
        uint8 == null ? null : Arrays.copyOf(uint8, n * d), float32 == null ? null : Arrays.copyOf(float32, n * d));
  }
}
