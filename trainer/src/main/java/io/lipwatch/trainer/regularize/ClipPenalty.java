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
  }

  /** A penalty at given pairs that are never reset or moved (to evaluate the objective and its gradients). */
  static ClipPenalty at(Regularization reg, INDArray pairX, INDArray pairXp, DataType dtype) {
    ClipPenalty c = new ClipPenalty(reg.withResetEvery(0), dtype, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0);
    c.pairs = Nd4j.vstack(pairX, pairXp).castTo(dtype);
    return c;
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
    return pairs;
  }

  /** ∂(w·penalty)/∂logits of the pair rows, the penalty, and what the ascent needs. */
  record Terms(INDArray eps, double penalty, double[] ratios, double[] rowWeight, INDArray diff, double[] dist,
      double weight) {}

  /** The penalty's terms from the logits z, whose pair rows start at row b. */
  Terms terms(INDArray z, int b, double w) {
    int p = (int) (pairs.size(0) / 2);
    INDArray zx = z.get(NDArrayIndex.interval(b, b + p), NDArrayIndex.all());
    INDArray zxp = z.get(NDArrayIndex.interval(b + p, b + 2L * p), NDArrayIndex.all());
    INDArray df = zx.sub(zxp);
    INDArray d = pairs.get(NDArrayIndex.interval(0, p), NDArrayIndex.all())
        .sub(pairs.get(NDArrayIndex.interval(p, 2L * p), NDArrayIndex.all()));
    double[] fn = df.norm2(1).toDoubleVector();
    double[] dn = d.norm2(1).toDoubleVector();
    double[] r = new double[p];
    for (int i = 0; i < p; i++) {
      r[i] = dn[i] == 0 ? 0 : fn[i] / dn[i];
    }
    // row weights of the aggregate: 1/P each (mean) or 1 on the worst pair (max)
    double[] rw = new double[p];
    if (reg.aggregate() == Regularization.Aggregate.MEAN) {
      Arrays.fill(rw, 1.0 / p);
    } else {
      rw[argMax(r)] = 1;
    }
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
    return new Terms(Nd4j.vstack(ex, ex.neg()), penalty, r, rw, d, dn, w);
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
