package io.lipwatch.trainer.regularize;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * C ← op(A)·op(B) on float32 row-major matrices, straight to OpenBLAS's sgemm (the one ND4J calls): the training step
 * makes eight products at batch 128, and ND4J's gemm op added 20–40 µs of dispatch to each, a tenth of the step.
 * Operands that are not row-major with unit column stride (or not float32) go through {@link Nd4j#gemm} instead.
 */
final class RowMajorGemm {
  private RowMajorGemm() {}

  static void gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c) {
    if (!rowMajor(a) || !rowMajor(b) || !rowMajor(c)) {
      Nd4j.gemm(a, b, c, transA, transB, 1.0, 0.0);
      return;
    }
    int m = (int) (transA ? a.size(1) : a.size(0));
    int k = (int) (transA ? a.size(0) : a.size(1));
    int n = (int) (transB ? b.size(0) : b.size(1));
    if (c.size(0) != m || c.size(1) != n || (transB ? b.size(1) : b.size(0)) != k) {
      throw new IllegalArgumentException("gemm shapes " + java.util.Arrays.toString(a.shape()) + (transA ? "ᵀ" : "")
          + " · " + java.util.Arrays.toString(b.shape()) + (transB ? "ᵀ" : "") + " → "
          + java.util.Arrays.toString(c.shape()));
    }
    openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
        transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1f, pointer(a), (int) a.stride(0), pointer(b),
        (int) b.stride(0), 0f, pointer(c), (int) c.stride(0));
  }

  /** A float32 matrix whose rows are contiguous (a row-major array or a block of rows or columns of one). */
  private static boolean rowMajor(INDArray x) {
    return x.rank() == 2 && x.dataType() == DataType.FLOAT && x.stride(1) == 1 && x.stride(0) >= x.size(1)
        && x.size(0) > 0 && x.size(1) > 0;
  }

  private static FloatPointer pointer(INDArray x) {
    // a view's buffer pointer is already at its first element (its offset is counted in the buffer)
    return new FloatPointer(x.data().addressPointer());
  }
}
