package io.lipwatch.trainer.data;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CLIP paper's 1-D regression problem: f(x) = ½·max(|x| − 3, 0), 100 samples drawn uniformly from
 * [−4, −3] ∪ [−0.3, 0.3] ∪ [3, 4] with Gaussian noise (σ = {@value #NOISE}) on the targets. The gap between the
 * intervals is where an unregularised network is free to oscillate, and where CLIP keeps it flat.
 */
public final class Regression1D {
  public static final int SAMPLES = 100;
  public static final double NOISE = 0.05;
  /** The three intervals the inputs come from. */
  public static final double[][] INTERVALS = {{-4, -3}, {-0.3, 0.3}, {3, 4}};

  private Regression1D() {}

  public static double target(double x) {
    return 0.5 * Math.max(Math.abs(x) - 3, 0);
  }

  /** Features [n, 1] and noisy targets [n, 1], in double precision; same seed, same data. */
  public static DataSet generate(int n, long seed) {
    Random rnd = new Random(seed);
    double total = 0;
    for (double[] iv : INTERVALS) {
      total += iv[1] - iv[0];
    }
    double[] x = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double u = rnd.nextDouble() * total;
      for (double[] iv : INTERVALS) {
        double len = iv[1] - iv[0];
        if (u <= len) {
          x[i] = iv[0] + u;
          break;
        }
        u -= len;
      }
      y[i] = target(x[i]) + NOISE * rnd.nextGaussian();
    }
    return new DataSet(Nd4j.create(x, new long[] {n, 1}, DataType.FLOAT), Nd4j.create(y, new long[] {n, 1}, DataType.FLOAT));
  }

  public static DataSet generate(long seed) {
    return generate(SAMPLES, seed);
  }
}
