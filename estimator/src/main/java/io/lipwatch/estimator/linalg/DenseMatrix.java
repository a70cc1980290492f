package io.lipwatch.estimator.linalg;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;


/**
 * A dense matrix of {@code rows × cols} doubles in row-major order, mapping R^cols to R^rows (y = A x).
 * Plain arrays: the small matrix-vector products of power iterations are dominated by ND4J's per-op overhead.
 */
public final class DenseMatrix implements LinearOperator {
  private final int rows;
  private final int cols;
  private final double[] data;

  public DenseMatrix(int rows, int cols, double[] data) {
    if (data.length != (long) rows * cols) {
      throw new IllegalArgumentException("data length " + data.length + " != " + rows + "x" + cols);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  public int rows() {
    return rows;
  }

  public int cols() {
    return cols;
  }

  public double[] data() {
    return data;
  }

  @Override
  public int inDim() {
    return cols;
  }

  @Override
  public int outDim() {
    return rows;
  }

  /** Rows of W converted per block in {@link #fromDl4jWeights}. */
  private static final int BLOCK_ROWS = 256;

  /**
   * From a DL4J weight matrix W of shape [nIn, nOut] (DL4J computes x·W): returns the operator A = Wᵀ, y = A x. W is
   * read in its own data type (one contiguous copy when it is a view, as DL4J's parameters are) and widened per block
   * of rows, so no full-size double copy exists beside A (a 10-million-parameter layer otherwise held three: the cast,
   * its c-order duplicate and the Java array).
   */
  public static DenseMatrix fromDl4jWeights(INDArray w) {
    int nIn = (int) w.rows();
    int nOut = (int) w.columns();
    double[] a = new double[nOut * nIn];
    INDArray c = w.ordering() == 'c' && !w.isView() ? w : w.dup('c');
    DataBuffer buf = c.data();
    for (int i0 = 0; i0 < nIn; i0 += BLOCK_ROWS) {
      int i1 = Math.min(nIn, i0 + BLOCK_ROWS);
      double[] wd = buf.getDoublesAt(c.offset() + (long) i0 * nOut, (i1 - i0) * nOut);
      for (int i = i0; i < i1; i++) {
        int off = (i - i0) * nOut;
        for (int o = 0; o < nOut; o++) {
          a[o * nIn + i] = wd[off + o];
        }
      }
    }
    return new DenseMatrix(nOut, nIn, a);
  }

  public double get(int r, int c) {
    return data[r * cols + c];
  }

  @Override
  public void apply(double[] x, double[] y) {
    multiply(x, y);
  }

  @Override
  public void applyTranspose(double[] y, double[] x) {
    multiplyTranspose(y, x);
  }

  /** y = A x; four independent accumulators so the dot products pipeline. */
  public void multiply(double[] x, double[] y) {
    multiply(data, rows, cols, x, y);
  }

  /** y = A x for a row-major rows × cols array {@code d} (also the Lanczos iteration's Gram products). */
  static void multiply(double[] d, int rows, int n, double[] x, double[] y) {
    final int n4 = n & ~3;
    for (int r = 0; r < rows; r++) {
      int off = r * n;
      double s0 = 0;
      double s1 = 0;
      double s2 = 0;
      double s3 = 0;
      int c = 0;
      for (; c < n4; c += 4) {
        s0 += d[off + c] * x[c];
        s1 += d[off + c + 1] * x[c + 1];
        s2 += d[off + c + 2] * x[c + 2];
        s3 += d[off + c + 3] * x[c + 3];
      }
      for (; c < n; c++) {
        s0 += d[off + c] * x[c];
      }
      y[r] = (s0 + s1) + (s2 + s3);
    }
  }

  /** x = Aᵀ y, as row-wise axpy (vectorised by the JIT). */
  public void multiplyTranspose(double[] y, double[] x) {
    Arrays.fill(x, 0, cols, 0.0);
    final double[] d = data;
    for (int r = 0; r < rows; r++) {
      double yr = y[r];
      if (yr == 0) {
        continue;
      }
      int off = r * cols;
      for (int c = 0; c < cols; c++) {
        x[c] += d[off + c] * yr;
      }
    }
  }

  @Override
  public double[] absRowSums() {
    double[] s = new double[rows];
    for (int r = 0; r < rows; r++) {
      double t = 0;
      for (int c = 0; c < cols; c++) {
        t += Math.abs(data[r * cols + c]);
      }
      s[r] = t;
    }
    return s;
  }

  @Override
  public double[] absColSums() {
    double[] s = new double[cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        s[c] += Math.abs(data[r * cols + c]);
      }
    }
    return s;
  }

  @Override
  public long macs() {
    return (long) rows * cols;
  }

  @Override
  public DenseMatrix toDense() {
    return this;
  }

  public DenseMatrix transpose() {
    double[] t = new double[data.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = data[r * cols + c];
      }
    }
    return new DenseMatrix(cols, rows, t);
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
