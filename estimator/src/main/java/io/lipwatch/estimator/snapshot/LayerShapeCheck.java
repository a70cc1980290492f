package io.lipwatch.estimator.snapshot;

import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;

/**
 * Checks every size a layer configuration declares — nIn, nOut, kernel, stride, dilation, padding — for range, in
 * exact arithmetic, before DL4J computes a parameter count from them or allocates anything.
 *
 * <p>Why: DL4J multiplies these sizes in plain {@code long} arithmetic. A dense layer with nIn = 2^61 and nOut = 8
 * wraps to 0 weights, agrees with a tiny coefficients.bin, builds, and yields a "bound" of 0 for a network that does not
 * exist. A stride of 0 divides by zero deep inside the output-size code. Every failure names the layer and the field.
 */
public final class LayerShapeCheck {
  /** Largest kernel, stride, dilation or padding accepted in one dimension. */
  static final int MAX_WINDOW = 4096;

  private final long maxLayerParameters;

  public LayerShapeCheck(long maxLayerParameters) {
    this.maxLayerParameters = maxLayerParameters;
  }

  /** Throws {@link SnapshotRejectedException} naming {@code where} and the field when a size is out of range. */
  public void check(Layer layer, String where) {
    if (layer instanceof FeedForwardLayer ff) {
      checkFeedForward(ff, where);
    }
    if (layer instanceof ConvolutionLayer c) {
      checkWindow(where, "kernelSize", c.getKernelSize(), 1);
      checkWindow(where, "stride", c.getStride(), 1);
      checkWindow(where, "dilation", c.getDilation(), 1);
      checkWindow(where, "padding", c.getPadding(), 0);
      long k = Math.multiplyExact((long) c.getKernelSize()[0], c.getKernelSize()[1]);
      long weights = product(where, "nIn·nOut·kernel", c.getNIn(), c.getNOut(), k);
      limit(where, "nIn·nOut·kernel", weights);
    } else if (layer instanceof SubsamplingLayer s) {
      checkWindow(where, "kernelSize", s.getKernelSize(), 1);
      checkWindow(where, "stride", s.getStride(), 1);
      checkWindow(where, "dilation", s.getDilation(), 1);
      checkWindow(where, "padding", s.getPadding(), 0);
    }
  }

  private void checkFeedForward(FeedForwardLayer ff, String where) {
    boolean weighted = ff instanceof DenseLayer || ff instanceof BaseOutputLayer || ff instanceof ConvolutionLayer;
    long min = weighted ? 1 : 0;
    if (ff instanceof BatchNormalization) {
      // batch normalisation sizes are set from the input; nOut carries them (4 vectors of nOut)
      range(where, "nOut", ff.getNOut(), 1, maxLayerParameters);
      return;
    }
    range(where, "nIn", ff.getNIn(), min, maxLayerParameters);
    range(where, "nOut", ff.getNOut(), min, maxLayerParameters);
    if (ff instanceof DenseLayer || ff instanceof BaseOutputLayer) {
      limit(where, "nIn·nOut", product(where, "nIn·nOut", ff.getNIn(), ff.getNOut(), 1));
    }
  }

  private static void checkWindow(String where, String field, int[] v, int min) {
    if (v == null || v.length != 2) {
      throw reject(where, field + " must have 2 entries, got " + (v == null ? "none" : java.util.Arrays.toString(v)));
    }
    for (int x : v) {
      if (x < min || x > MAX_WINDOW) {
        throw reject(where, field + " " + java.util.Arrays.toString(v) + " out of range [" + min + ", " + MAX_WINDOW + "]");
      }
    }
  }

  private static void range(String where, String field, long v, long min, long max) {
    if (v < min || v > max) {
      throw reject(where, field + " = " + v + " out of range [" + min + ", " + max + "]");
    }
  }

  private static long product(String where, String field, long a, long b, long c) {
    try {
      return Math.multiplyExact(Math.multiplyExact(a, b), c);
    } catch (ArithmeticException e) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE, where + ": " + field + " overflows 64 bits (" + a + "·" + b
          + (c == 1 ? "" : "·" + c) + ")");
    }
  }

  private void limit(String where, String field, long n) {
    if (n > maxLayerParameters) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
          where + ": " + field + " = " + n + " parameters, limit " + maxLayerParameters + " parameters per layer");
    }
  }

  private static SnapshotRejectedException reject(String where, String what) {
    return new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, where + ": " + what);
  }
}
