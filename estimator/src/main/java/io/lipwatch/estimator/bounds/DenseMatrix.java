package io.lipwatch.estimator.bounds;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dense matrix of {@code rows × cols} doubles in row-major order, mapping R^cols to R^rows (y = A x).
 * Plain arrays: the small matrix-vector products of power iterations are dominated by ND4J's per-op overhead.
 */
public record DenseMatrix(int rows, int cols, double[] data) {

  public DenseMatrix {
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException("data length " + data.length + " != " + rows + "x" + cols);
    }
  }

  /** From a DL4J weight matrix W of shape [nIn, nOut] (DL4J computes x·W): returns the operator A = Wᵀ, y = A x. */
  public static DenseMatrix fromDl4jWeights(INDArray w) {
    int nIn = (int) w.rows();
    int nOut = (int) w.columns();
    double[] wd = w.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] a = new double[nOut * nIn];
    for (int i = 0; i < nIn; i++) {
      for (int o = 0; o < nOut; o++) {
        a[o * nIn + i] = wd[i * nOut + o];
      }
    }
    return new DenseMatrix(nOut, nIn, a);
  }

  public double get(int r, int c) {
    return data[r * cols + c];
  }

  /** y = A x. */
  public void multiply(double[] x, double[] y) {
    for (int r = 0; r < rows; r++) {
      double s = 0;
      int off = r * cols;
      for (int c = 0; c < cols; c++) {
        s += data[off + c] * x[c];
      }
      y[r] = s;
    }
  }

  /** x = Aᵀ y. */
  public void multiplyTranspose(double[] y, double[] x) {
    java.util.Arrays.fill(x, 0, cols, 0.0);
    for (int r = 0; r < rows; r++) {
      double yr = y[r];
      if (yr == 0) {
        continue;
      }
      int off = r * cols;
      for (int c = 0; c < cols; c++) {
        x[c] += data[off + c] * yr;
      }
    }
  }

  /** C = this · other. */
  public DenseMatrix times(DenseMatrix other) {
    if (cols != other.rows) {
      throw new IllegalArgumentException("shape mismatch " + rows + "x" + cols + " · " + other.rows + "x" + other.cols);
    }
    double[] c = new double[rows * other.cols];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < cols; k++) {
        double a = data[i * cols + k];
        if (a == 0) {
          continue;
        }
        int bo = k * other.cols;
        int co = i * other.cols;
        for (int j = 0; j < other.cols; j++) {
          c[co + j] += a * other.data[bo + j];
        }
      }
    }
    return new DenseMatrix(rows, other.cols, c);
  }

  /** As an ND4J double matrix (column-major copy, as LAPACK wants it). */
  public INDArray toNd4j() {
    return Nd4j.create(data, new long[] {rows, cols}, 'c').castTo(DataType.DOUBLE).dup('f');
  }
}
