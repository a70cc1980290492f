package io.lipwatch.trainer.regularize;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.bounds.lipsdp.LipSdp;
import io.lipwatch.estimator.bounds.lipsdp.LipSdpException;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lipschitz-bounded training by ADMM (Pauli et al. 2020) for MLPs: the trained weights W, a copy W̄ that satisfies
 * the LipSDP LMI, and the scaled dual Y. One outer iteration ({@link #update}) after every W-step:
 * <ol>
 *   <li>T ← LipSDP-Neuron multipliers of the current W (floored at 10⁻⁴·max T so that W̄ = 0 is strictly feasible);</li>
 *   <li>W̄ ← argmin ‖W̄ − (W + Y/ρ)‖² s.t. LMI(W̄, T, L_des²) (enforce) or + (2µ/ρ)·L² with L free (penalise);</li>
 *   <li>Y ← Y + ρ(W − W̄) (Y = 0 after the first W̄-step, which projects the warm-started weights).</li>
 * </ol>
 * The W-step is ordinary training with (ρ/2)‖W − W̄ + Y/ρ‖² added to the loss: this class is that term's
 * {@link ParameterPenalty}. W̄ is feasible after every W̄-step, checked by our own certificate (never the solver's
 * word); {@link #certifiedNetwork} is the network with W̄ in place of W, whose LipSDP bound is at most L_des in enforce
 * mode. Biases are not constrained (they do not change the Lipschitz constant).
 */
public final class AdmmLipSdp implements ParameterPenalty {
  private static final Logger LOG = LoggerFactory.getLogger(AdmmLipSdp.class);

  /**
   * Cost of Σt in the LipSDP that picks T (scaled problem), see {@link LipSdp#solve}. Measured on a 784-50-50-10
   * weight-decay net: pure LipSDP gave t up to 1.4·10⁶, and the W̄-step with that T landed at a certified L of 23.5
   * from W's 11.56 (cost 18 against 2.7 for W̄ = W); with 10⁻³, t ≤ 41, L(W) 11.5675 (+0.05 %), and the W̄-step
   * behaves (certified 9.65, cost 2.09).
   */
  static final double MULTIPLIER_COST = 1e-3;

  private final AdmmSettings settings;
  private final List<ActivationSpec> activations;
  private final DataType dtype;
  private List<DenseMatrix> wBar; // rows = outputs, as LipSDP takes them
  private INDArray[] wBarParam; // W̄ in DL4J's layout [nIn, nOut]
  private INDArray[] yParam; // Y in DL4J's layout
  private Report last;
  private int iterations;
  private int failures;
  private String lastFailure;

  /**
   * What one outer iteration found.
   *
   * @param iteration      1, 2, …
   * @param boundOfW       LipSDP-Neuron of the trained weights W before the W̄-step (sound, verified)
   * @param boundOfWBar    the Lipschitz bound verified for W̄ with the fixed T (≤ L_des in enforce mode)
   * @param primalResidual ‖W − W̄‖_F after the step
   * @param dualResidual   ρ‖W̄ − W̄_previous‖_F
   * @param seconds        wall time of the LipSDP solve and the projection
   */
  public record Report(int iteration, double boundOfW, double boundOfWBar, double primalResidual, double dualResidual,
      double seconds) {
    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT,
          "ADMM iteration %d: LipSDP(W) %.4g, verified bound of W̄ %.4g, ‖W − W̄‖ %.3g, dual residual %.3g (%.1f s)",
          iteration, boundOfW, boundOfWBar, primalResidual, dualResidual, seconds);
    }
  }

  /**
   * @throws IllegalArgumentException when the network is not an MLP of dense layers with activations of slope range
   *     [0, β] (ReLU, tanh, sigmoid …), which the projection needs
   */
  public AdmmLipSdp(MultiLayerNetwork net, AdmmSettings settings) {
    this.settings = settings;
    this.activations = hiddenActivations(net);
    this.dtype = net.params().dataType();
  }

  public AdmmSettings settings() {
    return settings;
  }

  /** The last outer iteration, or null before the first. */
  public Report lastReport() {
    return last;
  }

  public boolean started() {
    return wBar != null;
  }

  /** Outer iterations that failed (solver timeout, infeasible, not verified) and were skipped. */
  public int failures() {
    return failures;
  }

  /**
   * {@link #update}, but a LipSDP failure is logged and skipped: W̄ and Y stay as they were (the previous W̄ is still
   * certified), and training goes on. Returns null when skipped.
   */
  public Report tryUpdate(MultiLayerNetwork net) {
    try {
      return update(net);
    } catch (LipSdpException e) {
      failures++;
      lastFailure = e.reason().name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage();
      LOG.warn("ADMM outer iteration skipped ({} so far): {}", failures, lastFailure);
      return null;
    }
  }

  /** One outer iteration: T from the current W, the W̄-step, the dual update. */
  public Report update(MultiLayerNetwork net) {
    long t0 = System.nanoTime();
    List<DenseMatrix> w = weights(net);
    LipSdp.Limits limits = settings.limits();
    LipSdp.Solution sol = LipSdp.solve(w, activations, LipSdp.Mode.NEURON, limits, MULTIPLIER_COST);
    double[] t = sol.multipliers().clone();
    double tMax = 0;
    for (double v : t) {
      tMax = Math.max(tMax, v);
    }
    for (int k = 0; k < t.length; k++) {
      t[k] = Math.max(t[k], 1e-4 * tMax);
    }
    double rho = settings.rho();
    List<DenseMatrix> center = new ArrayList<>(w.size());
    for (int i = 0; i < w.size(); i++) {
      center.add(yParam == null ? w.get(i) : plus(w.get(i), fromParam(yParam[i]), 1 / rho));
    }
    LipSdp.Projection p = settings.mode() == AdmmSettings.Mode.ENFORCE
        ? LipSdp.project(center, activations, t, settings.targetMargin() * settings.target(), limits)
        : LipSdp.projectPenalized(center, activations, t, 2 * settings.mu() / rho, limits);
    if (settings.mode() == AdmmSettings.Mode.ENFORCE && !(p.lipschitzBound() <= settings.target())) {
      throw new LipSdpException(LipSdpException.Reason.NOT_VERIFIED, "projected weights verified only at L = "
          + p.lipschitzBound() + " > target " + settings.target());
    }
    double dual = 0;
    if (wBar != null) {
      for (int i = 0; i < w.size(); i++) {
        dual += sq(plus(p.weights().get(i), wBar.get(i), -1));
      }
    }
    wBar = p.weights();
    double primal = 0;
    INDArray[] newWBar = new INDArray[w.size()];
    INDArray[] newY = new INDArray[w.size()];
    for (int i = 0; i < w.size(); i++) {
      DenseMatrix r = plus(w.get(i), wBar.get(i), -1);
      primal += sq(r);
      newWBar[i] = toParam(wBar.get(i));
      // the first W̄-step starts the dual at 0 rather than at ρ(W − W̄): the first W-step then pulls W towards the
      // feasible W̄ itself, not towards its reflection 2W̄ − W (which costs most of the accuracy for an epoch)
      DenseMatrix yi = yParam == null ? scaled(r, 0) : plus(fromParam(yParam[i]), r, rho);
      newY[i] = toParam(yi);
    }
    wBarParam = newWBar;
    yParam = newY;
    iterations++;
    last = new Report(iterations, sol.bound().value(), p.lipschitzBound(), Math.sqrt(primal), rho * Math.sqrt(dual),
        (System.nanoTime() - t0) / 1e9);
    LOG.info("{} ({})", last, p.note());
    return last;
  }

  /** Adds ρ(W − W̄) + Y to each weight matrix's gradient; returns (ρ/2)‖W − W̄ + Y/ρ‖². */
  @Override
  public double addGradient(MultiLayerNetwork net, INDArray grad, double weight) {
    if (wBarParam == null) {
      return 0;
    }
    double rho = settings.rho();
    double value = 0;
    Layer[] layers = net.getLayers();
    for (int i = 0; i < layers.length; i++) {
      INDArray wp = layers[i].getParam("W");
      INDArray d = wp.sub(wBarParam[i]).muli(rho).addi(yParam[i]);
      double n = d.norm2Number().doubleValue();
      value += n * n / (2 * rho);
      INDArray view = layers[i].getGradientsViewArray();
      long nw = wp.length();
      INDArray gw = RegularizedTrainer.slice(view, 0, nw); // W comes first in a dense layer's view, 'f' order
      gw.addi(Nd4j.toFlattened('f', d).reshape(gw.shape()));
    }
    return value;
  }

  /** A copy of the network with W̄ in place of W (biases kept): the LipSDP-certified model. */
  public MultiLayerNetwork certifiedNetwork(MultiLayerNetwork net) {
    if (wBarParam == null) {
      throw new IllegalStateException("no certified weights yet: every ADMM W̄-step so far failed"
          + (lastFailure == null ? "" : " (last: " + lastFailure + ")"));
    }
    MultiLayerNetwork c = net.clone();
    Layer[] layers = c.getLayers();
    for (int i = 0; i < layers.length; i++) {
      layers[i].getParam("W").assign(wBarParam[i]);
    }
    return c;
  }

  /** The hidden activations of an MLP the projection accepts, or an exception saying why not. */
  static List<ActivationSpec> hiddenActivations(MultiLayerNetwork net) {
    Layer[] layers = net.getLayers();
    if (layers.length < 2) {
      throw new IllegalArgumentException("admm-lipsdp needs an MLP with at least one hidden layer");
    }
    List<ActivationSpec> acts = new ArrayList<>();
    for (int i = 0; i < layers.length; i++) {
      org.deeplearning4j.nn.conf.layers.Layer conf = layers[i].conf().getLayer();
      String name = conf.getLayerName() == null ? "layer " + i : conf.getLayerName();
      if (i == layers.length - 1) {
        if (!(conf instanceof BaseOutputLayer)) {
          throw new IllegalArgumentException("admm-lipsdp: the last layer must be a dense output layer");
        }
        continue;
      }
      if (!(conf instanceof DenseLayer dl)) {
        throw new IllegalArgumentException("admm-lipsdp trains MLPs (dense layers) only; " + name + " is "
            + conf.getClass().getSimpleName() + " (use --arch mlp)");
      }
      ActivationSpec a = ActivationSpec.of(dl.getActivationFn(), name, "DenseLayer");
      if (a.slopeMin() != 0 || !a.elementWise()) {
        throw new IllegalArgumentException("admm-lipsdp needs hidden activations with slopes in [0, β] (relu, tanh, "
            + "sigmoid); " + name + " has " + a.name());
      }
      acts.add(a);
    }
    return List.copyOf(acts);
  }

  /** The weight matrices as LipSDP takes them (rows = outputs), in double. */
  static List<DenseMatrix> weights(MultiLayerNetwork net) {
    List<DenseMatrix> out = new ArrayList<>();
    for (Layer l : net.getLayers()) {
      out.add(fromParam(l.getParam("W")));
    }
    return out;
  }

  /** DL4J's [nIn, nOut] weight → DenseMatrix nOut × nIn. */
  static DenseMatrix fromParam(INDArray w) {
    double[][] m = w.castTo(DataType.DOUBLE).transpose().toDoubleMatrix();
    int rows = m.length;
    int cols = m[0].length;
    double[] d = new double[rows * cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(m[r], 0, d, r * cols, cols);
    }
    return new DenseMatrix(rows, cols, d);
  }

  private INDArray toParam(DenseMatrix m) {
    INDArray a = Nd4j.create(m.data(), new long[] {m.rows(), m.cols()}, 'c').transpose().dup('c').castTo(dtype);
    return a.isAttached() ? a.detach() : a;
  }

  private static DenseMatrix plus(DenseMatrix a, DenseMatrix b, double f) {
    double[] d = a.data().clone();
    double[] e = b.data();
    for (int k = 0; k < d.length; k++) {
      d[k] += f * e[k];
    }
    return new DenseMatrix(a.rows(), a.cols(), d);
  }

  private static DenseMatrix scaled(DenseMatrix a, double f) {
    double[] d = a.data().clone();
    for (int k = 0; k < d.length; k++) {
      d[k] *= f;
    }
    return new DenseMatrix(a.rows(), a.cols(), d);
  }

  private static double sq(DenseMatrix a) {
    double s = 0;
    for (double v : a.data()) {
      s += v * v;
    }
    return s;
  }
}
