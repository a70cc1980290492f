package io.lipwatch.estimator.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The machine's sgemm rate through ND4J (OpenBLAS): 1024² float32 products, best of 10, in GFLOP/s. */
public final class SgemmPeak {
  private SgemmPeak() {}

  public static double measure() {
    int n = 1024;
    Nd4j.getRandom().setSeed(1);
    INDArray a = Nd4j.randn(DataType.FLOAT, n, n);
    INDArray b = Nd4j.randn(DataType.FLOAT, n, n);
    INDArray c = Nd4j.createUninitialized(DataType.FLOAT, n, n);
    Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    double best = Double.MAX_VALUE;
    for (int r = 0; r < 10; r++) {
      long t0 = System.nanoTime();
      Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return 2.0 * n * n * (double) n / best / 1e9;
  }
}
