package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The batched im2col convolution computes the engine's convolution and its transpose, for every geometry. */
class ConvGemmTest {
  @Test
  void matchesTheEngineConvolutionAndItsTransposeOnRandomGeometries() {
    SplittableRandom r = new SplittableRandom(11);
    for (int t = 0; t < 60; t++) {
      int cIn = 1 + r.nextInt(3);
      int cOut = 1 + r.nextInt(4);
      int kH = 1 + r.nextInt(3);
      int kW = 1 + r.nextInt(3);
      int sH = 1 + r.nextInt(2);
      int sW = 1 + r.nextInt(2);
      int dH = 1 + r.nextInt(2);
      int dW = 1 + r.nextInt(2);
      int inH = 4 + r.nextInt(5);
      int inW = 4 + r.nextInt(5);
      int padTop = r.nextInt(kH);
      int padLeft = r.nextInt(kW);
      int outH = (inH + 2 * padTop - dH * (kH - 1) - 1) / sH + 1;
      int outW = (inW + 2 * padLeft - dW * (kW - 1) - 1) / sW + 1;
      if (outH < 1 || outW < 1) {
        continue;
      }
      double[] kernel = new double[cOut * cIn * kH * kW];
      for (int i = 0; i < kernel.length; i++) {
        kernel[i] = r.nextDouble(-1, 1);
      }
      Conv2dOperator c = new Conv2dOperator(cIn, inH, inW, cOut, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft,
          kernel);
      ConvGemm g = new ConvGemm(c);
      int n = 1 + r.nextInt(4);
      check(c, g, n, r, false);
      check(c, g, n, r, true);
    }
  }

  private static void check(Conv2dOperator c, ConvGemm g, int n, SplittableRandom r, boolean transpose) {
    int in = transpose ? c.outDim() : c.inDim();
    int out = transpose ? c.inDim() : c.outDim();
    float[] x = new float[n * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble(-1, 1);
    }
    float[] y = g.apply(x, n, transpose);
    for (int row = 0; row < n; row++) {
      double[] xr = new double[in];
      for (int k = 0; k < in; k++) {
        xr[k] = x[row * in + k];
      }
      double[] want = new double[out];
      if (transpose) {
        c.applyTranspose(xr, want);
      } else {
        c.apply(xr, want);
      }
      for (int k = 0; k < out; k++) {
        assertEquals(want[k], y[row * out + k], 1e-4 * (1 + Math.abs(want[k])), c + " row " + row + " index " + k);
      }
    }
  }
}
