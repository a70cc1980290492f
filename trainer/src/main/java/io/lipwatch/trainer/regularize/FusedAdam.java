package io.lipwatch.trainer.regularize;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The buffered step's optimiser: DL4J's Adam and the parameter update (params −= update) as one pass over float
 * arrays, split in two element blocks ({@link ElementBlocks}). DL4J's path for the same step is one native op per
 * updater block plus an ND4J subtraction over every parameter, 1–1.7 ms per step on the 0.27-million-parameter MLP;
 * this pass reads the gradient view once, keeps m, v and the parameters in Java arrays and writes the parameters back.
 *
 * <p>Same arithmetic as ND4J's {@code adam_updater} in float32: m ← β₁m + (1 − β₁)g, v ← β₂v + g·g·(1 − β₂), update =
 * m·α_t / (√v + ε) with α_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) (its ε added to √v before the bias correction, t = iteration +
 * 1), then p ← p − update. The Adam state lives in the network's updater state view between epochs ({@link #begin}
 * loads it with the parameters, {@link #end} writes m and v back), so a warm start, a saved model with its updater and a
 * later DL4J {@code fit} continue from the same state.
 *
 * <p>Applies to a {@link BaseMultiLayerUpdater} whose blocks are all Adam on float32 with no regularisation or
 * gradient normalisation in the layer configuration (what the step's own update skips as well); otherwise the trainer
 * keeps DL4J's updater.
 */
final class FusedAdam {
  private final MultiLayerNetwork net;
  /** The updater whose state is loaded (DL4J replaces it on a learning-rate change: {@link #begin} rebinds). */
  private BaseMultiLayerUpdater<?> bound;
  private Block[] blocks;
  private float[] p;
  private float[] m;
  private float[] v;
  private float[] g;
  private FloatBuffer params;
  private FloatBuffer grads;
  private FloatBuffer state;

  /** One updater block: parameters [from, to), m at mAt and v at vAt of the state view. */
  private record Block(int from, int to, int mAt, int vAt, AdamUpdater updater) {}

  private FusedAdam(MultiLayerNetwork net) {
    this.net = net;
  }

  /** The fused update for this network, or null when its updater is not plain float32 Adam (see the class comment). */
  static FusedAdam tryOf(MultiLayerNetwork net) {
    FusedAdam f = new FusedAdam(net);
    return f.bind() ? f : null;
  }

  /** Reads the network's current updater; false when it is not one this pass reproduces. */
  private boolean bind() {
    if (!(net.getUpdater() instanceof BaseMultiLayerUpdater<?> u)) {
      return false;
    }
    INDArray view = u.getStateViewArray();
    INDArray ps = net.params();
    INDArray gs = net.getFlattenedGradients();
    if (view == null || gs == null || !DenseStepKernel.whole(view) || !DenseStepKernel.whole(ps)
        || !DenseStepKernel.whole(gs) || ps.length() != gs.length()
        || ps.length() > Integer.MAX_VALUE) {
      return false;
    }
    List<Block> out = new ArrayList<>();
    for (UpdaterBlock ub : u.getUpdaterBlocks()) {
      if (ub.skipDueToPretrainConfig(false)) {
        continue;
      }
      for (UpdaterBlock.ParamState s : ub.getLayersAndVariablesInBlock()) {
        TrainingConfig c = s.getLayer().getConfig();
        List<?> r = c.getRegularizationByParam(s.getParamName());
        if ((r != null && !r.isEmpty()) || (c.getGradientNormalization() != null
            && c.getGradientNormalization() != GradientNormalization.None)) {
          return false;
        }
      }
      ub.init();
      if (!(ub.getGradientUpdater() instanceof AdamUpdater a) || a.getM() == null) {
        return false;
      }
      int n = ub.getParamOffsetEnd() - ub.getParamOffsetStart();
      if (ub.getUpdaterViewOffsetEnd() - ub.getUpdaterViewOffsetStart() != 2 * n) {
        return false;
      }
      // AdamUpdater's state view: m in the first half, v in the second
      out.add(new Block(ub.getParamOffsetStart(), ub.getParamOffsetEnd(), ub.getUpdaterViewOffsetStart(),
          ub.getUpdaterViewOffsetStart() + n, a));
    }
    bound = u;
    blocks = out.toArray(Block[]::new);
    params = ps.data().asNioFloat();
    grads = gs.data().asNioFloat();
    state = view.data().asNioFloat();
    int len = (int) ps.length();
    if (p == null || p.length != len) {
      p = new float[len];
      g = new float[len];
      m = new float[len];
      v = new float[len];
    }
    return true;
  }

  /**
   * Loads parameters and Adam state from the network (before the first step of an epoch).
   *
   * @return false when the network's updater changed into one this pass does not reproduce (then use DL4J's)
   */
  boolean begin() {
    if (net.getUpdater() != bound && !bind()) {
      return false;
    }
    params.get(0, p);
    for (Block b : blocks) {
      state.get(b.mAt, m, b.from, b.to - b.from);
      state.get(b.vAt, v, b.from, b.to - b.from);
    }
    return true;
  }

  /** Writes m and v back into the updater's state view (after the last step of an epoch). */
  void end() {
    for (Block b : blocks) {
      state.put(b.mAt, m, b.from, b.to - b.from);
      state.put(b.vAt, v, b.from, b.to - b.from);
    }
  }

  /** One Adam step on the gradient view at DL4J's iteration and epoch counts; writes the new parameters. */
  void step(int iteration, int epoch) {
    for (Block b : blocks) {
      Adam c = b.updater.getConfig();
      float lr = (float) c.getLearningRate(iteration, epoch);
      float beta1 = (float) c.getBeta1();
      float beta2 = (float) c.getBeta2();
      float eps = (float) c.getEpsilon();
      float alpha = stepSize(lr, beta1, beta2, eps, iteration);
      int from = b.from;
      ElementBlocks.run(b.to - from, ElementBlocks.STEP_MIN_SPLIT, 16,
          (lo, hi) -> update(from + lo, from + hi, alpha, beta1, beta2, eps));
    }
  }

  /** α_t in ND4J's float arithmetic (the square root in float, the division in double, then rounded to float). */
  static float stepSize(float lr, float beta1, float beta2, float eps, int iteration) {
    float t = (float) iteration + 1f;
    float beta1T = (float) Math.pow(beta1, t);
    float beta2T = (float) Math.pow(beta2, t);
    float alpha = (float) ((lr * (float) Math.sqrt((float) (1.0 - beta2T))) / (1.0 - beta1T));
    return Float.isNaN(alpha) || Float.isInfinite(alpha) || alpha == 0 ? (eps == 0 ? 1e-7f : eps) : alpha;
  }

  private void update(int from, int to, float alpha, float beta1, float beta2, float epsilon) {
    int len = to - from;
    grads.get(from, g, from, len);
    float eps = epsilon == 0 ? 1e-7f : epsilon;
    float mb1 = 1f - beta1;
    float mb2 = 1f - beta2;
    float[] pp = p;
    float[] mm = m;
    float[] vv = v;
    float[] gg = g;
    for (int i = from; i < to; i++) {
      float gi = gg[i];
      float mi = beta1 * mm[i] + gi * mb1;
      float vi = beta2 * vv[i] + gi * gi * mb2;
      mm[i] = mi;
      vv[i] = vi;
      pp[i] = pp[i] - (mi * alpha) / ((float) Math.sqrt(vi) + eps);
    }
    params.put(from, pp, from, len);
  }
}
