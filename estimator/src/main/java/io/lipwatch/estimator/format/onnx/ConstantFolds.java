package io.lipwatch.estimator.format.onnx;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Exact folds of constant tensors that exporters leave in graphs (PyTorch's Pad at opset 11+ builds its pads with
 * Reshape, Slice and Transpose of constants; MatMul weights arrive through a Transpose when constant folding is off).
 * Each refuses what it cannot fold through {@code refuse}, which names the node.
 */
final class ConstantFolds {
  /** Largest rank folded (the exporters' constants are of rank ≤ 4). */
  static final int MAX_RANK = 8;

  private ConstantFolds() {}

  static long[] strides(long[] dims) {
    long[] s = new long[dims.length];
    long k = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = k;
      k *= dims[i];
    }
    return s;
  }

  /** The element of {@code t} at c-order index {@code from}, copied to position {@code to} of the result arrays. */
  private static void copy(OnnxTensor t, int from, double[] v, long[] l, int to) {
    if (t.isInteger()) {
      l[to] = t.ints()[from];
    } else {
      v[to] = t.values()[from];
    }
  }

  private static OnnxTensor make(OnnxTensor like, long[] dims, double[] v, long[] l) {
    return like.isInteger() ? OnnxTensor.ofInts(dims, l) : OnnxTensor.ofValues(dims, v);
  }

  static OnnxTensor transpose(OnnxTensor t, long[] perm, Function<String, RuntimeException> refuse) {
    int r = t.rank();
    if (r > MAX_RANK) {
      throw refuse.apply("transpose of rank " + r);
    }
    int[] p = new int[r];
    boolean[] seen = new boolean[r];
    for (int k = 0; k < r; k++) {
      long q = perm == null ? r - 1 - k : (perm.length == r ? perm[k] : -1);
      if (q < 0 || q >= r || seen[(int) q]) {
        throw refuse.apply("perm " + Arrays.toString(perm) + " for rank " + r);
      }
      seen[(int) q] = true;
      p[k] = (int) q;
    }
    long[] in = t.dims();
    long[] inStride = strides(in);
    long[] out = new long[r];
    for (int k = 0; k < r; k++) {
      out[k] = in[p[k]];
    }
    int n = t.size();
    double[] v = t.isInteger() ? null : new double[n];
    long[] l = t.isInteger() ? new long[n] : null;
    long[] outStride = strides(out);
    for (int o = 0; o < n; o++) {
      long src = 0;
      long rem = o;
      for (int k = 0; k < r; k++) {
        long idx = rem / outStride[k];
        rem %= outStride[k];
        src += idx * inStride[p[k]];
      }
      copy(t, (int) src, v, l, o);
    }
    return make(t, out, v, l);
  }

  /** ONNX Slice (clamping as the operator defines it, negative steps included). */
  static OnnxTensor slice(OnnxTensor t, long[] starts, long[] ends, long[] axes, long[] steps,
      Function<String, RuntimeException> refuse) {
    int r = t.rank();
    if (starts == null || ends == null || starts.length != ends.length || starts.length > r || r > MAX_RANK
        || (axes != null && axes.length != starts.length) || (steps != null && steps.length != starts.length)) {
      throw refuse.apply("slice of " + t + " with starts " + Arrays.toString(starts) + ", ends " + Arrays.toString(ends)
          + ", axes " + Arrays.toString(axes) + ", steps " + Arrays.toString(steps));
    }
    long[] dims = t.dims();
    long[] lo = new long[r];
    long[] step = new long[r];
    long[] count = dims.clone();
    Arrays.fill(step, 1);
    boolean[] seen = new boolean[r];
    for (int k = 0; k < starts.length; k++) {
      long ax = axes == null ? k : axes[k] < 0 ? axes[k] + r : axes[k];
      if (ax < 0 || ax >= r || seen[(int) ax]) {
        throw refuse.apply("slice axis " + (axes == null ? k : axes[k]) + " of rank " + r);
      }
      seen[(int) ax] = true;
      int a = (int) ax;
      long d = dims[a];
      long s = steps == null ? 1 : steps[k];
      if (s == 0) {
        throw refuse.apply("slice step 0");
      }
      long b = starts[k] < 0 ? Math.max(starts[k], -d) + d : starts[k];
      long e = ends[k] < 0 ? Math.max(ends[k], -d - 1) + d : ends[k];
      if (s > 0) {
        b = Math.min(Math.max(b, 0), d);
        e = Math.min(Math.max(e, 0), d);
        count[a] = e > b ? (e - b + s - 1) / s : 0;
      } else {
        b = Math.min(Math.max(b, 0), d - 1);
        e = Math.min(Math.max(e, -1), d - 1);
        count[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
      }
      lo[a] = b;
      step[a] = s;
    }
    long[] inStride = strides(dims);
    long[] outStride = strides(count);
    long total = 1;
    for (long c : count) {
      total *= c;
    }
    int n = (int) total;
    double[] v = t.isInteger() ? null : new double[n];
    long[] l = t.isInteger() ? new long[n] : null;
    for (int o = 0; o < n; o++) {
      long src = 0;
      long rem = o;
      for (int k = 0; k < r; k++) {
        long idx = rem / outStride[k];
        rem %= outStride[k];
        src += (lo[k] + idx * step[k]) * inStride[k];
      }
      copy(t, (int) src, v, l, o);
    }
    return make(t, count, v, l);
  }

  /** Reshape of a constant: 0 copies a dimension, one -1 is inferred; the element count must not change. */
  static OnnxTensor reshape(OnnxTensor t, long[] shape, Function<String, RuntimeException> refuse) {
    if (shape == null || shape.length > MAX_RANK) {
      throw refuse.apply("constant reshape to " + Arrays.toString(shape));
    }
    long[] out = shape.clone();
    int infer = -1;
    long known = 1;
    for (int k = 0; k < out.length; k++) {
      if (out[k] == 0) {
        if (k >= t.rank()) {
          throw refuse.apply("0 (copy) in dimension " + k + " of a rank-" + t.rank() + " constant");
        }
        out[k] = t.dims()[k];
      }
      if (out[k] == -1) {
        if (infer >= 0) {
          throw refuse.apply("more than one inferred dimension");
        }
        infer = k;
        continue;
      }
      if (out[k] < 0 || out[k] > t.size()) {
        throw refuse.apply("constant reshape to " + Arrays.toString(shape));
      }
      known *= out[k];
    }
    if (infer >= 0) {
      if (known == 0 || t.size() % known != 0) {
        throw refuse.apply("cannot infer a dimension of " + t.size() + " / " + known);
      }
      out[infer] = t.size() / known;
    } else if (known != t.size()) {
      throw refuse.apply("constant reshape of " + t + " to " + Arrays.toString(shape));
    }
    return new OnnxTensor(out, t.values(), t.ints());
  }
}
