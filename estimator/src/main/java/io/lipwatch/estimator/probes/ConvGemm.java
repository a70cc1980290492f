package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution on a whole float32 batch as one GEMM (im2col): the kernel as a [cOut, cIn·kH·kW] matrix times the
 * batch's patch matrix [cIn·kH·kW, n·P] (P output positions), and the transpose as the kernel's transpose times the
 * output gradient followed by col2im. The same map as {@link Conv2dOperator#apply} (stride, zero padding, dilation),
 * run by BLAS instead of scalar loops: the attacks on convolutional ONNX models and graphs need it to fit the stream's
 * probe budget.
 */
final class ConvGemm {
  /** Patch matrices above this many floats are built in slices of samples. */
  private static final long MAX_COL_FLOATS = 16L << 20;

  private final Conv2dOperator conv;
  private final INDArray kernel;
  private final INDArray kernelT;
  private final int patch;
  private final int positions;
  /** Per (patch row k, output position p): the input offset within one example, or −1 for zero padding. */
  private final int[] source;

  ConvGemm(Conv2dOperator c) {
    this.conv = c;
    this.patch = c.cIn() * c.kH() * c.kW();
    this.positions = c.outH() * c.outW();
    float[] k = new float[c.kernel().length];
    for (int i = 0; i < k.length; i++) {
      k[i] = (float) c.kernel()[i];
    }
    this.kernel = Nd4j.createFromArray(k).reshape('c', c.cOut(), patch);
    this.kernelT = kernel.transpose().dup('c');
    this.source = c.patchSources();
  }

  /** y = A·x per row ({@code transpose}: Aᵀ·x) for a row-major batch of n examples. */
  float[] apply(float[] z, int n, boolean transpose) {
    int inDim = transpose ? conv.outDim() : conv.inDim();
    int outDim = transpose ? conv.inDim() : conv.outDim();
    float[] y = new float[n * outDim];
    int slice = (int) Math.max(1, Math.min(n, MAX_COL_FLOATS / ((long) patch * positions)));
    for (int r0 = 0; r0 < n; r0 += slice) {
      int m = Math.min(slice, n - r0);
      if (transpose) {
        backward(z, r0, m, y);
      } else {
        forward(z, r0, m, y);
      }
    }
    assert z.length == n * inDim;
    return y;
  }

  private void forward(float[] x, int r0, int m, float[] y) {
    int cols = m * positions;
    float[] col = new float[patch * cols];
    int inDim = conv.inDim();
    IntStream.range(0, patch).parallel().forEach(k -> {
      for (int r = 0; r < m; r++) {
        int xo = (r0 + r) * inDim;
        for (int p = 0; p < positions; p++) {
          int s = source[k * positions + p];
          col[k * cols + r * positions + p] = s < 0 ? 0f : x[xo + s];
        }
      }
    });
    float[] out = kernel.mmul(Nd4j.createFromArray(col).reshape('c', patch, cols)).dup('c').data().asFloat();
    int cOut = conv.cOut();
    int outDim = conv.outDim();
    for (int co = 0; co < cOut; co++) {
      for (int r = 0; r < m; r++) {
        System.arraycopy(out, co * cols + r * positions, y, (r0 + r) * outDim + co * positions, positions);
      }
    }
  }

  private void backward(float[] g, int r0, int m, float[] gx) {
    int cols = m * positions;
    int cOut = conv.cOut();
    int outDim = conv.outDim();
    float[] gy = new float[cOut * cols];
    for (int co = 0; co < cOut; co++) {
      for (int r = 0; r < m; r++) {
        System.arraycopy(g, (r0 + r) * outDim + co * positions, gy, co * cols + r * positions, positions);
      }
    }
    float[] gcol = kernelT.mmul(Nd4j.createFromArray(gy).reshape('c', cOut, cols)).dup('c').data().asFloat();
    int inDim = conv.inDim();
    // col2im: each example's input gradient is written by one thread only
    IntStream.range(0, m).parallel().forEach(r -> {
      int xo = (r0 + r) * inDim;
      for (int k = 0; k < patch; k++) {
        for (int p = 0; p < positions; p++) {
          int s = source[k * positions + p];
          if (s >= 0) {
            gx[xo + s] += gcol[k * cols + r * positions + p];
          }
        }
      }
    });
  }

}
