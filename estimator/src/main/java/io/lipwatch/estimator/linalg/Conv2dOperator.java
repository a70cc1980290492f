package io.lipwatch.estimator.linalg;

import java.util.Arrays;

/**
 * A 2-D convolution (cross-correlation, as DL4J computes it) on one NCHW example, without bias: zero padding
 * (padTop/padLeft; the bottom/right padding is implied by the output size), stride and dilation.
 * {@code kernel} is DL4J's W of shape [cOut, cIn, kH, kW] in c-order.
 */
public record Conv2dOperator(int cIn, int inH, int inW, int cOut, int outH, int outW, int kH, int kW, int sH, int sW,
    int dH, int dW, int padTop, int padLeft, double[] kernel) implements LinearOperator {

  public Conv2dOperator {
    if (kernel.length != cOut * cIn * kH * kW) {
      throw new IllegalArgumentException("kernel length " + kernel.length + " != " + cOut + "x" + cIn + "x" + kH + "x" + kW);
    }
  }

  @Override
  public int inDim() {
    return cIn * inH * inW;
  }

  @Override
  public int outDim() {
    return cOut * outH * outW;
  }

  @Override
  public long macs() {
    return (long) outDim() * cIn * kH * kW;
  }

  @Override
  public void apply(double[] x, double[] y) {
    Arrays.fill(y, 0, outDim(), 0.0);
    accumulate(x, y, false);
  }

  @Override
  public void applyTranspose(double[] y, double[] x) {
    Arrays.fill(x, 0, inDim(), 0.0);
    accumulate(x, y, true);
  }

  /**
   * The one loop nest over (output channel, input channel, tap, output row) that both directions share: y += K·x, or
   * x += Kᵀ·y when {@code transpose}. Each entry receives its terms in the same order as a loop written for one
   * direction alone would give them, so the sums are the same to the bit. The direction is chosen outside the
   * innermost loop: a test inside it cost about 30 % of the time.
   */
  private void accumulate(double[] x, double[] y, boolean transpose) {
    int inPlane = inH * inW;
    int outPlane = outH * outW;
    for (int co = 0; co < cOut; co++) {
      for (int ci = 0; ci < cIn; ci++) {
        int kb = (co * cIn + ci) * kH * kW;
        int xb = ci * inPlane;
        for (int p = 0; p < kH; p++) {
          for (int q = 0; q < kW; q++) {
            double k = kernel[kb + p * kW + q];
            if (k == 0) {
              continue;
            }
            for (int oh = 0; oh < outH; oh++) {
              int ih = oh * sH - padTop + p * dH;
              if (ih < 0 || ih >= inH) {
                continue;
              }
              int yo = co * outPlane + oh * outW;
              int xo = xb + ih * inW;
              int iw0 = q * dW - padLeft;
              if (transpose) {
                for (int ow = 0; ow < outW; ow++) {
                  int iw = ow * sW + iw0;
                  if (iw >= 0 && iw < inW) {
                    x[xo + iw] += k * y[yo + ow];
                  }
                }
              } else {
                for (int ow = 0; ow < outW; ow++) {
                  int iw = ow * sW + iw0;
                  if (iw >= 0 && iw < inW) {
                    y[yo + ow] += k * x[xo + iw];
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /** The same geometry with |K|: |A| as an operator, for the Hölder bound. */
  public Conv2dOperator abs() {
    double[] a = new double[kernel.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.abs(kernel[i]);
    }
    return new Conv2dOperator(cIn, inH, inW, cOut, outH, outW, kH, kW, sH, sW, dH, dW, padTop, padLeft, a);
  }

  @Override
  public double[] absRowSums() {
    double[] ones = new double[inDim()];
    Arrays.fill(ones, 1.0);
    double[] r = new double[outDim()];
    abs().apply(ones, r);
    return r;
  }

  @Override
  public double[] absColSums() {
    double[] ones = new double[outDim()];
    Arrays.fill(ones, 1.0);
    double[] c = new double[inDim()];
    abs().applyTranspose(ones, c);
    return c;
  }

  /** Effective (dilated) kernel extent along H and W. */
  public int effKH() {
    return (kH - 1) * dH + 1;
  }

  public int effKW() {
    return (kW - 1) * dW + 1;
  }

  /**
   * Smallest torus on which this zero-padded, strided convolution is a restriction of a circular one: every window
   * of every output lies inside [0, N) after shifting by the top/left padding, and so does the input.
   */
  public int[] paddedGrid() {
    int nh = Math.max(padTop + inH, (outH - 1) * sH + effKH());
    int nw = Math.max(padLeft + inW, (outW - 1) * sW + effKW());
    return new int[] {nh, nw};
  }

  /**
   * The im2col table of this convolution: entry [(ci·kH + p)·kW + q][output position] is the flat input index the tap
   * (ci, p, q) reads at that position, or −1 in the padding (the GEMM forms of the probes and the power iteration).
   */
  public int[] patchSources() {
    int positions = outH() * outW();
    int[] src = new int[cIn() * kH() * kW() * positions];
    int k = 0;
    for (int ci = 0; ci < cIn(); ci++) {
      for (int p = 0; p < kH(); p++) {
        for (int q = 0; q < kW(); q++, k++) {
          for (int oh = 0; oh < outH(); oh++) {
            int ih = oh * sH() - padTop() + p * dH();
            for (int ow = 0; ow < outW(); ow++) {
              int iw = ow * sW() - padLeft() + q * dW();
              boolean inside = ih >= 0 && ih < inH() && iw >= 0 && iw < inW();
              src[k * positions + oh * outW() + ow] = inside ? (ci * inH() + ih) * inW() + iw : -1;
            }
          }
        }
      }
    }
    return src;
  }
}
