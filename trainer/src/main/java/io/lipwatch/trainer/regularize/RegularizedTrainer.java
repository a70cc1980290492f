package io.lipwatch.trainer.regularize;

import java.util.List;
import me.tongfei.progressbar.ProgressBar;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Trains a {@link MultiLayerNetwork} minibatch by minibatch with a regulariser, using the network's own layers and
 * updater (Adam state, iteration count) so that warm starts continue exactly where they left off.
 *
 * <p>One step = one forward pass of the stacked input [x_batch; x_pairs; x′_pairs] and one backward pass of the
 * stacked logit gradient [∂loss/∂z; λ·∂Lip/∂z]. It yields at once the exact weight gradient of data loss + penalty and
 * the input gradients of the penalty at every pair (for the ascent), which is why a CLIP epoch costs about one plain
 * epoch on a batch of B + 2P rows. The output layer (dense, softmax+MCXENT or identity+MSE) is done by hand because
 * DL4J's OutputLayer back-propagates from labels, not from an incoming gradient; the hidden layers and input
 * preprocessors use their own {@code backpropGradient}, which writes into the network's flattened gradient view.
 *
 * <p>A float32 MLP of dense ReLU layers (the trainer's own architecture) takes the buffered path instead
 * ({@link DenseStepKernel}: sgemm into kept buffers and straight into the gradient view, the elementwise work and the
 * loss in Java, CLIP's pair arithmetic on Java arrays) and, with Adam, one fused update pass ({@link FusedAdam}, DL4J's
 * Adam arithmetic bit for bit): the same arithmetic without allocating per minibatch, checked against this generic
 * path by {@code BufferedStepTest}, against DL4J's updater and {@code fit} by {@code FusedAdamTest} and against
 * PyTorch by {@code TrainTorchCompareTest}. Plain training (no regulariser) takes the same step, so the product's
 * plain epoch is the buffered one.
 */
public final class RegularizedTrainer {
  private static final LayerWorkspaceMgr WS = LayerWorkspaceMgr.noWorkspaces();
  private static final WorkspaceConfiguration STEP_WORKSPACE = WorkspaceConfiguration.builder()
      .initialSize(0).overallocationLimit(0.2).policyAllocation(AllocationPolicy.OVERALLOCATE)
      .policyLearning(LearningPolicy.FIRST_LOOP).policySpill(SpillPolicy.REALLOCATE).build();

  /** Loss of the output layer. */
  enum LossKind { SOFTMAX_XENT, MSE }

  private final MultiLayerNetwork net;
  private final LossKind lossKind;
  private final DataType dtype;
  private final Regularization reg;
  private double weight;
  /** CLIP's pairs and their ascent (null for the other regularisers). */
  private final ClipPenalty clip;
  /** µ/2·‖W‖² (null unless weight decay). */
  private final WeightDecay weightDecay;

  private double lastPenalty;
  private ParameterPenalty parameterPenalty;
  /** Epochs trained by this trainer (the schedule's clock). */
  private int epochsDone;
  /** The per-window schedule's state. */
  private final WindowedDiscrepancy window;
  private final List<WindowMove> moveLog = new java.util.ArrayList<>();
  private long stepsDone;
  private final long seed;
  private AdmmLipSdp admm;
  private int admmEpochs;
  /** LipBound's C·Σ log LipBound, built from the regularisation (null for the other regularisers). */
  private final LipBoundPenalty lipBound;
  /** The buffered sgemm passes of a float32 MLP (null: the network's own layers do the passes). */
  private DenseStepKernel kernel;
  /** The buffered path's optimiser when the network's updater is plain float32 Adam (null: DL4J's updater). */
  private FusedAdam adam;
  /** Whether the current epoch's steps go through {@link #adam} (its state loaded at the epoch's start). */
  private boolean fusedNow;
  /** The pair rows' input gradient of the buffered path [2P, d], kept between steps. */
  private INDArray pairGrad;
  private float[] pairBack;

  /**
   * @param lo, hi the input range; pairs are kept inside it
   * @throws IllegalArgumentException for LipBound on a network without convolution layers
   */
  public RegularizedTrainer(MultiLayerNetwork net, Regularization reg, double lo, double hi, long seed) {
    this.net = net;
    this.reg = reg;
    this.weight = reg.weight();
    this.seed = seed;
    this.window = new WindowedDiscrepancy(reg.schedule().factor(), reg.schedule().band(), reg.schedule().trend());
    this.dtype = net.params().dataType();
    this.clip = reg.regularizer() == Regularizer.CLIP ? new ClipPenalty(reg, dtype, lo, hi, seed) : null;
    this.weightDecay = reg.regularizer() == Regularizer.WEIGHT_DECAY ? new WeightDecay() : null;
    this.lipBound = reg.regularizer() == Regularizer.LIPBOUND ? new LipBoundPenalty(net, reg.lipBoundGrid()) : null;
    Layer out = net.getLayers()[net.getLayers().length - 1];
    if (!(out.conf().getLayer() instanceof BaseOutputLayer ol)) {
      throw new IllegalArgumentException("the last layer must be a dense output layer");
    }
    if (ol.getLossFn() instanceof LossMCXENT && ol.getActivationFn() instanceof ActivationSoftmax) {
      lossKind = LossKind.SOFTMAX_XENT;
    } else if (ol.getLossFn() instanceof LossMSE && ol.getActivationFn() instanceof ActivationIdentity) {
      lossKind = LossKind.MSE;
    } else {
      throw new IllegalArgumentException("output layer must be softmax + MCXENT or identity + MSE, got "
          + ol.getActivationFn() + " + " + ol.getLossFn());
    }
    if (net.getFlattenedGradients() == null) {
      net.initGradientsView();
    }
    // the updater (Adam state, per-block gradient views) must exist outside the step workspace
    net.getUpdater();
    this.kernel = DenseStepKernel.tryOf(net);
    this.adam = kernel == null ? null : FusedAdam.tryOf(net);
  }

  /** The same trainer doing its passes through the network's own layers (the path every other network takes). */
  RegularizedTrainer withoutKernel() {
    this.kernel = null;
    this.adam = null;
    return this;
  }

  /** The same trainer with the buffered passes but DL4J's updater (the path before the fused Adam). */
  RegularizedTrainer withoutFusedAdam() {
    this.adam = null;
    return this;
  }

  /** Whether the buffered step updates the parameters with the fused Adam pass. */
  boolean fusedAdam() {
    return adam != null;
  }

  /** Whether the buffered float32 passes serve this network. */
  boolean buffered() {
    return kernel != null;
  }

  /**
   * Adds a data-independent term to every step's loss (null removes it); its value is added to the step's penalty.
   * It comes on top of the regulariser's own terms (LipBound's penalty is built in and stays).
   */
  public RegularizedTrainer withParameterPenalty(ParameterPenalty p) {
    this.parameterPenalty = p;
    return this;
  }

  /**
   * Lipschitz-bounded training by ADMM (regularizer {@code admm-lipsdp}): installs the W-step's coupling term and runs
   * an outer iteration (LipSDP multipliers, W̄-step, dual update) before the first epoch and after every
   * {@link AdmmSettings#wStepEpochs()} epochs.
   *
   * @throws IllegalArgumentException when the network is not an MLP the projection accepts
   */
  public RegularizedTrainer withAdmm(AdmmSettings settings) {
    this.admm = new AdmmLipSdp(net, settings);
    this.admmEpochs = 0;
    return withParameterPenalty(admm);
  }

  /** The ADMM state, or null when not training with {@code admm-lipsdp}. */
  public AdmmLipSdp admm() {
    return admm;
  }

  /**
   * The network to publish: with ADMM in enforce mode the certified copy W̄ (its LipSDP bound is at most L_des),
   * otherwise the trained network itself.
   *
   * @throws IllegalStateException in enforce mode when no W̄-step has succeeded yet (nothing certified to publish)
   */
  public MultiLayerNetwork publishedNetwork() {
    if (admm != null && admm.settings().mode() == AdmmSettings.Mode.ENFORCE) {
      return admm.certifiedNetwork(net);
    }
    return net;
  }

  /** The current λ (CLIP), µ (weight decay) or C (LipBound); 0 without a regulariser. */
  public double weight() {
    return reg.regularizer() == Regularizer.NONE ? 0 : weight;
  }

  public Regularization regularization() {
    return reg;
  }

  public MultiLayerNetwork network() {
    return net;
  }

  /**
   * Penalty value of the last step without the weight: Lip (CLIP), ½‖W‖² (weight decay) or Σ log LipBound (LipBound),
   * plus the value of a {@link #withParameterPenalty parameter penalty}.
   */
  public double lastPenalty() {
    return lastPenalty;
  }

  /** The largest pair ratio ‖f(x)−f(x′)‖/‖x−x′‖ seen at the last CLIP step (a lower bound of L at that time). */
  public double lastMaxRatio() {
    return clip == null ? 0 : clip.lastMaxRatio();
  }

  /** Current pairs [2P, d] (x rows first), or null before the first CLIP step. */
  public INDArray pairs() {
    return clip == null ? null : clip.pairs();
  }

  /** CLIP's penalty and pairs, or null for the other regularisers. */
  public ClipPenalty clip() {
    return clip;
  }

  /**
   * One move of the per-window schedule: after minibatch {@code step} (counted over all epochs of this trainer) the
   * window's running accuracy and the weight it led to.
   */
  public record WindowMove(int epoch, long step, double accuracy, double weight) {}

  /** Every move of the per-window schedule so far, in order (empty for the per-epoch schedule). */
  public List<WindowMove> windowMoves() {
    return List.copyOf(moveLog);
  }

  /** What one epoch did. Accuracy is that of the minibatches as they were trained (free; NaN for regression). */
  public record EpochStats(double loss, double penalty, double maxRatio, double trainAccuracy, double weightBefore,
      double weightAfter, double seconds) {}

  /** The value and exact gradients of data loss + weight·penalty at given pairs, without updating anything. */
  public record Evaluation(double loss, double penalty, double[] ratios, INDArray weightGradient, INDArray pairGradient) {}

  /**
   * One epoch over pre-batched minibatches, then the discrepancy principle on the weight.
   *
   * @param bar progress bar stepped per minibatch, or null
   */
  public EpochStats epoch(List<DataSet> batches, ProgressBar bar) {
    long t0 = System.nanoTime();
    if (admm != null && !admm.started()) {
      admm.tryUpdate(net); // W̄ and Y from the warm-started weights before the first W-step
    }
    LambdaSchedule schedule = reg.schedule();
    boolean moves = reg.regularizer() != Regularizer.NONE && reg.regularizer() != Regularizer.ADMM_LIPSDP && reg.step() > 0;
    boolean perWindow = moves && schedule.perWindow() && epochsDone >= schedule.warmupEpochs();
    double before = weight();
    double loss = 0;
    double pen = 0;
    double maxRatio = 0;
    long correct = 0;
    long n = 0;
    long windowCorrect = 0;
    long windowN = 0;
    int windowSteps = 0;
    fusedNow = kernel != null && adam != null && adam.begin();
    try {
      for (DataSet b : batches) {
        Step s = step(b.getFeatures(), b.getLabels());
        stepsDone++;
        loss += s.loss * s.n;
        pen += s.penalty * s.n;
        maxRatio = Math.max(maxRatio, s.maxRatio);
        correct += s.correct;
        n += s.n;
        if (perWindow && lossKind == LossKind.SOFTMAX_XENT) {
          windowCorrect += s.correct;
          windowN += s.n;
          if (++windowSteps == schedule.window()) {
            double windowAcc = (double) windowCorrect / windowN;
            weight = window.next(weight, windowAcc, reg.targetAccuracy(), reg.step());
            moveLog.add(new WindowMove(epochsDone + 1, stepsDone, windowAcc, weight));
            windowCorrect = 0;
            windowN = 0;
            windowSteps = 0;
          }
        }
        if (bar != null) {
          bar.step();
        }
      }
    } finally {
      if (fusedNow) {
        adam.end(); // the Adam state back into the network's updater
        fusedNow = false;
      }
    }
    double acc = lossKind == LossKind.SOFTMAX_XENT ? (double) correct / n : Double.NaN;
    epochsDone++;
    if (moves && schedule.movesAfterEpoch(epochsDone)) {
      weight = Regularization.discrepancy(weight, acc, reg.targetAccuracy(), reg.step());
    }
    net.setEpochCount(net.getEpochCount() + 1);
    if (admm != null && ++admmEpochs % admm.settings().wStepEpochs() == 0) {
      admm.tryUpdate(net);
    }
    if (clip != null && weight > 0 && clip.tracking().engineSeeds() > 0) {
      clip.reseedFromEngine(net, ENGINE_STEPS, seed + epochsDone);
    }
    return new EpochStats(loss / n, pen / n, maxRatio, acc, before, weight(), (System.nanoTime() - t0) / 1e9);
  }

  /** Ascent steps of the engine's pair search when the trainer re-seeds from it after an epoch. */
  static final int ENGINE_STEPS = 20;

  /**
   * The trainer's running estimate of the Lipschitz constant: the largest quotient ‖f(x)−f(x′)‖/‖x−x′‖ over its CLIP
   * pairs at the current weights (a lower bound of L, like the engine's {@code clip-pairs}); NaN without pairs.
   */
  public double clipEstimate() {
    INDArray p = clip == null ? null : clip.livePairs();
    if (p == null) {
      return Double.NaN;
    }
    int k = (int) (p.size(0) / 2);
    INDArray z = forward(p.castTo(dtype)).logits;
    double[] fn = z.get(NDArrayIndex.interval(0, k), NDArrayIndex.all()).sub(z.get(NDArrayIndex.interval(k, 2L * k),
        NDArrayIndex.all())).norm2(1).toDoubleVector();
    double[] dn = p.get(NDArrayIndex.interval(0, k), NDArrayIndex.all()).sub(p.get(NDArrayIndex.interval(k, 2L * k),
        NDArrayIndex.all())).norm2(1).toDoubleVector();
    double best = 0;
    for (int i = 0; i < k; i++) {
      if (dn[i] > 0) {
        best = Math.max(best, fn[i] / dn[i]);
      }
    }
    return best;
  }

  private record Step(double loss, double penalty, double maxRatio, long correct, int n) {}

  /**
   * One optimiser step on a minibatch (after one ascent step on the pairs, for CLIP). On the generic path temporaries
   * live in a workspace reused across steps: without it every op allocates off-heap memory that only the garbage
   * collector frees, and the step runs several times slower than DL4J's own {@code fit}.
   */
  Step step(INDArray x, INDArray y) {
    if (kernel != null) {
      // the buffered step allocates nothing of the batch's size; activating the workspace per step cost more than
      // it saved (measured: a plain epoch 1.7–3.0 s in it, 1.1–2.0 s without)
      return bufferedStep(x, y);
    }
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP_WORKSPACE, "lipwatch-train-step")) {
      return stepInWorkspace(x, y);
    }
  }

  private Step stepInWorkspace(INDArray x, INDArray y) {
    int b = (int) x.size(0);
    boolean withPairs = clip != null && weight > 0;
    INDArray input = x.castTo(dtype);
    if (withPairs) {
      INDArray pairs = clip.pairsFor(x);
      if (clip.stalled()) {
        for (int k = 0; k < clip.tracking().stallAscent(); k++) {
          ascentPass(pairs);
        }
      }
      input = Nd4j.vstack(input, pairs);
    }
    Forward f = forward(input);
    INDArray z = f.logits;
    INDArray zb = withPairs ? z.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()) : z;
    INDArray eps = Nd4j.zeros(dtype, z.size(0), z.size(1));
    double loss = dataLoss(zb, y.castTo(dtype), eps.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()));
    long correct = lossKind == LossKind.SOFTMAX_XENT ? countCorrect(zb, y) : 0;
    double penalty = 0;
    ClipPenalty.Terms terms = null;
    if (withPairs) {
      terms = clip.terms(z, b, weight);
      eps.get(NDArrayIndex.interval(b, b + 2L * clip.pairCount()), NDArrayIndex.all()).assign(terms.eps());
      penalty = terms.penalty();
    }
    INDArray inputGrad = backward(f, eps);
    INDArray grad = net.getFlattenedGradients();
    if (weightDecay != null) {
      penalty = weightDecay.addGradient(net, grad, weight);
    }
    if (lipBound != null) {
      penalty += lipBound.addGradient(net, grad, weight);
    }
    if (parameterPenalty != null) {
      penalty += parameterPenalty.addGradient(net, grad, weight);
    }
    lastPenalty = penalty;
    if (withPairs) {
      // dup: ND4J 1.0.0-M2.1 returns an empty array for some row intervals of a view of a view
      clip.ascend(inputGrad.get(NDArrayIndex.interval(b, b + 2L * clip.pairCount()), NDArrayIndex.all()).dup(), terms);
    }
    applyUpdate(grad, loss);
    return new Step(loss, penalty, withPairs ? clip.lastMaxRatio() : 0, correct, b);
  }

  /**
   * The step on the buffered passes: the same arithmetic as {@link #stepInWorkspace}'s generic path (data loss, CLIP
   * terms and ascent, penalties, the network's updater), the products as sgemm into kept buffers, the loss and its
   * logit gradient in Java on the few logits.
   */
  private Step bufferedStep(INDArray x, INDArray y) {
    int b = (int) x.size(0);
    boolean withPairs = clip != null && weight > 0;
    INDArray pairs = null;
    int p2 = 0;
    if (withPairs) {
      pairs = clip.pairsFor(x);
      p2 = 2 * clip.pairCount();
      if (clip.stalled()) {
        for (int k = 0; k < clip.tracking().stallAscent(); k++) {
          ascentPass(pairs);
        }
      }
    }
    DenseStepKernel.Pass pass = kernel.pass(b + p2).input(0, x);
    if (withPairs) {
      pass.input(b, pairs);
    }
    float[] z = pass.forward();
    float[] yv = pass.labels(y);
    float[] top = pass.top();
    int k = kernel.classes();
    double loss = lossKind == LossKind.SOFTMAX_XENT ? DataLoss.softmaxXent(z, yv, b, k, top)
        : DataLoss.mse(z, yv, b, k, top);
    long correct = lossKind == LossKind.SOFTMAX_XENT ? DataLoss.correct(z, yv, b, k) : 0;
    double penalty = 0;
    ClipPenalty.Terms terms = null;
    boolean javaPairs = withPairs && clip.buffered();
    if (javaPairs) {
      terms = clip.termsBuffered(z, k, b, weight, false, top);
      penalty = terms.penalty();
    }
    pass.pushTop();
    if (withPairs && !javaPairs) {
      terms = clip.terms(pass.logitsArray(), b, weight);
      pass.topArray().get(NDArrayIndex.interval(b, b + p2), NDArrayIndex.all()).assign(terms.eps());
      penalty = terms.penalty();
    }
    pass.backward(b, b + p2, withPairs ? pairGrad(p2) : null);
    INDArray grad = net.getFlattenedGradients();
    if (weightDecay != null) {
      penalty = weightDecay.addGradient(net, grad, weight);
    }
    if (lipBound != null) {
      penalty += lipBound.addGradient(net, grad, weight);
    }
    if (parameterPenalty != null) {
      penalty += parameterPenalty.addGradient(net, grad, weight);
    }
    lastPenalty = penalty;
    if (javaPairs) {
      clip.ascendBuffered(pairBack(), terms);
    } else if (withPairs) {
      clip.ascend(pairGrad, terms);
    }
    if (fusedNow) {
      int iteration = net.getIterationCount();
      adam.step(iteration, net.getEpochCount());
      net.setIterationCount(iteration + 1);
      net.setScore(loss);
    } else {
      applyBlocks(grad, loss);
    }
    return new Step(loss, penalty, withPairs ? clip.lastMaxRatio() : 0, correct, b);
  }

  /**
   * {@link #applyUpdate} without the multi-layer updater's per-call bookkeeping: each updater block (its regularisation,
   * then its updater, e.g. one Adam op over the block) on the gradient view, which is what {@code update} does for a
   * gradient given as the whole flattened view (its per-layer pre-apply sees no variables then, and the division by
   * the minibatch size is by 1). Other updaters go through {@code update}.
   */
  private void applyBlocks(INDArray grad, double loss) {
    if (!(net.getUpdater() instanceof org.deeplearning4j.nn.updater.BaseMultiLayerUpdater<?> u)) {
      applyUpdate(grad, loss);
      return;
    }
    int iteration = net.getIterationCount();
    for (org.deeplearning4j.nn.updater.UpdaterBlock ub : u.getUpdaterBlocks()) {
      if (!ub.skipDueToPretrainConfig(false)) {
        ub.update(iteration, net.getEpochCount());
      }
    }
    net.params().subi(grad.reshape(net.params().shape()));
    net.setIterationCount(iteration + 1);
    net.setScore(loss);
  }

  /** The pair rows' input gradient of the last buffered backward pass as a kept Java array. */
  private float[] pairBack() {
    if (pairBack == null || pairBack.length != pairGrad.length()) {
      pairBack = new float[(int) pairGrad.length()];
    }
    pairGrad.data().asNioFloat().get(0, pairBack);
    return pairBack;
  }

  /** The kept input-gradient buffer of the pair rows (outside the step's workspace: it outlives the step). */
  private INDArray pairGrad(int rows) {
    if (pairGrad == null || pairGrad.size(0) != rows) {
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        pairGrad = Nd4j.createUninitialized(DataType.FLOAT, rows, kernel.inputs());
      }
    }
    return pairGrad;
  }

  /** The network's updater on the gradient (Adam state and iteration count carry over), then params −= update. */
  private void applyUpdate(INDArray grad, double loss) {
    int iteration = net.getIterationCount();
    // batch size 1: the gradients above are already means over the minibatch
    net.getUpdater().update(net, new DefaultGradient(grad), iteration, net.getEpochCount(), 1, WS);
    net.params().subi(grad.reshape(net.params().shape()));
    net.setIterationCount(iteration + 1);
    net.setScore(loss);
  }

  /**
   * An ascent-only pass: every pair climbs its own quotient (forward and backward of the 2P pair rows; the weight
   * gradient this leaves in the gradient view is overwritten by the step's own backward pass).
   */
  private void ascentPass(INDArray pairs) {
    if (kernel != null) {
      int p2 = (int) pairs.size(0);
      DenseStepKernel.Pass pass = kernel.pass(p2).input(0, pairs);
      float[] z = pass.forward();
      if (clip.buffered()) {
        ClipPenalty.Terms t = clip.termsBuffered(z, kernel.classes(), 0, 1.0, true, pass.top());
        pass.pushTop().backward(0, p2, pairGrad(p2));
        clip.ascendBuffered(pairBack(), t);
        return;
      }
      ClipPenalty.Terms t = clip.terms(pass.logitsArray(), 0, 1.0, true);
      pass.topArray().assign(t.eps());
      pass.backward(0, p2, pairGrad(p2));
      clip.ascend(pairGrad, t);
      return;
    }
    Forward f = forward(pairs);
    ClipPenalty.Terms t = clip.terms(f.logits, 0, 1.0, true);
    clip.ascend(backward(f, t.eps()).dup(), t);
  }

  /**
   * Data loss + weight·penalty at the given pairs and its exact gradients: weights, flattened like {@code params()};
   * pair inputs, [2P, d]: ∂R_i/∂(x_i; x′_i) (or of R_i² for the squared form), including the term through 1/‖x−x′‖, for
   * each pair that enters the penalty (all for the mean, the worst for the max; zero rows otherwise). Nothing is
   * updated.
   */
  public Evaluation evaluate(INDArray x, INDArray y, INDArray pairX, INDArray pairXp, double w) {
    int b = (int) x.size(0);
    int p = (int) pairX.size(0);
    INDArray stacked = Nd4j.vstack(x.castTo(dtype), pairX.castTo(dtype), pairXp.castTo(dtype));
    ClipPenalty at = ClipPenalty.at(new Regularization(Regularizer.CLIP, w, 0, Double.NaN, p, reg.form(), reg.aggregate(),
        0, false, 0.1, 0.1), pairX, pairXp, dtype);
    Forward f = forward(stacked);
    INDArray eps = Nd4j.zeros(dtype, f.logits.size(0), f.logits.size(1));
    double loss = dataLoss(f.logits.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()), y.castTo(dtype),
        eps.get(NDArrayIndex.interval(0, b), NDArrayIndex.all()));
    ClipPenalty.Terms t = at.terms(f.logits, b, w);
    eps.get(NDArrayIndex.interval(b, b + 2L * p), NDArrayIndex.all()).assign(t.eps());
    INDArray in = backward(f, eps).get(NDArrayIndex.interval(b, b + 2L * p), NDArrayIndex.all()).dup();
    INDArray pg = at.inputGradient(in, t);
    return new Evaluation(loss, t.penalty(), t.ratios(), net.getFlattenedGradients().dup(), pg);
  }

  // ---------------------------------------------------------------------------------------------------------------

  private record Forward(INDArray lastInput, INDArray logits, int miniBatch) {}

  private Forward forward(INDArray input) {
    Layer[] layers = net.getLayers();
    int mb = (int) input.size(0);
    INDArray a = input;
    for (int i = 0; i < layers.length; i++) {
      InputPreProcessor pp = net.getLayerWiseConfigurations().getInputPreProcess(i);
      if (pp != null) {
        a = pp.preProcess(a, mb, WS);
      }
      if (i == layers.length - 1) {
        break;
      }
      layers[i].setInputMiniBatchSize(mb);
      a = layers[i].activate(a, true, WS);
    }
    Layer out = layers[layers.length - 1];
    INDArray z = a.mmul(out.getParam("W")).addiRowVector(out.getParam("b"));
    return new Forward(a, z, mb);
  }

  /** Backward pass of ∂/∂logits = eps; fills the flattened gradient view and returns ∂/∂input. */
  private INDArray backward(Forward f, INDArray eps) {
    Layer[] layers = net.getLayers();
    Layer out = layers[layers.length - 1];
    INDArray w = out.getParam("W");
    INDArray view = out.getGradientsViewArray();
    long nw = w.length();
    INDArray gw = f.lastInput.transpose().mmul(eps);
    // the view holds W in Fortran order, then b
    slice(view, 0, nw).assign(Nd4j.toFlattened('f', gw).reshape(nw));
    slice(view, nw, view.length()).assign(eps.sum(0).reshape(view.length() - nw));
    INDArray e = eps.mmul(w.transpose());
    for (int i = layers.length - 1; i >= 0; i--) {
      if (i < layers.length - 1) {
        Pair<org.deeplearning4j.nn.gradient.Gradient, INDArray> p = layers[i].backpropGradient(e, WS);
        e = p.getSecond();
      }
      InputPreProcessor pp = net.getLayerWiseConfigurations().getInputPreProcess(i);
      if (pp != null) {
        e = pp.backprop(e, f.miniBatch, WS);
      }
    }
    return e;
  }

  /** Mean data loss of the minibatch; writes ∂loss/∂logits into eps. */
  private double dataLoss(INDArray z, INDArray y, INDArray eps) {
    int b = (int) z.size(0);
    if (lossKind == LossKind.SOFTMAX_XENT) {
      INDArray shifted = z.subColumnVector(z.max(1));
      INDArray e = Transforms.exp(shifted, true);
      INDArray sum = e.sum(1);
      INDArray p = e.diviColumnVector(sum);
      // −Σ y·log p = −Σ y·shifted + log Σ exp(shifted) per row (labels are one-hot or rows summing to 1)
      double loss = (Transforms.log(sum, true).sumNumber().doubleValue() - y.mul(shifted).sumNumber().doubleValue()) / b;
      eps.assign(p.subi(y).divi(b));
      return loss;
    }
    INDArray d = z.sub(y);
    long k = z.size(1);
    eps.assign(d.mul(2.0 / (b * k)));
    return d.mul(d).sumNumber().doubleValue() / (b * k);
  }

  private static long countCorrect(INDArray z, INDArray y) {
    INDArray pz = z.argMax(1);
    INDArray py = y.argMax(1);
    return pz.eq(py).castTo(DataType.INT).sumNumber().longValue();
  }

  /** Elements [from, to) of a flat vector stored as rank 1 or as a [1, n] row. */
  static INDArray slice(INDArray v, long from, long to) {
    return v.rank() == 2 ? v.get(NDArrayIndex.point(0), NDArrayIndex.interval(from, to)) : v.get(NDArrayIndex.interval(from, to));
  }
}
