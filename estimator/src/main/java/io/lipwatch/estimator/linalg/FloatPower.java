package io.lipwatch.estimator.linalg;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The early iterations of power iteration on a dense matrix in float32: one off-heap float copy of A and two vector
 * buffers, allocated once per call, and OpenBLAS sgemv for A·v and Aᵀ·u (half the memory traffic of doubles; the
 * iteration is memory-bound). Only the direction matters here: {@link SpectralNorm#power} finishes in double, so the
 * reported σ is a double-precision value of ‖Av‖ as before.
 */
final class FloatPower implements AutoCloseable {
  /** Below this many entries the native call overhead outweighs the saving: the double loop is used throughout. */
  static final long MIN_ENTRIES = 4096;
  /** Relative change of the float estimate that ends the float stage: its rounding noise is about 1e-7. */
  static final double FLOAT_TOL = 1e-6;
  private static final int CHUNK = 1 << 16;

  private final int rows;
  private final int cols;
  private final FloatPointer a;
  private final FloatPointer v;
  private final FloatPointer u;

  private FloatPower(DenseMatrix m) {
    rows = m.rows();
    cols = m.cols();
    a = new FloatPointer((long) rows * cols);
    v = new FloatPointer(cols);
    u = new FloatPointer(rows);
    // converted in chunks, so no second heap copy of the matrix exists at any time
    double[] d = m.data();
    float[] buf = new float[(int) Math.min(CHUNK, d.length)];
    for (int off = 0; off < d.length; off += buf.length) {
      int len = Math.min(buf.length, d.length - off);
      for (int i = 0; i < len; i++) {
        buf[i] = (float) d[off + i];
      }
      a.position(off).put(buf, 0, len);
    }
    a.position(0);
  }

  static FloatPower of(DenseMatrix m) {
    return new FloatPower(m);
  }

  /** Outcome of the float stage: iterations run and whether the float estimate settled. */
  record Stage(int iterations, boolean settled) {}

  /**
   * Runs at most {@code maxIter} iterations v ← AᵀAv/‖AᵀAv‖ from the unit vector {@code vec} (overwritten with the last
   * iterate, normalised in double), stopping once ‖Av‖ changes by at most {@code tol} relative or at the deadline.
   */
  Stage iterate(double[] vec, int maxIter, double tol, long deadline) {
    float[] h = new float[cols];
    for (int i = 0; i < cols; i++) {
      h[i] = (float) vec[i];
    }
    v.put(h);
    double sigma = 0;
    int it = 0;
    boolean settled = false;
    while (it < maxIter) {
      it++;
      openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, rows, cols, 1f, a, cols, v, 1, 0f, u, 1);
      double s = openblas.cblas_snrm2(rows, u, 1);
      if (!(s > 0) || !Double.isFinite(s)) {
        break; // v is in the null space (or overflowed): the double stage decides
      }
      openblas.cblas_sgemv(openblas.CblasRowMajor, openblas.CblasTrans, rows, cols, 1f, a, cols, u, 1, 0f, v, 1);
      double nv = openblas.cblas_snrm2(cols, v, 1);
      if (!(nv > 0) || !Double.isFinite(nv)) {
        break;
      }
      openblas.cblas_sscal(cols, (float) (1 / nv), v, 1);
      if (Math.abs(s - sigma) <= tol * s) {
        settled = true;
        break;
      }
      sigma = s;
      if (deadline != 0 && System.nanoTime() > deadline) {
        break;
      }
    }
    v.get(h);
    double n2 = 0;
    for (float f : h) {
      n2 += (double) f * f;
    }
    if (n2 > 0 && Double.isFinite(n2)) {
      double inv = 1 / Math.sqrt(n2);
      for (int i = 0; i < cols; i++) {
        vec[i] = h[i] * inv;
      }
    }
    return new Stage(it, settled);
  }

  @Override
  public void close() {
    a.close();
    v.close();
    u.close();
  }
}
