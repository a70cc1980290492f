package io.lipwatch.estimator.linalg;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;

/**
 * A {@link Conv2dOperator} for power iteration, in double as the operator itself: each apply is one OpenBLAS dgemm
 * of the kernel as a [cOut, cIn·kH·kW] matrix with the patch matrix of x (im2col), each transpose the kernel's
 * transpose times y followed by col2im. The kernel, the patch matrix and the output live in off-heap buffers
 * allocated once and reused by every iteration; the plain loops of {@link Conv2dOperator} run at about 1.3 GMAC/s,
 * dgemm several times that. Results equal the operator's to rounding (the sums run in another order), not to the bit.
 */
final class ConvPower implements LinearOperator, AutoCloseable {
  /** Below this many multiply-adds per apply the native calls and copies outweigh the saving. */
  static final long MIN_MACS = 20_000;
  /**
   * Patch matrices above this many entries stay with the plain loops: each entry costs 20 bytes (its source index, a
   * heap and an off-heap double), so at most 40 MB per operator (a 64-channel 3×3 layer on a 56×56 output is 1.8 M).
   */
  static final long MAX_PATCH_ENTRIES = 1L << 21;

  private final Conv2dOperator conv;
  private final int patch;
  private final int positions;
  /** Per (patch row k, output position p), k-major: the input offset, or −1 where the window reads zero padding. */
  private final int[] source;
  private final double[] cols;
  private final DoublePointer kernel;
  private final DoublePointer colsOff;
  private final DoublePointer out;
  /** Output positions per dgemm call: small enough that OpenBLAS runs each call on the calling thread alone. */
  private final int block;
  private final int blocks;

  private ConvPower(Conv2dOperator c) {
    conv = c;
    patch = c.cIn() * c.kH() * c.kW();
    positions = c.outH() * c.outW();
    source = c.patchSources();
    cols = new double[patch * positions];
    kernel = new DoublePointer(c.kernel());
    colsOff = new DoublePointer((long) patch * positions);
    out = new DoublePointer((long) c.cOut() * positions);
    block = blockColumns(c.cOut(), patch, positions);
    blocks = (positions + block - 1) / block;
  }

  /**
   * OpenBLAS splits a dgemm over its threads once m·n·k exceeds 65536 × its multithread threshold; on the shared
   * 2-core machine, with the probes running beside the engine, the split cost more than it saved (100 iterations of
   * a 16→32 3×3 layer: 11 ms on two threads against 8 ms on one, at load 4). So each call stays under that size, and
   * the iteration runs single-threaded like the plain loops it replaces, with the calls at least 16 columns wide.
   */
  static int blockColumns(int cOut, int patch, int positions) {
    double single = 65536.0 * Math.max(1, openblas.OPENBLAS_GEMM_MULTITHREAD_THRESHOLD);
    long cols = (long) Math.floor(single / ((double) cOut * patch));
    return (int) Math.max(1, Math.min(positions, Math.max(16, cols)));
  }

  /** Whether the GEMM form pays for {@code c} (large enough, patch matrix small enough). */
  static boolean pays(Conv2dOperator c) {
    long entries = (long) c.cIn() * c.kH() * c.kW() * c.outH() * c.outW();
    return c.macs() >= MIN_MACS && entries <= MAX_PATCH_ENTRIES && c.outDim() > 0 && c.inDim() > 0;
  }

  static ConvPower of(Conv2dOperator c) {
    return new ConvPower(c);
  }

  @Override
  public int inDim() {
    return conv.inDim();
  }

  @Override
  public int outDim() {
    return conv.outDim();
  }

  @Override
  public long macs() {
    return conv.macs();
  }

  @Override
  public void apply(double[] x, double[] y) {
    int[] src = source;
    double[] c = cols;
    for (int i = 0; i < c.length; i++) {
      int s = src[i];
      c[i] = s >= 0 ? x[s] : 0.0;
    }
    colsOff.put(c);
    // y [cOut, P] = W [cOut, K] · cols [K, P]: NCHW order of the output, one example; a block of columns per call
    for (int b = 0; b < blocks; b++) {
      int n = Math.min(block, positions - b * block);
      openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, conv.cOut(), n, patch,
          1.0, kernel, patch, colsOff.position((long) b * block), positions, 0.0, out.position((long) b * block),
          positions);
    }
    colsOff.position(0);
    out.position(0).get(y, 0, conv.outDim());
  }

  @Override
  public void applyTranspose(double[] y, double[] x) {
    out.put(y, 0, conv.outDim());
    // cols [K, P] = Wᵀ [K, cOut] · y [cOut, P], then col2im: each patch entry back onto the input it was read from
    for (int b = 0; b < blocks; b++) {
      int n = Math.min(block, positions - b * block);
      openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasTrans, openblas.CblasNoTrans, patch, n, conv.cOut(),
          1.0, kernel, patch, out.position((long) b * block), positions, 0.0, colsOff.position((long) b * block),
          positions);
    }
    out.position(0);
    colsOff.position(0);
    double[] c = cols;
    colsOff.get(c);
    java.util.Arrays.fill(x, 0, conv.inDim(), 0.0);
    int[] src = source;
    for (int i = 0; i < c.length; i++) {
      int s = src[i];
      if (s >= 0) {
        x[s] += c[i];
      }
    }
  }

  @Override
  public double[] absRowSums() {
    return conv.absRowSums();
  }

  @Override
  public double[] absColSums() {
    return conv.absColSums();
  }

  @Override
  public void close() {
    kernel.close();
    colsOff.close();
    out.close();
  }
}
