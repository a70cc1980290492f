package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * FGSM and PGD on one pre-built batch, on flat float32 arrays allocated once per run: products go through the
 * classifier's {@link StepKernel} (sgemm into kept buffers on the dense path), the per-row work (gradient norms, steps,
 * the exact projection) is plain loops over the rows.
 */
final class Attacks {
  private Attacks() {}

  /**
   * A pre-built batch: flat inputs {@code [n, d]} (float32), labels and their one-hot matrix. A batch made by
   * {@link #select} holds some rows of a parent batch ({@code rows}: their indices there, {@code parentRows}: its size);
   * null rows mean the batch is whole. {@code flat} holds the inputs on the heap (row-major, read only): the attack
   * loops read it directly, without a copy per attack. The ND4J matrices are made only when asked for: the fast attack
   * path never does, and a copy of the rows still standing to native memory took 1–1.5 ms of every FGSM. {@code clean}: the clean pass of the whole batch when the clean-accuracy phase kept it (see
   * {@link CleanPass}), else null.
   */
  static final class Batch {
    private final int offset;
    private final int d;
    private final int classes;
    private final int[] labels;
    private final int[] rows;
    private final int parentRows;
    private final float[] flat;
    private final CleanPass clean;
    private INDArray x;
    private INDArray onehot;

    /** A whole batch on its flat inputs ({@code [n, d]} row-major, owned by the batch from here on). */
    Batch(int offset, float[] flat, int d, int[] labels, int classes) {
      this(offset, flat, d, labels, classes, null, labels.length, null);
    }

    private Batch(int offset, float[] flat, int d, int[] labels, int classes, int[] rows, int parentRows,
        CleanPass clean) {
      this.offset = offset;
      this.flat = flat;
      this.d = d;
      this.labels = labels;
      this.classes = classes;
      this.rows = rows;
      this.parentRows = parentRows;
      this.clean = clean;
    }

    int offset() {
      return offset;
    }

    int[] labels() {
      return labels;
    }

    int[] rows() {
      return rows;
    }

    int parentRows() {
      return parentRows;
    }

    float[] flat() {
      return flat;
    }

    /** Inputs per row. */
    int d() {
      return d;
    }

    CleanPass clean() {
      return clean;
    }

    /** The inputs as an {@code [n, d]} float32 matrix (made on first use for a selection). */
    synchronized INDArray x() {
      if (x == null) {
        x = Nd4j.createFromArray(flat).reshape('c', labels.length, d);
      }
      return x;
    }

    /** The labels one-hot, {@code [n, classes]} (made on first use for a selection). */
    synchronized INDArray onehot() {
      if (onehot == null) {
        float[] oh = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
          oh[i * classes + labels[i]] = 1f;
        }
        onehot = Nd4j.createFromArray(oh).reshape('c', labels.length, classes);
      }
      return onehot;
    }

    int n() {
      return labels.length;
    }

    /** Row i's index in the whole batch. */
    int parentRow(int i) {
      return rows == null ? i : rows[i];
    }

    /** This (whole) batch with its clean pass kept. */
    Batch withClean(CleanPass pass) {
      Batch b = new Batch(offset, flat, d, labels, classes, rows, parentRows, pass);
      b.x = x;
      b.onehot = onehot;
      return b;
    }

    /**
     * The rows {@code idx} of this batch (in order), e.g. the samples an attack has not broken yet. Every row's
     * computation in the attacks is independent of the other rows (per-row steps, schedules and projections; random
     * starts are drawn for the whole parent batch, see {@link #randomStart(Batch, double[], Norm, long, float[])}), so
     * a row's outcome is the same in the selection as in the whole batch.
     */
    Batch select(int[] idx) {
      int[] parent = new int[idx.length];
      int[] lab = new int[idx.length];
      for (int i = 0; i < idx.length; i++) {
        parent[i] = parentRow(idx[i]);
        lab[i] = labels[idx[i]];
      }
      return new Batch(offset, gather(flat, d, idx), d, lab, classes, parent, parentRows, clean);
    }

