package io.lipwatch.trainer.regularize;

import io.lipwatch.estimator.linalg.ConvSpectral;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LipBound regularisation (Araujo et al. 2021): the loss gets C·Σ_conv layers log LipBound(K), with
 * LipBound(K) = √(Σ_i max_ω Σ_j |f_ij(ω)|²) taken on an S×S grid of frequencies (S = 10 as in their training), where
 * f_ij(ω) = Σ_{p,q} K[i,j,p,q]·e^{i(p·d_h·ω₁ + q·d_w·ω₂)} is the trigonometric polynomial of output channel i and input
 * channel j. As in their training code the grid value carries no correction factor: a constant factor changes neither
 * the gradient nor the minimiser, and with S = 10 no correction exists for 5×5 kernels anyway. It is therefore a
 * training objective, not a certified bound; the estimator's sound {@code lipbound} value is computed separately.
 *
 * <p>Exact subgradient: with m_i = max_grid p_i(ω) reached at ω_i*, ∂ log LipBound/∂K[i,j,p,q] =
 * (Re f_ij(ω_i*)·cos θ + Im f_ij(ω_i*)·sin θ) / Σ_k m_k with θ = p·d_h·ω*₁ + q·d_w·ω*₂ (the max over a finite grid is
 * differentiable away from ties, where this is one of the one-sided derivatives).
 *
 * <p>Covers DL4J's {@link ConvolutionLayer} (2-D, any stride, padding, dilation; stride is not modelled by LipBound).
 * Its subclasses (depthwise, separable, deconvolution, 1-D, 3-D) have other kernel layouts and are refused by name.
 * Where a kernel element sits in the flattened parameter vector is read from DL4J itself once (no layout assumption).
 */
public final class LipBoundPenalty implements ParameterPenalty {
  /** The grid of their training runs. */
  public static final int DEFAULT_GRID = 10;

  private final int grid;
  private final List<Conv> convs;

  /** One regularised convolution: geometry and where its kernel elements (c-order [out, in, kh, kw]) live. */
  private record Conv(String name, int layer, int cOut, int cIn, int kH, int kW, int dH, int dW, long start, int[] flatIndex,
      boolean contiguous) {}

  /**
   * @param grid S of the S×S frequency grid
   * @throws IllegalArgumentException when the network has no convolution layer, or one LipBound does not cover
   */
  public LipBoundPenalty(MultiLayerNetwork net, int grid) {
    if (grid < 2) {
      throw new IllegalArgumentException("LipBound grid must be at least 2×2, got " + grid);
    }
    this.grid = grid;
    this.convs = locate(net);
    if (convs.isEmpty()) {
      throw new IllegalArgumentException("lipbound regularises convolution layers; this network has none: use --arch cnn");
    }
  }

  public int grid() {
    return grid;
  }

  /** Names of the regularised layers, in network order. */
  public List<String> layerNames() {
    return convs.stream().map(Conv::name).toList();
  }

  @Override
  public double addGradient(MultiLayerNetwork net, INDArray grad, double weight) {
    Layer[] layers = net.getLayers();
    double total = 0;
    for (Conv c : convs) {
      double[] k = kernel(layers[c.layer]);
      ConvSpectral.GridMaxima g = ConvSpectral.lipBoundGrid(k, c.cOut, c.cIn, c.kH, c.kW, c.dH, c.dW, grid);
      double sum = g.value() * g.value();
      if (!(sum > 0)) {
        continue; // an all-zero kernel: log LipBound is −∞ and has no gradient; leave it out
      }
      total += 0.5 * Math.log(sum);
      if (weight != 0) {
        add(grad, c, gradient(k, c, g, weight / sum));
      }
    }
    return total;
  }

  /** Σ over the convolution layers of log LipBound on the grid (the penalty without its weight). */
  public double value(MultiLayerNetwork net) {
    double total = 0;
    for (double v : lipBounds(net)) {
      total += Math.log(v);
    }
    return total;
  }

  /** The grid LipBound of every regularised layer, in network order. */
  public double[] lipBounds(MultiLayerNetwork net) {
    Layer[] layers = net.getLayers();
    double[] out = new double[convs.size()];
    for (int n = 0; n < out.length; n++) {
      Conv c = convs.get(n);
      out[n] = ConvSpectral.lipBoundGrid(kernel(layers[c.layer]), c.cOut, c.cIn, c.kH, c.kW, c.dH, c.dW, grid).value();
    }
    return out;
  }

  /** Σ log LipBound of a network's convolution layers on an S×S grid. */
  public static double sumLogLipBound(MultiLayerNetwork net, int grid) {
    return new LipBoundPenalty(net, grid).value(net);
  }

