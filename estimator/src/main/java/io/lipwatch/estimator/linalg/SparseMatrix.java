package io.lipwatch.estimator.linalg;

/** A sparse matrix in CSR form (average pooling, global average pooling). */
public record SparseMatrix(int rows, int cols, int[] rowStart, int[] colIndex, double[] values) implements LinearOperator {
  @Override
  public int inDim() {
    return cols;
  }

  @Override
  public int outDim() {
    return rows;
  }

  @Override
  public void apply(double[] x, double[] y) {
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
        s += values[k] * x[colIndex[k]];
      }
      y[r] = s;
    }
  }

  @Override
  public void applyTranspose(double[] y, double[] x) {
    java.util.Arrays.fill(x, 0, cols, 0.0);
    for (int r = 0; r < rows; r++) {
      double yr = y[r];
      for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
        x[colIndex[k]] += values[k] * yr;
      }
    }
  }

  @Override
  public double[] absRowSums() {
    double[] s = new double[rows];
    for (int r = 0; r < rows; r++) {
      for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
        s[r] += Math.abs(values[k]);
      }
    }
    return s;
  }

  @Override
  public double[] absColSums() {
    double[] s = new double[cols];
    for (int k = 0; k < colIndex.length; k++) {
      s[colIndex[k]] += Math.abs(values[k]);
    }
    return s;
  }

  @Override
  public long macs() {
    return values.length;
  }

  /** From windows: row r averages x over windows[r] with weight w[r]. */
  public static SparseMatrix ofWindows(int[][] windows, double[] weight, int cols) {
    int nnz = 0;
    for (int[] w : windows) {
      nnz += w.length;
    }
    int[] start = new int[windows.length + 1];
    int[] idx = new int[nnz];
    double[] val = new double[nnz];
    int k = 0;
    for (int r = 0; r < windows.length; r++) {
      start[r] = k;
      for (int c : windows[r]) {
        idx[k] = c;
        val[k++] = weight[r];
      }
    }
    start[windows.length] = k;
    return new SparseMatrix(windows.length, cols, start, idx, val);
  }
}