    private static float[] gather(float[] src, int w, int[] idx) {
      float[] dst = new float[idx.length * w];
      for (int i = 0; i < idx.length; i++) {
        System.arraycopy(src, idx[i] * w, dst, i * w, w);
      }
      return dst;
    }
  }

  /**
   * The clean inputs' logits {@code [n, k]} and cross-entropy input gradients {@code [n, d]} of a whole batch, from the
   * dense kernel (the same products FGSM's own step would run, on the same kernel). The clean-accuracy phase keeps
   * them when an FGSM is configured, so FGSM's step at the clean point is a copy instead of a forward and a backward
   * pass per FGSM (a third of its products); the logits are those the clean accuracy was read from.
   */
  record CleanPass(float[] logits, float[] grad) {}

  /** Called with (clean, iterate) at every point whose prediction is checked; for tests. */
  interface Observer {
    void iterate(INDArray x, INDArray xAdv);
  }

  record Deadline(long endNanos) {
    boolean passed() {
      return System.nanoTime() > endNanos;
    }
  }

  /** Per-sample outcome on one batch. */
  static final class Outcome {
    final boolean[] fooled;
    /** Smallest norm of a misclassified iterate per sample (+∞ when none); only when asked for. */
    final double[] foolNorm;
    /** The perturbation of norm foolNorm per row (zero rows where none); only when asked for. */
    INDArray bestDelta;
    int nonFiniteRows;
    int zeroRowsFirstStep;
    boolean aborted;
    int stepsDone;

    Outcome(int n, boolean trackNorm) {
      fooled = new boolean[n];
      foolNorm = trackNorm ? new double[n] : null;
      if (trackNorm) {
        java.util.Arrays.fill(foolNorm, Double.POSITIVE_INFINITY);
      }
    }
  }

  /**
   * Batch-sized arrays of finished attack runs by length, reused: each is a GC "humongous" object at the usual sizes,
   * and allocating them per run (an FGSM allocates three) starts concurrent collection cycles that take a core from the
   * attack. At most 8 per length, 8 lengths, 4M floats each.
   */
  private static final BoundedPool<Integer, float[]> SPARE = new BoundedPool<>(8, 8);
  private static final int SPARE_MAX_LEN = 4 << 20;

  /**
   * The float32 arrays of one attack on one batch, flat row-major ({@code [n, d]} inputs, {@code [n, k]} logits),
   * allocated once per attack run: the step loops below allocate nothing of the batch's size.
   */
  static final class Work {
    final int n;
    final int d;
    final int k;
    /** The clean inputs: the batch's own array, never written. */
    final float[] x;
    final float[] z;
    final float[] g;
    final double[] gn;
    /** The rows cut into blocks; {@code scratch[b]} is block b's (the L2 projection's per-thread space). */
    final RowBlocks blocks;
    final Scratch[] scratch;
    /** Smallest fooling perturbation per row so far (when norms are tracked), and whether any row has one. */
    float[] best;
    boolean anyBest;

    Work(Batch b, int k) {
      n = b.n();
      d = b.d();
      this.k = k;
      x = b.flat();
      z = new float[n * k];
      g = rowsToOverwrite();
      gn = new double[n];
      blocks = new RowBlocks(n);
      scratch = new Scratch[blocks.count()];
      for (int i = 0; i < scratch.length; i++) {
        scratch[i] = new Scratch(d);
      }
    }

    /** Arrays handed out by {@link #rows}, back to the spares at {@link #release}. */
    private final java.util.List<float[]> taken = new java.util.ArrayList<>();

    /** A zeroed [n, d] array, a spare one when there is (see {@link #SPARE}). */
    float[] rows() {
      return rows(true);
    }

    /**
     * An [n, d] array whose every row the caller writes before reading it (gradients, iterates): a spare one is not
     * cleared (1.7 MB of stores per array at 1000 Fashion-MNIST rows, a tenth of an FGSM).
     */
    float[] rowsToOverwrite() {
      return rows(false);
    }

    private float[] rows(boolean zeroed) {
      int len = n * d;
      float[] a = SPARE.poll(len);
      if (a == null) {
        a = new float[len];
      } else if (zeroed) {
        java.util.Arrays.fill(a, 0f);
      }
      taken.add(a);
      return a;
    }

    /** Hands this run's [n, d] arrays back (nothing may use them afterwards: results hold copies). */
    void release() {
      int len = n * d;
      if (len > SPARE_MAX_LEN) {
        return;
      }
      for (float[] a : taken) {
        SPARE.offer(len, a);
      }
      taken.clear();
    }

    /** An [n, d] copy of a flat array, for observers and results. */
    INDArray matrix(float[] v) {
      return Nd4j.createFromArray(v.clone()).reshape('c', n, d);
    }
  }

  static int[] predictions(INDArray logits) {
    return logits.argMax(1).toIntVector();
  }

  /** Row i's predicted class: the first largest logit (as ND4J's argMax, also with NaN). */
  static int argMax(float[] z, int i, int k) {
    int off = i * k;
    int best = 0;
    for (int c = 1; c < k; c++) {
      if (z[off + c] > z[off + best]) {
        best = c;
      }
    }
    return best;
  }

  /** Marks rows whose logits z misclassify; with norms tracked, keeps each row's smallest fooling delta. */
  static void markFooled(Outcome o, Work w, int[] labels, float[] delta, Norm norm) {
    markFooled(o, w, labels, delta, norm, 0, w.n);
  }

  /** As above on the rows [from, to) (w.best must exist when norms are tracked and rows run in parallel). */
  static void markFooled(Outcome o, Work w, int[] labels, float[] delta, Norm norm, int from, int to) {
    for (int i = from; i < to; i++) {
      if (argMax(w.z, i, w.k) == labels[i]) {
        continue;
      }
      o.fooled[i] = true;
      if (o.foolNorm != null) {
        int off = i * w.d;
        double dn = 0;
        for (int j = 0; j < w.d; j++) {
          double v = delta[off + j];
          dn = norm == Norm.L2 ? dn + v * v : Math.max(dn, Math.abs(v));
        }
        dn = norm == Norm.L2 ? Math.sqrt(dn) : dn;
        if (dn < o.foolNorm[i]) {
          o.foolNorm[i] = dn;
          if (w.best == null) {
            w.best = w.rows();
          }
          System.arraycopy(delta, off, w.best, off, w.d);
          w.anyBest = true;
        }
      }
    }
  }

  /**
   * Row norms of the gradient w.g into w.gn; non-finite entries are zeroed in place (and counted) so one bad row cannot
   * spread.
   */
  static void gradientRowNorms(Work w, Outcome o, boolean first) {
    long c = gradientRowNorms(w, 0, w.n);
    o.nonFiniteRows = Math.max(o.nonFiniteRows, (int) (c >>> 32));
    if (first) {
      o.zeroRowsFirstStep = (int) c;
    }
  }

  /** As above on the rows [from, to); returns (rows with non-finite entries) &lt;&lt; 32 | (zero rows). */
  static long gradientRowNorms(Work w, int from, int to) {
    float[] g = w.g;
    int bad = 0;
    int zero = 0;
    for (int i = from; i < to; i++) {
      int off = i * w.d;
      double s = sumOfSquares(g, off, w.d);
      if (!Double.isFinite(s)) {
        bad++;
        s = 0;
        for (int j = 0; j < w.d; j++) {
          if (!Float.isFinite(g[off + j])) {
            g[off + j] = 0f;
          }
          double v = g[off + j];
          s += v * v;
        }
      } else if (s == 0) {
        zero++;
      }
      w.gn[i] = Math.sqrt(s);
    }
    return ((long) bad << 32) | zero;
  }

  /** Σ v_j² over v[off, off + d), in four interleaved accumulators (one serial chain of additions is 4× slower). */
  static double sumOfSquares(float[] v, int off, int d) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int j = off;
    int end = off + d;
    for (; j + 4 <= end; j += 4) {
      s0 += (double) v[j] * v[j];
      s1 += (double) v[j + 1] * v[j + 1];
      s2 += (double) v[j + 2] * v[j + 2];
      s3 += (double) v[j + 3] * v[j + 3];
    }
    for (; j < end; j++) {
      s0 += (double) v[j] * v[j];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Adds a step of length alpha_i (L2: along g/‖g‖; L∞: alpha_i·sign(g)) to delta. */
  static void ascend(float[] delta, Work w, double[] alpha, Norm norm) {
    ascend(delta, w, alpha, norm, 0, w.n);
  }

  /** As above on the rows [from, to). */
  static void ascend(float[] delta, Work w, double[] alpha, Norm norm, int from, int to) {
    float[] g = w.g;
    for (int i = from; i < to; i++) {
      int off = i * w.d;
      float f = (float) (norm == Norm.L2 ? (w.gn[i] > 0 ? alpha[i] / w.gn[i] : 0.0) : alpha[i]);
      if (norm == Norm.L2) {
        for (int j = off; j < off + w.d; j++) {
          delta[j] += g[j] * f;
        }
      } else {
        for (int j = off; j < off + w.d; j++) {
          delta[j] += signStep(g[j], f);
        }
      }
    }
  }

  /**
   * {@code Math.signum(g) * f} for f ≥ 0 and finite g (gradients reach the step with non-finite entries zeroed, see
   * {@link #gradientRowNorms}) without a branch: Math.signum's tests for 0 and NaN made FGSM-L∞'s step a fifth of
   * its time. A zero g gives +0 (signum's −0·f only differs in the sign of a zero added to delta).
   */
  static float signStep(float g, float f) {
    int gb = Float.floatToRawIntBits(g);
    int magnitude = gb & 0x7fffffff;
    int nonzero = (magnitude | -magnitude) >> 31;
    return Float.intBitsToFloat((Float.floatToRawIntBits(f) ^ (gb & 0x80000000)) & nonzero);
  }

  static INDArray column(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Nd4j.createFromArray(f).reshape(v.length, 1);
  }

  /**
   * Projects x+delta onto the intersection of the ε-ball around x and the box [lo, hi] (per row, exactly); returns the
   * iterate, delta updated. L∞: the intersection is a box, so clipping each coordinate is the projection. L2: see
   * {@link #projectL2}. (Projecting onto the ball and then clipping to the box lands inside both but not on the nearest
   * point: it shortens steps along the box faces, which on image data is most of them.)
   */
  static INDArray project(INDArray x, INDArray delta, double[] eps, Norm norm, double lo, double hi) {
    int n = eps.length;
    int d = (int) x.size(1);
    float[] xs = floats(x);
    float[] ds = floats(delta);
    float[] xAdv = new float[n * d];
    project(xs, ds, xAdv, n, d, eps, norm, lo, hi, new Scratch[] {new Scratch(d)});
    if (direct(delta)) {
      delta.data().setData(ds);
    } else {
      delta.assign(Nd4j.createFromArray(ds).reshape(n, d));
    }
    return Nd4j.createFromArray(xAdv).reshape('c', n, d);
  }

  /** As above on flat arrays: delta projected in place, the iterate x + delta into xAdv (scratch: see {@link #projectL2(float[], float[], int, int, double[], double, double, Scratch[])}). */
  static void project(float[] x, float[] delta, float[] xAdv, int n, int d, double[] eps, Norm norm, double lo,
      double hi, Scratch[] scratch) {
    RowBlocks blocks = new RowBlocks(n);
    if (scratch.length < blocks.count()) {
      project(x, delta, xAdv, 0, n, d, eps, norm, lo, hi, scratch[0]);
      return;
    }
    blocks.run((b, from, to) -> project(x, delta, xAdv, from, to, d, eps, norm, lo, hi, scratch[b]));
  }

  /** As above on the rows [from, to), with one scratch space. */
  static void project(float[] x, float[] delta, float[] xAdv, int from, int to, int d, double[] eps, Norm norm,
      double lo, double hi, Scratch scratch) {
    if (norm == Norm.L2) {
      projectL2Rows(x, delta, from, to, d, eps, lo, hi, scratch);
    } else {
      // clip each row to [−ε_i, ε_i]: scale to the unit cube, clip, scale back (in float, as a whole-array op would)
      for (int i = from; i < to; i++) {
        float inv = (float) (eps[i] > 0 ? 1.0 / eps[i] : 0.0);
        float e = (float) eps[i];
        for (int j = i * d; j < (i + 1) * d; j++) {
          delta[j] = Math.max(Math.min(delta[j] * inv, 1f), -1f) * e;
        }
      }
    }
    float h = (float) hi;
    float l = (float) lo;
    for (int j = from * d; j < to * d; j++) {
      float v = Math.max(Math.min(x[j] + delta[j], h), l);
      xAdv[j] = v;
      delta[j] = v - x[j];
    }
  }

  /**
   * Exact Euclidean projection of delta onto {‖δ‖ ≤ ε} ∩ [lo − x, hi − x], in place. The KKT conditions give
   * δ = clip(t·d) for some t ∈ (0, 1] (t = 1/(1+μ), μ the ball's multiplier); since the box contains 0, clip(t·d_j) =
   * d_j·min(t, b_j) with b_j the t at which coordinate j reaches its face, so ‖δ(t)‖² = Σ d_j² min(t, b_j)² is
   * increasing and piecewise quadratic: sorting the breakpoints b_j &lt; 1 gives the t with ‖δ(t)‖ = ε exactly.
   */
  static void projectL2(INDArray x, INDArray delta, double[] eps, double lo, double hi) {
    int n = eps.length;
    int d = (int) x.size(1);
    float[] ds = floats(delta);
    projectL2(floats(x), ds, n, d, eps, lo, hi, new Scratch[] {new Scratch(d)});
    if (direct(delta)) {
      delta.data().setData(ds);
    } else {
      delta.assign(Nd4j.createFromArray(ds).reshape(n, d));
    }
  }

  /** Rounds of the segment search before falling back to sorting the breakpoints. */
  private static final int SEGMENT_ROUNDS = 12;

  /** Per-thread scratch of the L2 projection: d entries each. */
  record Scratch(long[] keys, float[] faces, float[] mags, double[] sums, float[] clipped) {
    Scratch(int d) {
      this(new long[d], new float[d], new float[d], new double[3], new float[d]);
    }
  }

  /**
   * As above on flat arrays, rows split between the scratch spaces' threads. The segment of ‖δ(t)‖² that reaches ε²
   * is found from below: with the coordinates whose breakpoint is ≤ t at their face (b_j ≤ t ⟺ |face_j| ≤ t·|d_j|,
   * and d_j²b_j² = face_j², so no division), s + q·t'² = ε² (s, q their sums) gives a t' ≤ t* (the quadratic of a
   * segment bounds the later ones from above); when t' puts no new coordinate at its face it is t* itself. That takes 3–4
   * rounds on Fashion-MNIST PGD, each over only the coordinates with a breakpoint in (0, 1) ({@link #prepareRow}); rows
   * that need more than {@link #SEGMENT_ROUNDS} sort the breakpoints.
   */
  static void projectL2(float[] xs, float[] ds, int n, int d, double[] eps, double lo, double hi, Scratch[] scratch) {
    int parts = Math.min(scratch.length, Math.max(1, n / 64));
    if (parts == 1) {
      projectL2Rows(xs, ds, 0, n, d, eps, lo, hi, scratch[0]);
      return;
    }
    java.util.stream.IntStream.range(0, parts).parallel().forEach(p ->
        projectL2Rows(xs, ds, (int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts), d, eps, lo, hi,
            scratch[p]));
  }

  private static void projectL2Rows(float[] xs, float[] ds, int from, int to, int d, double[] eps, double lo,
      double hi, Scratch scratch) {
    float l = (float) lo;
    float h = (float) hi;
    for (int i = from; i < to; i++) {
      int off = i * d;
      double e2 = eps[i] * eps[i];
      float t = 1f;
      if (prepareRow(xs, ds, off, d, lo, hi, e2, scratch) > e2) {
        double ts = segmentFromBelow(scratch, e2);
        t = (float) Math.min(Double.isNaN(ts) ? sortedSegment(xs, ds, off, d, e2, lo, hi, scratch.keys()) : ts, 1.0);
      }
      // clip(t·d_j) to [lo − x_j, hi − x_j]: the box contains 0, so this is min(t·d_j, face) or max(t·d_j, face)
      for (int j = off; j < off + d; j++) {
        float x = xs[j];
        ds[j] = Math.min(Math.max(t * ds[j], l - x), h - x);
      }
    }
  }

  /**
   * Returns ‖clip(d)‖² (t = 1) of a row and, when it exceeds ε², keeps in the scratch only the coordinates whose
   * breakpoint b_j = |face_j| / |d_j| is in (0, 1) (|face_j| in {@code faces}, |d_j| in {@code mags}, their count in
   * {@code sums[2]}) with Σ d_j² over those with b_j ≥ 1 in {@code sums[0]}. The search needs no others: t* &lt; 1 when the row needs one
   * (‖clip(d)‖ &gt; ε), so b_j ≥ 1 never reaches its face and b_j = 0 (at it already, d_j pointing out) adds to neither
   * sum. On Fashion-MNIST PGD iterates that leaves a few dozen of 784 coordinates, where the search went over all of
   * them 3–4 times. b_j ≥ 1 is exactly "clip leaves d_j unchanged", and a clipped coordinate's |clip(d_j)| is |face_j|:
   * the pass is a branch-free clip, a sum in four accumulators and a branch-free scan (a branch per coordinate on
   * data-dependent tests made this pass ~6 ns a coordinate, most of a PGD-L2 step's time outside the products).
   */
  private static double prepareRow(float[] xs, float[] ds, int off, int d, double lo, double hi, double e2,
      Scratch scratch) {
    float[] c = scratch.clipped();
    float l = (float) lo;
    float h = (float) hi;
    for (int j = 0; j < d; j++) {
      float x = xs[off + j];
      c[j] = Math.min(Math.max(ds[off + j], l - x), h - x);
    }
    double full = sumOfSquares(c, 0, d);
    if (full <= e2) {
      return full; // inside the ball once clipped: no search, so no compaction
    }
    // |face_j| and |d_j| are floats: kept as floats (half the stores), widened exactly where they are read
    float[] faces = scratch.faces();
    float[] mags = scratch.mags();
    int m = 0;
    for (int j = 0; j < d; j++) {
      // kept when clipped (bits differ) and not at 0; without a branch (written anyway, counted when kept): which
      // coordinates are clipped follows the image, and a branch on it mispredicted on a quarter of them
      int cb = Float.floatToRawIntBits(c[j]);
      float dj = ds[off + j];
      int diff = cb ^ Float.floatToRawIntBits(dj);
      int nonzero = cb & 0x7fffffff;
      int keep = ((diff | -diff) & (nonzero | -nonzero)) >>> 31;
      faces[m] = Math.abs(c[j]);
      mags[m] = Math.abs(dj);
      m += keep;
    }
    double atFaces = 0;
    for (int k = 0; k < m; k++) {
      double f = faces[k];
      atFaces += f * f;
    }
    // Σ d_j² over the unclipped coordinates: there clip(d_j) = d_j, and the clipped ones add |face_j|² to the sum
    scratch.sums()[0] = Math.max(full - atFaces, 0);
    scratch.sums()[2] = m;
    return full;
  }

  /**
   * t* by the segment search from below (see {@link #projectL2(float[], float[], int, int, double[], double, double,
   * Scratch[])}) over the coordinates {@link #prepareRow} kept, or NaN when {@link #SEGMENT_ROUNDS} rounds did not
   * settle it.
   */
  private static double segmentFromBelow(Scratch scratch, double e2) {
    float[] faces = scratch.faces();
    float[] mags = scratch.mags();
    double far = scratch.sums()[0];
    int m = (int) scratch.sums()[2];
    double t = 0;
    int atFace = -1;
    for (int round = 0; round < SEGMENT_ROUNDS; round++) {
      double s = 0;
      double q = far;
      int count = 0;
      for (int k = 0; k < m; k++) {
        double f = faces[k];
        double a = mags[k];
        if (f <= t * a) {
          s += f * f;
          count++;
        } else {
          q += a * a;
        }
      }
      boolean found = count == atFace;
      atFace = count;
      t = q > 0 ? Math.sqrt(Math.max(e2 - s, 0) / q) : 1.0;
      if (found) {
        return t;
      }
    }
    return Double.NaN;
  }

  /** t* by sorting the breakpoints b_j &lt; 1 and walking the segments in order. */
  private static double sortedSegment(float[] xs, float[] ds, int off, int d, double e2, double lo, double hi,
      long[] keys) {
    int m = 0;
    double q = 0; // Σ d_j² over coordinates not yet at their face
    for (int j = 0; j < d; j++) {
      double dj = ds[off + j];
      if (dj == 0) {
        continue;
      }
      double b = (dj > 0 ? hi - xs[off + j] : lo - xs[off + j]) / dj;
      q += dj * dj;
      if (b < 1) {
        // b ≥ 0; non-negative floats sort like their bit patterns
        keys[m++] = ((long) Float.floatToIntBits((float) Math.max(b, 0.0)) << 32) | j;
      }
    }
    java.util.Arrays.sort(keys, 0, m);
    double s = 0; // Σ d_j² b_j² over coordinates at their face
    for (int r = 0; r < m; r++) {
      int j = (int) (keys[r] & 0xffffffffL);
      double dj = ds[off + j];
      double b = (dj > 0 ? hi - xs[off + j] : lo - xs[off + j]) / dj;
      if (s + q * b * b >= e2) {
        break;
      }
      s += dj * dj * b * b;
      q -= dj * dj;
    }
    return q > 0 ? Math.sqrt(Math.max(e2 - s, 0) / q) : 1.0;
  }

  /** A plain c-order float array whose buffer is exactly its elements (no copy needed). */
  private static boolean direct(INDArray a) {
    return a.dataType() == DataType.FLOAT && !a.isView() && a.ordering() == 'c' && a.data().length() == a.length();
  }

  /** A's values as a row-major float32 array (a copy). */
  static float[] floats(INDArray a) {
    return direct(a) ? a.data().asFloat() : a.dup('c').castTo(DataType.FLOAT).data().asFloat();
  }

  /**
   * Counts of the blocks' steps, combined after the run (blocks run their steps at their own pace): rows with
   * non-finite gradients per step, zero gradients at the first step, steps done per block, and a stop flag.
   */
  private static final class StepCounts {
    final AtomicIntegerArray bad;
    final AtomicInteger zeroFirst = new AtomicInteger();
    final int[] done;
    volatile boolean aborted;

    StepCounts(int steps, int blocks) {
      bad = new AtomicIntegerArray(Math.max(1, steps));
      done = new int[blocks];
    }

    void add(int step, long counts) {
      bad.addAndGet(step, (int) (counts >>> 32));
      if (step == 0) {
        zeroFirst.addAndGet((int) counts);
      }
    }

    /** Steps done by a block (-1: by all rows). */
    void done(int block, int steps) {
      if (block < 0) {
        java.util.Arrays.fill(done, steps);
      } else {
        done[block] = steps;
      }
    }

    void into(Outcome o) {
      for (int t = 0; t < bad.length(); t++) {
        o.nonFiniteRows = Math.max(o.nonFiniteRows, bad.get(t));
      }
      o.zeroRowsFirstStep = zeroFirst.get();
      int min = Integer.MAX_VALUE;
      for (int v : done) {
        min = Math.min(min, v);
      }
      o.stepsDone = min;
      o.aborted = aborted;
    }
  }

  /** A whole-batch kernel as a row kernel over all rows (the generic path, and runs with an observer). */
  private record WholeBatch(StepKernel kern, int n) implements StepKernel.Rows {
    @Override
    public void logits(float[] x, float[] z, int from, int to) {
      kern.logits(x, z);
    }

    @Override
    public void step(float[] x, LogitLoss loss, float[] z, float[] g, int from, int to) {
      kern.step(x, loss, z, g);
    }

    @Override
    public void close() {}
  }

  /**
   * Runs {@code attack} on every block of w's rows, each block on one thread from its first product to its last check
   * (rows are independent: no barrier per step), when the kernel works on row ranges and nobody observes the whole
   * batch's iterates; otherwise once over all rows with the kernel's whole-batch calls (block -1).
   */
  private static void runRows(StepKernel kern, Work w, Observer obs, RowAttack attack) {
    StepKernel.Rows probe = obs == null && w.n > 1 ? kern.rows() : null;
    if (probe == null) {
      attack.run(new WholeBatch(kern, w.n), -1, 0, w.n);
      return;
    }
    probe.close();
    StepKernel.eachBlock(kern, w.blocks, attack::run);
  }

  /** One attack's loop on rows [from, to) through {@code rows}; block -1: all rows, per-row work over the blocks. */
  private interface RowAttack {
    void run(StepKernel.Rows rows, int block, int from, int to);
  }

  /** The per-row work of one step (block -1: every block, in parallel). */
  private static void perRow(Work w, int block, int from, int to, RowBlocks.Task task) {
    if (block >= 0) {
      task.run(block, from, to);
    } else {
      w.blocks.run(task);
    }
  }

  /** One step of size ε from the clean input (cross-entropy). */
  static Outcome fgsm(Classifier c, Batch b, Norm norm, double eps, double lo, double hi, Observer obs) {
    Outcome o = new Outcome(b.n(), false);
    try (StepKernel kern = StepKernel.of(c, b)) {
      Work w = new Work(b, kern.classes());
      double[] e = new double[b.n()];
      java.util.Arrays.fill(e, eps);
      float[] delta = w.rows();
      float[] xAdv = w.rowsToOverwrite();
      StepCounts counts = new StepCounts(1, w.blocks.count());
      runRows(kern, w, obs, (rows, block, from, to) -> {
        if (b.clean() != null) {
          cleanStep(b, w, from, to);
        } else {
          rows.step(w.x, LogitLoss.CE, w.z, w.g, from, to);
        }
        markFooled(o, w, b.labels(), null, norm, from, to);
        perRow(w, block, from, to, (bl, f, t) -> {
          counts.add(0, gradientRowNorms(w, f, t));
          ascend(delta, w, e, norm, f, t);
          project(w.x, delta, xAdv, f, t, w.d, e, norm, lo, hi, w.scratch[bl]);
        });
        if (obs != null) {
          obs.iterate(b.x(), w.matrix(xAdv));
        }
        rows.logits(xAdv, w.z, from, to);
        markFooled(o, w, b.labels(), null, norm, from, to);
      });
      counts.into(o);
      o.stepsDone = 1;
      w.release();
    }
    return o;
  }

  /** FGSM's step at the clean point from the batch's clean pass: each row's logits and gradient, copied. */
  private static void cleanStep(Batch b, Work w, int from, int to) {
    CleanPass c = b.clean();
    for (int i = from; i < to; i++) {
      int p = b.parentRow(i);
      System.arraycopy(c.logits(), p * w.k, w.z, i * w.k, w.k);
      System.arraycopy(c.grad(), p * w.d, w.g, i * w.d, w.d);
    }
  }

  /**
   * PGD with per-sample radius eps[i] and step alpha[i]. Every sample is updated at every step; a sample is fooled
   * when any checked iterate (random start, each step, the last point) is misclassified.
   */
  static Outcome pgd(Classifier c, Batch b, Norm norm, double[] eps, double[] alpha, int steps, boolean randomStart,
      long seed, double lo, double hi, boolean trackNorm, Deadline deadline, Observer obs) {
    return pgd(c, b, norm, eps, alpha, steps, randomStart, seed, lo, hi, trackNorm, deadline, obs, null);
  }

  /** As above; rows of {@code init} that are non-zero replace the random start (warm start from a known adversarial). */
  static Outcome pgd(Classifier c, Batch b, Norm norm, double[] eps, double[] alpha, int steps, boolean randomStart,
      long seed, double lo, double hi, boolean trackNorm, Deadline deadline, Observer obs, INDArray init) {
    return pgd(c, b, norm, eps, alpha, steps, randomStart, seed, lo, hi, trackNorm, deadline, obs, init, LogitLoss.CE);
  }

  /**
   * As above, ascending {@code loss}. The step loop allocates nothing of the batch's size (see {@link StepKernel}); on a
   * kernel with row ranges each block of rows runs all its steps on one thread, blocks in parallel.
   */
  static Outcome pgd(Classifier c, Batch b, Norm norm, double[] eps, double[] alpha, int steps, boolean randomStart,
      long seed, double lo, double hi, boolean trackNorm, Deadline deadline, Observer obs, INDArray init, LogitLoss loss) {
    int n = b.n();
    Outcome o = new Outcome(n, trackNorm);
    try (StepKernel kern = StepKernel.of(c, b)) {
      Work w = new Work(b, kern.classes());
      int d = w.d;
      float[] delta = w.rows();
      if (randomStart) {
        randomStart(b, eps, norm, seed, delta);
      }
      if (init != null) {
        float[] in = init.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < n; i++) {
          double s = 0;
          for (int j = i * d; j < (i + 1) * d; j++) {
            s += (double) in[j] * in[j];
          }
          if (s > 0) {
            System.arraycopy(in, i * d, delta, i * d, d);
          }
        }
      }
      if (trackNorm) {
        w.best = w.rows();
      }
      float[] xAdv = w.rowsToOverwrite();
      StepCounts counts = new StepCounts(steps, w.blocks.count());
      int[] labels = b.labels();
      runRows(kern, w, obs, (rows, block, from, to) -> {
        perRow(w, block, from, to, (bl, f, t) -> project(w.x, delta, xAdv, f, t, d, eps, norm, lo, hi, w.scratch[bl]));
        for (int t = 0; ; t++) {
          if (obs != null) {
            obs.iterate(b.x(), w.matrix(xAdv));
          }
          if (t == steps) {
            rows.logits(xAdv, w.z, from, to);
            markFooled(o, w, labels, delta, norm, from, to);
            break;
          }
          rows.step(xAdv, loss, w.z, w.g, from, to);
          markFooled(o, w, labels, delta, norm, from, to);
          if (counts.aborted || deadline != null && deadline.passed()) {
            counts.aborted = true;
            break;
          }
          int step = t;
          perRow(w, block, from, to, (bl, f, e) -> {
            counts.add(step, gradientRowNorms(w, f, e));
            ascend(delta, w, alpha, norm, f, e);
            project(w.x, delta, xAdv, f, e, d, eps, norm, lo, hi, w.scratch[bl]);
          });
          counts.done(block, t + 1);
        }
      });
      counts.into(o);
      if (w.anyBest) {
        o.bestDelta = w.matrix(w.best);
      }
      w.release();
    }
    return o;
  }

  /**
   * The random start of batch b's rows: drawn for the whole parent batch (eps[i] scales row i only, so the draws do not
   * depend on it) and gathered, so a row starts from the same point whether or not other rows were left out.
   */
  static void randomStart(Batch b, double[] eps, Norm norm, long seed, float[] v) {
    int n = b.n();
    int d = v.length / Math.max(1, n);
    if (b.rows() == null) {
      randomStart(n, d, eps, norm, seed, v);
      return;
    }
    int p = b.parentRows();
    double[] pe = new double[p];
    for (int i = 0; i < n; i++) {
      pe[b.rows()[i]] = eps[i];
    }
    float[] all = new float[p * d];
    randomStart(p, d, pe, norm, seed, all);
    for (int i = 0; i < n; i++) {
      System.arraycopy(all, b.rows()[i] * d, v, i * d, d);
    }
  }

  /** Uniform in the L∞ ball; in the L2 ball: Gaussian direction, radius ε·U^(1/d) (uniform in volume). */
  static INDArray randomStart(int n, int d, double[] eps, Norm norm, long seed) {
    float[] v = new float[n * d];
    randomStart(n, d, eps, norm, seed, v);
    return Nd4j.createFromArray(v).reshape(n, d);
  }

  /** As above into v ({@code [n, d]}). */
  static void randomStart(int n, int d, double[] eps, Norm norm, long seed, float[] v) {
    SplittableRandom rng = new SplittableRandom(seed);
    if (norm == Norm.LINF) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          v[i * d + j] = (float) (eps[i] * (2 * rng.nextDouble() - 1));
        }
      }
      return;
    }
    for (int k = 0; k < n * d; k++) {
      v[k] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      double dn = 0;
      for (int j = i * d; j < (i + 1) * d; j++) {
        dn += (double) v[j] * v[j];
      }
      dn = Math.sqrt(dn);
      double r = eps[i] * Math.pow(rng.nextDouble(), 1.0 / d);
      float f = (float) (dn > 0 ? r / dn : 0.0);
      for (int j = i * d; j < (i + 1) * d; j++) {
        v[j] *= f;
      }
    }
  }

  /** Gaussian noise N(0, σ²) added to x, clipped to the box. */
  static INDArray noisy(INDArray x, double sigma, double lo, double hi, long seed) {
    // one pass over a float copy: the noise, the sum and the clip to [lo, hi] as the ND4J ops did them (noise + x,
    // then min with hi, then max with lo, all in float), bit for bit; the three ND4J ops took 3-5 ms of 5-7 per σ
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = x.castTo(DataType.FLOAT).dup('c').data().asFloat();
    float l = (float) lo;
    float h = (float) hi;
    for (int k = 0; k < v.length; k++) {
      float y = (float) (sigma * rng.nextGaussian()) + v[k];
      v[k] = Math.max(Math.min(y, h), l);
    }
    return Nd4j.createFromArray(v).reshape(x.shape());
  }

}
