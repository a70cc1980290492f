package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The noise phase's noisy input, made in one Java pass, is bit for bit what the ND4J formulation gave (noise + x, min
 * with hi, max with lo), so a version's noise accuracy is the same as before the change for the same seed.
 */
class NoisyInputTest {

  @Test
  void oneJavaPassMatchesTheNd4jOpsBitForBit() {
    SplittableRandom r = new SplittableRandom(7);
    float[] x = new float[300 * 784];
    for (int k = 0; k < x.length; k++) {
      double u = r.nextDouble();
      x[k] = u < 0.3 ? 0f : u < 0.4 ? 1f : u < 0.45 ? -0f : (float) r.nextDouble(); // image-like: the box's faces
    }
    INDArray in = Nd4j.createFromArray(x).reshape(300, 784);
    for (double sigma : new double[] {0, 1e-8, 0.1, 0.3, 1.0, 5.0}) {
      for (double[] box : new double[][] {{0, 1}, {-1, 1}, {0.1, 0.9}}) {
        for (long seed : new long[] {1, 42, -3}) {
          float[] got = Attacks.noisy(in, sigma, box[0], box[1], seed).data().asFloat();
          float[] want = nd4jNoisy(in, sigma, box[0], box[1], seed).data().asFloat();
          assertEquals(want.length, got.length);
          int[] g = new int[got.length];
          int[] w = new int[want.length];
          for (int k = 0; k < g.length; k++) {
            g[k] = Float.floatToRawIntBits(got[k]);
            w[k] = Float.floatToRawIntBits(want[k]);
          }
          assertArrayEquals(w, g, "σ " + sigma + " box " + box[0] + ".." + box[1] + " seed " + seed);
        }
      }
    }
  }

  @Test
  void keepsShapeAndType() {
    INDArray in = Nd4j.rand(DataType.FLOAT, 5, 1, 28, 28);
    INDArray out = Attacks.noisy(in, 0.5, 0, 1, 3);
    assertArrayEquals(in.shape(), out.shape());
    assertEquals(DataType.FLOAT, out.dataType());
    assertEquals(1.0, out.maxNumber().doubleValue(), 1e-6);
    assertEquals(0.0, out.minNumber().doubleValue(), 1e-6);
  }

  /** The noise phase's formulation before: Gaussian floats in an ND4J array, addi, then Transforms min and max. */
  private static INDArray nd4jNoisy(INDArray x, double sigma, double lo, double hi, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[(int) x.length()];
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) (sigma * rng.nextGaussian());
    }
    INDArray y = Nd4j.createFromArray(v).reshape(x.shape()).addi(x);
    Transforms.min(y, hi, false);
    Transforms.max(y, lo, false);
    return y;
  }
}