  /** scale·∂(Σ_i m_i)/∂K / 2, in c-order [out, in, kh, kw]; with scale = C/Σm this is C·∂ log LipBound/∂K. */
  private static double[] gradient(double[] k, Conv c, ConvSpectral.GridMaxima g, double scale) {
    double[] d = new double[k.length];
    int kk = c.kH * c.kW;
    double[] cos = new double[kk];
    double[] sin = new double[kk];
    for (int o = 0; o < c.cOut; o++) {
      double w1 = 2 * Math.PI * g.argA()[o] / g.grid();
      double w2 = 2 * Math.PI * g.argB()[o] / g.grid();
      for (int p = 0; p < c.kH; p++) {
        for (int q = 0; q < c.kW; q++) {
          double th = p * c.dH * w1 + q * c.dW * w2;
          cos[p * c.kW + q] = Math.cos(th);
          sin[p * c.kW + q] = Math.sin(th);
        }
      }
      for (int i = 0; i < c.cIn; i++) {
        int base = (o * c.cIn + i) * kk;
        double re = 0;
        double im = 0;
        for (int t = 0; t < kk; t++) {
          re += k[base + t] * cos[t];
          im += k[base + t] * sin[t];
        }
        // ∂|f_oi|²/∂K[o,i,p,q] = 2(Re·cos θ + Im·sin θ); the ½ of log √ cancels the 2
        for (int t = 0; t < kk; t++) {
          d[base + t] = scale * (re * cos[t] + im * sin[t]);
        }
      }
    }
    return d;
  }

  private static void add(INDArray grad, Conv c, double[] delta) {
    DataType dt = grad.dataType();
    if (c.contiguous) {
      double[] flat = new double[delta.length];
      for (int t = 0; t < delta.length; t++) {
        flat[c.flatIndex[t]] = delta[t];
      }
      INDArray view = grad.rank() == 2
          ? grad.get(NDArrayIndex.point(0), NDArrayIndex.interval(c.start, c.start + delta.length))
          : grad.get(NDArrayIndex.interval(c.start, c.start + delta.length));
      view.addi(Nd4j.createFromArray(flat).castTo(dt).reshape(view.shape()));
    } else {
      for (int t = 0; t < delta.length; t++) {
        long idx = c.start + c.flatIndex[t];
        grad.putScalar(idx, grad.getDouble(idx) + delta[t]);
      }
    }
  }

  private static double[] kernel(Layer l) {
    return l.getParam("W").castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  /**
   * Finds the convolution layers and, for each, the position of every kernel element in the network's flattened
   * parameters: the layer's parameters are set to 0, 1, 2, … for a moment and its W read back (then restored).
   */
  private static List<Conv> locate(MultiLayerNetwork net) {
    List<Conv> out = new ArrayList<>();
    Layer[] layers = net.getLayers();
    long offset = 0;
    for (int n = 0; n < layers.length; n++) {
      Layer l = layers[n];
      org.deeplearning4j.nn.conf.layers.Layer conf = l.conf().getLayer();
      String name = conf.getLayerName() == null ? "layer " + n : conf.getLayerName();
      if (conf instanceof ConvolutionLayer cl) {
        if (conf.getClass() != ConvolutionLayer.class) {
          throw new IllegalArgumentException("lipbound covers 2-D ConvolutionLayer only; layer '" + name + "' is a "
              + conf.getClass().getSimpleName());
        }
        INDArray w = l.getParam("W");
        if (w == null || w.rank() != 4) {
          throw new IllegalArgumentException("layer '" + name + "': expected a 4-D kernel W");
        }
        long[] s = w.shape();
        int[] dil = cl.getDilation() == null ? new int[] {1, 1} : cl.getDilation();
        int np = (int) l.numParams();
        if (np > (1 << 24)) {
          throw new IllegalArgumentException("layer '" + name + "' has too many parameters for lipbound (" + np + ")");
        }
        INDArray params = l.params();
        INDArray saved = params.dup();
        int[] index;
        try {
          params.assign(Nd4j.linspace(0, np - 1, np, params.dataType()).reshape(params.shape()));
          double[] pos = l.getParam("W").castTo(DataType.DOUBLE).dup('c').data().asDouble();
          index = new int[pos.length];
          for (int t = 0; t < pos.length; t++) {
            index[t] = (int) Math.round(pos[t]);
          }
        } finally {
          params.assign(saved);
        }
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int v : index) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        boolean contiguous = max - min + 1 == index.length;
        long start = offset;
        if (contiguous) {
          for (int t = 0; t < index.length; t++) {
            index[t] -= min;
          }
          start = offset + min;
        }
        out.add(new Conv(name, n, (int) s[0], (int) s[1], (int) s[2], (int) s[3], dil[0], dil[1], start, index, contiguous));
      }
      offset += l.numParams();
    }
    return out;
  }
}
