package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.linalg.DenseMatrix;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The spectral norm of a small matrix by ND4J's SVD, nudged up by a relative 1e-12 (a bound for certification tests). */
final class OnnxSpectral {
  private OnnxSpectral() {}

  static double norm(DenseMatrix a) {
    INDArray m = Nd4j.createFromArray(a.data()).reshape(a.rows(), a.cols());
    INDArray s = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.DOUBLE, Math.min(a.rows(), a.cols()));
    Nd4j.getBlasWrapper().lapack().gesvd(m.dup('f'), s, null, null);
    return s.maxNumber().doubleValue() * (1 + 1e-12);
  }
}
