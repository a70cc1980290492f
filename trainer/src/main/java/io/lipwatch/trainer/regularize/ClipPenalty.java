package io.lipwatch.trainer.regularize;

import java.util.Arrays;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * CLIP's penalty (Bungert et al. 2021): λ·Lip(f, X_Lip) over input pairs (x, x′) that ascend the quotient
 * R = ‖f(x) − f(x′)‖/‖x − x′‖. It owns the pairs and their ascent; the trainer owns the network passes. Per minibatch
 * the trainer stacks {@link #pairsFor the pairs} under the data, and from the logits of the pair rows
 * {@link #terms} gives ∂(λ·penalty)/∂logits; the input gradient of the same backward pass then drives
 * {@link #ascend one ascent step} of every pair that entered the penalty.
 */
public final class ClipPenalty {
  private final Regularization reg;
  private final DataType dtype;
  private final double lo;
  private final double hi;
  private final Random rnd;

  // rows 0..P-1 are x, rows P..2P-1 are x′
  private INDArray pairs;
  private INDArray previousPairs;
  private boolean hasPrevious;
  private double[] tau;
  private double[] lastRatio;
  private long sinceReset;
  private double lastMaxRatio;
  private final ClipTracking tracking;
  private long steps;
  /** Best quotient of each of the last {@code stallWindow} steps (ring buffer). */
  private double[] recentMax;
  /** A few data points of a recent minibatch (detached): start points of the engine's search. */
  private double[][] anchors;
  private double engineValue = Double.NaN;

  /**
   * @param lo, hi the input range; pairs are kept inside it
   * @param seed   seed of the pair draws
   */
  public ClipPenalty(Regularization reg, DataType dtype, double lo, double hi, long seed) {
    this.reg = reg;
    this.dtype = dtype;
    this.lo = lo;
    this.hi = hi;
    this.rnd = new Random(seed);
    this.tracking = reg.tracking();
  }

  /** A penalty at given pairs that are never reset or moved (to evaluate the objective and its gradients). */
  static ClipPenalty at(Regularization reg, INDArray pairX, INDArray pairXp, DataType dtype) {
    ClipPenalty c = new ClipPenalty(reg.withResetEvery(0), dtype, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0);
    c.pairs = Nd4j.vstack(pairX, pairXp).castTo(dtype);
    return c;
  }

  /**
   * The pairs [2P, d] (x rows first) a trainer with this regularisation, input range and seed draws at its first
   * step on this minibatch: what a reference implementation starts from to follow the same pairs.
   */
  public static INDArray initialPairs(Regularization reg, INDArray firstBatch, DataType dtype, double lo, double hi,
      long seed) {
    return new ClipPenalty(reg, dtype, lo, hi, seed).pairsFor(firstBatch).dup();
  }

  /** Number of pairs P. */
  public int pairCount() {
    return reg.pairs();
  }

  /** The largest pair ratio ‖f(x)−f(x′)‖/‖x−x′‖ seen at the last step (a lower bound of L at that time). */
  public double lastMaxRatio() {
    return lastMaxRatio;
  }

  /** Current pairs [2P, d] (x rows first), or null before the first step. */
  public INDArray pairs() {
    return pairs == null ? null : pairs.dup();
  }

  /** The pairs to stack under this minibatch [2P, d], (re)drawn from it when they are due. */
  INDArray pairsFor(INDArray batch) {
    maybeResetPairs(batch);
    steps++;
    if (tracking.reseedEvery() > 0 && steps % tracking.reseedEvery() == 0) {
      reseedWorst(batch);
    }
    return pairs;
  }

  /** The pairs as they are (null before the first step). */
  INDArray livePairs() {
    return pairs;
  }

  /** How CLIP's pairs follow the Lipschitz constant. */
  public ClipTracking tracking() {
    return tracking;
  }

  /**
   * Whether the pairs' best quotient has stalled: it has not exceeded its maximum over the last
   * {@code stallWindow} steps; the ring of recent maxima is cleared so that the next check waits a full window again.
   */
  boolean stalled() {
    int w = tracking.stallWindow();
    if (w == 0 || tracking.stallAscent() == 0 || recentMax == null || steps < w) {
      return false;
    }
    double best = 0;
    for (double m : recentMax) {
      best = Math.max(best, m);
    }
    boolean stalled = lastMaxRatio < best;
    if (stalled) {
      java.util.Arrays.fill(recentMax, 0);
    }
    return stalled;
  }

  private void noteMax(double m) {
    int w = tracking.stallWindow();
    if (w == 0) {
      return;
    }
    if (recentMax == null) {
      recentMax = new double[w];
    }
    // the ring holds the maxima of the steps before this one
    recentMax[(int) (steps % w)] = m;
  }

  /** The best quotient of the engine's pair search at the last re-seeding (NaN before). */
  public double engineSearchValue() {
    return engineValue;
  }

  /** ∂(w·penalty)/∂logits of the pair rows, the penalty, and what the ascent needs. */
  record Terms(INDArray eps, double penalty, double[] ratios, double[] rowWeight, INDArray diff, double[] dist,
      double weight) {}

  /** The penalty's terms from the logits z, whose pair rows start at row b. */
  Terms terms(INDArray z, int b, double w) {
    return terms(z, b, w, false);
  }

  /**
   * @param everyPair every pair gets row weight 1 (an ascent-only pass: every pair moves, no weight gradient is used)
   */
  Terms terms(INDArray z, int b, double w, boolean everyPair) {
    int p = (int) (pairs.size(0) / 2);
    INDArray zx = z.get(NDArrayIndex.interval(b, b + p), NDArrayIndex.all());
    INDArray zxp = z.get(NDArrayIndex.interval(b + p, b + 2L * p), NDArrayIndex.all());
    INDArray df = zx.sub(zxp);
    INDArray d = pairs.get(NDArrayIndex.interval(0, p), NDArrayIndex.all())
        .sub(pairs.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all()));
    double[] fn = df.norm2(1).toDoubleVector();
    double[] dn = d.norm2(1).toDoubleVector();
    double[] r = ratios(fn, dn);
    double[] rw = rowWeights(r, everyPair);
    boolean sq = reg.form() == Regularization.Form.SQUARED;
    double penalty = 0;
    double[] coef = new double[p];
    for (int i = 0; i < p; i++) {
      penalty += rw[i] * (sq ? r[i] * r[i] : r[i]);
      if (dn[i] == 0 || fn[i] == 0) {
        continue;
      }
      // ∂R/∂z = Δf/(‖Δf‖‖d‖); ∂R²/∂z = 2Δf/‖d‖²
      coef[i] = w * rw[i] * (sq ? 2 / (dn[i] * dn[i]) : 1 / (fn[i] * dn[i]));
    }
    INDArray ex = df.mulColumnVector(column(coef));
    lastMaxRatio = max(r);
    if (!everyPair) {
      noteMax(lastMaxRatio);
    }
    return new Terms(Nd4j.vstack(ex, ex.neg()), penalty, r, rw, d, dn, w);
  }

  // ---- the buffered path: the same arithmetic on Java arrays (float32 pairs; one bulk copy in and out per step) ----

  /** The pairs, the previous pairs, the differences x − x′ and the ascent direction as Java arrays [2P·d] / [P·d]. */
  private float[] pairsJ;
  private float[] previousJ;
  private float[] diffJ;
  private float[] stepJ;

  /** Whether the buffered path can serve these pairs: float32, contiguous, C order. */
  boolean buffered() {
    return pairs != null && pairs.dataType() == DataType.FLOAT && pairs.ordering() == 'c' && !pairs.isView()
        && pairs.offset() == 0;
  }

  /**
   * {@link #terms(INDArray, int, double, boolean)} on the logits as a Java array (row-major, k per row; pair rows from
   * row b): the logit gradient of the pair rows goes into {@code top} (same layout), the rest into the terms.
   */
  Terms termsBuffered(float[] z, int k, int b, double w, boolean everyPair, float[] top) {
    int p = (int) (pairs.size(0) / 2);
    int d = (int) pairs.size(1);
    if (pairsJ == null || pairsJ.length != 2 * p * d) {
      pairsJ = new float[2 * p * d];
      previousJ = new float[2 * p * d];
      diffJ = new float[p * d];
      stepJ = new float[2 * p * d];
    }
    pairs.data().asNioFloat().get(0, pairsJ);
    double[] fn = new double[p];
    double[] dn = new double[p];
    for (int i = 0; i < p; i++) {
      int zx = (b + i) * k;
      int zxp = (b + p + i) * k;
      double f = 0;
      for (int j = 0; j < k; j++) {
        float df = z[zx + j] - z[zxp + j];
        f += (double) df * df;
      }
      fn[i] = Math.sqrt(f);
      int o = i * d;
      int op = (p + i) * d;
      double s = 0;
      for (int j = 0; j < d; j++) {
        float dd = pairsJ[o + j] - pairsJ[op + j];
        diffJ[o + j] = dd;
        s += (double) dd * dd;
      }
      dn[i] = Math.sqrt(s);
    }
    double[] r = ratios(fn, dn);
    double[] rw = rowWeights(r, everyPair);
    boolean sq = reg.form() == Regularization.Form.SQUARED;
    double penalty = 0;
    for (int i = 0; i < p; i++) {
      penalty += rw[i] * (sq ? r[i] * r[i] : r[i]);
      if (dn[i] == 0 || fn[i] == 0) {
        continue;
      }
      double coef = w * rw[i] * (sq ? 2 / (dn[i] * dn[i]) : 1 / (fn[i] * dn[i]));
      int zx = (b + i) * k;
      int zxp = (b + p + i) * k;
      for (int j = 0; j < k; j++) {
        float e = (float) (coef * (z[zx + j] - z[zxp + j]));
        top[zx + j] = e;
        top[zxp + j] = -e;
      }
    }
    lastMaxRatio = max(r);
    if (!everyPair) {
      noteMax(lastMaxRatio);
    }
    return new Terms(null, penalty, r, rw, null, dn, w);
  }

  /**
   * {@link #ascend} on Java arrays: {@code back} is the backward pass's input gradient of the pair rows [2P·d]; the
   * pairs are those {@link #termsBuffered} read, written back to the pairs (and the previous pairs) at the end.
   */
  void ascendBuffered(float[] back, Terms t) {
    int p = t.ratios.length;
    int d = (int) pairs.size(1);
    if (reg.adaptiveStep() && hasPrevious) {
      // only a rejection reads the previous pairs (re-seeding writes into them too); without the adaptive step
      // previousJ is just overwritten below
      if (previousPairs != null && previousPairs.length() == previousJ.length) {
        previousPairs.castTo(DataType.FLOAT).data().asNioFloat().get(0, previousJ);
      }
      for (int i = 0; i < p; i++) {
        if (t.ratios[i] >= lastRatio[i]) {
          tau[i] = Math.min(tau[i] * 1.3, 10);
        } else {
          tau[i] /= 1.3;
          System.arraycopy(previousJ, i * d, pairsJ, i * d, d);
          System.arraycopy(previousJ, (p + i) * d, pairsJ, (p + i) * d, d);
          t.rowWeight[i] = 0; // no step from a rejected position this time
        }
      }
    }
    boolean sq = reg.form() == Regularization.Form.SQUARED;
    double w = t.weight;
    for (int i = 0; i < p; i++) {
      double scaleJ = t.rowWeight[i] * w == 0 ? 0 : 1 / (t.rowWeight[i] * w);
      double di2 = t.dist[i] * t.dist[i];
      double explicit = t.rowWeight[i] == 0 || di2 == 0 ? 0 : -(sq ? 2 * t.ratios[i] * t.ratios[i] : t.ratios[i]) / di2;
      float sj = (float) scaleJ;
      float ex = (float) explicit;
      int o = i * d;
      int op = (p + i) * d;
      double nx = 0;
      double nxp = 0;
      for (int j = 0; j < d; j++) {
        float gx = back[o + j] * sj + diffJ[o + j] * ex;
        float gxp = back[op + j] * sj - diffJ[o + j] * ex;
        stepJ[o + j] = gx;
        stepJ[op + j] = gxp;
        nx += (double) gx * gx;
        nxp += (double) gxp * gxp;
      }
      double gn = Math.sqrt(nx + nxp);
      float si = (float) (t.rowWeight[i] == 0 || gn == 0 ? 0 : tau[i] * t.dist[i] / gn);
      lastRatio[i] = t.ratios[i];
      for (int j = 0; j < d; j++) {
        stepJ[o + j] *= si;
        stepJ[op + j] *= si;
      }
    }
    System.arraycopy(pairsJ, 0, previousJ, 0, pairsJ.length);
    hasPrevious = true;
    for (int j = 0; j < pairsJ.length; j++) {
      pairsJ[j] += stepJ[j];
    }
    if (tracking.local()) {
      keepLocalBuffered(p, d);
    }
    float flo = (float) lo;
    float fhi = (float) hi;
    for (int j = 0; j < pairsJ.length; j++) {
      pairsJ[j] = Math.min(Math.max(pairsJ[j], flo), fhi);
    }
    // a pair that collapsed onto itself (clipping) is re-drawn
    for (int i = 0; i < p; i++) {
      int o = i * d;
      int op = (p + i) * d;
      if (pairDistance(o, op, d) < 1e-6) {
        for (int j = 0; j < d; j++) {
          pairsJ[op + j] = noisy(pairsJ[o + j]);
        }
        lastRatio[i] = 0;
      }
    }
    pairs.data().asNioFloat().put(0, pairsJ);
    if (previousPairs == null || previousPairs.length() != pairs.length() || previousPairs.dataType() != DataType.FLOAT) {
      try (org.nd4j.linalg.api.memory.MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        previousPairs = Nd4j.createUninitialized(DataType.FLOAT, pairs.size(0), pairs.size(1));
      }
    }
    previousPairs.data().asNioFloat().put(0, previousJ);
  }

  /** {@link #keepLocal} on the Java arrays. */
  private void keepLocalBuffered(int p, int d) {
    for (int i = 0; i < p; i++) {
      int o = i * d;
      int op = (p + i) * d;
      double dn = pairDistance(o, op, d);
      if (dn > tracking.radius()) {
        float shrink = (float) (0.5 * (1 - tracking.radius() / dn));
        for (int j = 0; j < d; j++) {
          float m = (pairsJ[op + j] - pairsJ[o + j]) * shrink;
          pairsJ[o + j] += m;
          pairsJ[op + j] -= m;
        }
      }
    }
  }

  /** {@link #noisy(INDArray)} of one coordinate (the same draws). */
  private float noisy(float x) {
    double v = Math.min(hi, Math.max(lo, x + rnd.nextDouble() * reg.initNoise()));
    if (v == x) {
      v = Math.max(lo, v - rnd.nextDouble() * reg.initNoise());
    }
    return (float) v;
  }

  /** The quotients ‖Δf‖/‖Δx‖ of the pairs (0 for a pair at distance 0). */
  private static double[] ratios(double[] fn, double[] dn) {
    double[] r = new double[fn.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = dn[i] == 0 ? 0 : fn[i] / dn[i];
    }
    return r;
  }

  /**
   * ‖x − x′‖ of the pair whose rows start at o and op in {@link #pairsJ} (float differences, summed in double; the
   * order of x and x′ does not change a bit).
   */
  private double pairDistance(int o, int op, int d) {
    double s = 0;
    for (int j = 0; j < d; j++) {
      float dd = pairsJ[o + j] - pairsJ[op + j];
      s += (double) dd * dd;
    }
    return Math.sqrt(s);
  }

  /** Row weights of the aggregate: 1/P each (mean), 1 on the worst pair (max), 1/k on the worst k (top); 1 each for an ascent-only pass. */
  private double[] rowWeights(double[] r, boolean everyPair) {
    int p = r.length;
    double[] rw = new double[p];
    if (everyPair) {
      Arrays.fill(rw, 1.0);
    } else if (reg.aggregate() == Regularization.Aggregate.MEAN) {
      Arrays.fill(rw, 1.0 / p);
    } else if (reg.aggregate() == Regularization.Aggregate.MAX) {
      rw[argMax(r)] = 1;
    } else {
      int k = reg.aggregate().count(p);
      for (int i : largest(r, k)) {
        rw[i] = 1.0 / k;
      }
    }
    return rw;
  }

  /**
   * ∂penalty/∂(x; x′) of each pair (without the weight and the row weight when they are &gt; 0) from the input
   * gradient of the pair rows of the backward pass.
   */
  INDArray inputGradient(INDArray backprop, Terms t) {
    int p = t.ratios.length;
    boolean sq = reg.form() == Regularization.Form.SQUARED;
    double w = t.weight;
    double[] scaleJ = new double[p];
    double[] explicit = new double[p];
    for (int i = 0; i < p; i++) {
      scaleJ[i] = t.rowWeight[i] * w == 0 ? 0 : 1 / (t.rowWeight[i] * w);
      double di2 = t.dist[i] * t.dist[i];
      // through the denominator: ∂R/∂x = −R·d/‖d‖², ∂R²/∂x = −2R²·d/‖d‖² (signs flip for x′)
      explicit[i] = t.rowWeight[i] == 0 || di2 == 0 ? 0 : -(sq ? 2 * t.ratios[i] * t.ratios[i] : t.ratios[i]) / di2;
    }
    INDArray sj = column(scaleJ);
    INDArray ex = column(explicit);
    INDArray gx = backprop.get(NDArrayIndex.interval(0, p), NDArrayIndex.all()).mulColumnVector(sj)
        .addi(t.diff.mulColumnVector(ex));
    INDArray gxp = backprop.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all()).mulColumnVector(sj)
        .subi(t.diff.mulColumnVector(ex));
    return Nd4j.vstack(gx, gxp);
  }

  /** One ascent step on every pair that has a gradient; adaptive steps judge the previous step by its ratio now. */
  void ascend(INDArray backprop, Terms t) {
    int p = t.ratios.length;
    // the ratio evaluated now is that of the position reached by the last step: accept or reject it
    if (reg.adaptiveStep() && hasPrevious) {
      for (int i = 0; i < p; i++) {
        if (t.ratios[i] >= lastRatio[i]) {
          tau[i] = Math.min(tau[i] * 1.3, 10);
        } else {
          tau[i] /= 1.3;
          pairs.putRow(i, previousPairs.getRow(i));
          pairs.putRow(p + i, previousPairs.getRow(p + i));
          t.rowWeight[i] = 0; // no step from a rejected position this time
        }
      }
    }
    INDArray g = inputGradient(backprop, t);
    double[] norms = g.get(NDArrayIndex.interval(0, p), NDArrayIndex.all()).norm2(1).toDoubleVector();
    double[] normsP = g.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all()).norm2(1).toDoubleVector();
    double[] s = new double[2 * p];
    for (int i = 0; i < p; i++) {
      double gn = Math.sqrt(norms[i] * norms[i] + normsP[i] * normsP[i]);
      // step relative to the pair's distance: R is scale-free, so should be the step
      double si = t.rowWeight[i] == 0 || gn == 0 ? 0 : tau[i] * t.dist[i] / gn;
      s[i] = si;
      s[p + i] = si;
      lastRatio[i] = t.ratios[i];
    }
    // one buffer outside the workspace, reused: a detached copy per step would be off-heap garbage only GC frees
    if (previousPairs == null || previousPairs.length() != pairs.length()) {
      previousPairs = pairs.dup().detach();
    } else {
      previousPairs.assign(pairs);
    }
    hasPrevious = true;
    pairs.addi(g.mulColumnVector(column(s)));
    if (tracking.local()) {
      keepLocal();
    }
    Transforms.min(Transforms.max(pairs, lo, false), hi, false);
    // a pair that collapsed onto itself (clipping) is re-drawn
    double[] dn = pairs.get(NDArrayIndex.interval(0, p), NDArrayIndex.all())
        .sub(pairs.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all())).norm2(1).toDoubleVector();
    for (int i = 0; i < p; i++) {
      if (dn[i] < 1e-6) {
        pairs.putRow(p + i, noisy(pairs.getRow(i)));
        lastRatio[i] = 0;
      }
    }
  }

  /** Pulls both members of every pair farther apart than the radius towards their midpoint. */
  private void keepLocal() {
    int p = (int) (pairs.size(0) / 2);
    INDArray x = pairs.get(NDArrayIndex.interval(0, p), NDArrayIndex.all());
    INDArray xp = pairs.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all());
    INDArray d = xp.sub(x);
    double[] dn = d.norm2(1).toDoubleVector();
    double[] shrink = new double[p];
    boolean any = false;
    for (int i = 0; i < p; i++) {
      // each member moves by (1 − r/‖d‖)/2 of d towards the other: the midpoint stays, the distance becomes r
      shrink[i] = dn[i] > tracking.radius() ? 0.5 * (1 - tracking.radius() / dn[i]) : 0;
      any |= shrink[i] > 0;
    }
    if (!any) {
      return;
    }
    INDArray m = d.mulColumnVector(column(shrink));
    pairs.get(NDArrayIndex.interval(0, p), NDArrayIndex.all()).addi(m);
    pairs.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all()).subi(m);
  }

  /** Re-draws the quarter of the pairs with the lowest quotient from this minibatch (fresh local pairs). */
  private void reseedWorst(INDArray batch) {
    int p = reg.pairs();
    int k = Math.max(1, p / 4);
    int b = (int) batch.size(0);
    int[] low = largest(negate(lastRatio), k);
    for (int i : low) {
      INDArray x = batch.getRow(rnd.nextInt(b)).castTo(dtype);
      replace(i, x, noisy(x));
    }
    keepAnchors(batch);
  }

  /** Puts (x, x′) at pair i with a fresh step; the next evaluation accepts it. */
  private void replace(int i, INDArray x, INDArray xp) {
    int p = reg.pairs();
    pairs.putRow(i, x);
    pairs.putRow(p + i, xp);
    if (previousPairs != null) {
      previousPairs.putRow(i, x);
      previousPairs.putRow(p + i, xp);
    }
    tau[i] = reg.ascentStep();
    lastRatio[i] = 0;
  }

  private void keepAnchors(INDArray batch) {
    if (tracking.engineSeeds() == 0) {
      return;
    }
    int n = Math.min(tracking.engineSeeds(), (int) batch.size(0));
    anchors = new double[n][];
    for (int i = 0; i < n; i++) {
      anchors[i] = batch.getRow(rnd.nextInt((int) batch.size(0))).toDoubleVector();
    }
  }

  /**
   * The engine's CLIP pair search ({@code LowerBounds.clipPairs}, the estimator's {@code clip-pairs} method) on the
   * current weights, started from the trainer's best pairs and from data points of a recent minibatch; its best
   * pairs, kept local and in the input range, replace the trainer's worst. Returns the search's best quotient.
   */
  public double reseedFromEngine(org.deeplearning4j.nn.multilayer.MultiLayerNetwork net, int steps, long seed) {
    if (pairs == null || tracking.engineSeeds() == 0 || anchors == null) {
      return Double.NaN;
    }
    int p = reg.pairs();
    io.lipwatch.estimator.network.ExtractedNetwork x = io.lipwatch.estimator.format.dl4j.NetworkExtractor.extract(
        io.lipwatch.estimator.snapshot.RestoredModel.of(net), null);
    double[][] m = pairs.toDoubleMatrix();
    java.util.List<double[][]> seeds = new java.util.ArrayList<>();
    for (int i : largest(lastRatio, Math.min(p, tracking.engineSeeds()))) {
      seeds.add(new double[][] {m[i], m[p + i]});
    }
    io.lipwatch.estimator.bounds.LowerBounds.Result r = io.lipwatch.estimator.bounds.LowerBounds.clipPairs(x, anchors,
        seeds, steps, seed, System.nanoTime() + 10_000_000_000L);
    engineValue = r.bound().value();
    int[] low = largest(negate(lastRatio), Math.min(r.pairs().size(), Math.max(1, p / 4)));
    for (int j = 0; j < low.length; j++) {
      double[][] pr = r.pairs().get(j);
      replace(low[j], Nd4j.create(pr[0], new long[] {1, pr[0].length}, dtype).reshape(pairs.size(1)),
          Nd4j.create(pr[1], new long[] {1, pr[1].length}, dtype).reshape(pairs.size(1)));
    }
    if (tracking.local()) {
      keepLocal();
    }
    Transforms.min(Transforms.max(pairs, lo, false), hi, false);
    return engineValue;
  }

  /** Indices of the k largest values. */
  static int[] largest(double[] r, int k) {
    Integer[] idx = new Integer[r.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, c) -> Double.compare(r[c], r[a]));
    int[] out = new int[Math.min(k, r.length)];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  private static double[] negate(double[] v) {
    double[] o = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      o[i] = -v[i];
    }
    return o;
  }

  private void maybeResetPairs(INDArray batch) {
    int p = reg.pairs();
    boolean due = pairs == null || pairs.size(0) != 2L * p || (reg.resetEvery() > 0 && sinceReset >= reg.resetEvery());
    sinceReset++;
    if (!due) {
      return;
    }
    sinceReset = 1;
    int b = (int) batch.size(0);
    INDArray x = Nd4j.create(dtype, p, batch.size(1));
    for (int i = 0; i < p; i++) {
      x.putRow(i, batch.getRow(rnd.nextInt(b)).castTo(dtype));
    }
    INDArray xp = Nd4j.create(dtype, p, batch.size(1));
    for (int i = 0; i < p; i++) {
      xp.putRow(i, noisy(x.getRow(i)));
    }
    pairs = Nd4j.vstack(x, xp).detach();
    if (tracking.local()) {
      keepLocal();
    }
    keepAnchors(batch);
    hasPrevious = false;
    tau = new double[p];
    Arrays.fill(tau, reg.ascentStep());
    lastRatio = new double[p];
  }

  /** x + U[0,1)·noise, kept in the input range (their code's initialisation). */
  private INDArray noisy(INDArray x) {
    double[] v = x.toDoubleVector();
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.min(hi, Math.max(lo, v[i] + rnd.nextDouble() * reg.initNoise()));
      if (v[i] == x.getDouble(i)) {
        v[i] = Math.max(lo, v[i] - rnd.nextDouble() * reg.initNoise());
      }
    }
    return Nd4j.create(v, x.shape(), dtype);
  }

  /** A [n, 1] column of the network's data type. */
  private INDArray column(double[] v) {
    return Nd4j.create(v, new long[] {v.length, 1}, dtype);
  }

  private static int argMax(double[] v) {
    int k = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[k]) {
        k = i;
      }
    }
    return k;
  }

  static double max(double[] v) {
    double m = 0;
    for (double d : v) {
      m = Math.max(m, d);
    }
    return m;
  }
}
