package io.lipwatch.estimator.bounds.lipsdp;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;

/** Test networks and reference values. */
final class Nets {
  static final ActivationSpec RELU = new ActivationSpec("relu", 0, 1, true);
  static final ActivationSpec TANH = new ActivationSpec("tanh", 0, 1, true);
  static final ActivationSpec SIGMOID = new ActivationSpec("sigmoid", 0, 0.25, true);

  private Nets() {}

  static List<DenseMatrix> gaussian(int[] dims, Random r) {
    List<DenseMatrix> w = new ArrayList<>();
    for (int i = 1; i < dims.length; i++) {
      double[] d = new double[dims[i] * dims[i - 1]];
      double s = 1.0 / Math.sqrt(dims[i - 1]);
      for (int k = 0; k < d.length; k++) {
        d[k] = r.nextGaussian() * s;
      }
      w.add(new DenseMatrix(dims[i], dims[i - 1], d));
    }
    return w;
  }

  /** Uniform [0, 1/√(L)) like the LipSDP example script. */
  static List<DenseMatrix> nonNegative(int[] dims, Random r) {
    List<DenseMatrix> w = new ArrayList<>();
    double s = 1 / Math.sqrt(dims.length - 1);
    for (int i = 1; i < dims.length; i++) {
      double[] d = new double[dims[i] * dims[i - 1]];
      for (int k = 0; k < d.length; k++) {
        d[k] = r.nextDouble() * s;
      }
      w.add(new DenseMatrix(dims[i], dims[i - 1], d));
    }
    return w;
  }

  static List<ActivationSpec> acts(int n, ActivationSpec a) {
    return new ArrayList<>(Collections.nCopies(n, a));
  }

  /** ‖W_L … W_1‖₂. */
  static double productNorm(List<DenseMatrix> w) {
    DenseMatrix p = w.get(0);
    for (int i = 1; i < w.size(); i++) {
      p = w.get(i).times(p);
    }
    return SpectralNorm.exactUpper(p);
  }

  static double autoLip(List<DenseMatrix> w, List<ActivationSpec> acts) {
    double l = 1;
    for (DenseMatrix m : w) {
      l *= SpectralNorm.exactUpper(m);
    }
    for (ActivationSpec a : acts) {
      l *= a.lipschitz();
    }
    return l;
  }

  /** max over random inputs of ‖J(x)‖₂ by power iteration (from below): a lower bound of the Lipschitz constant. */
  static double jacobianLower(List<DenseMatrix> w, List<ActivationSpec> acts, int points, Random r) {
    double best = 0;
    int n0 = w.get(0).cols();
    for (int p = 0; p < points; p++) {
      double[] x = new double[n0];
      for (int k = 0; k < n0; k++) {
        x[k] = r.nextGaussian() * 2;
      }
      DenseMatrix j = null;
      for (int i = 0; i < w.size(); i++) {
        DenseMatrix wi = w.get(i);
        double[] v = new double[wi.rows()];
        wi.multiply(x, v);
        j = j == null ? wi : wi.times(j);
        if (i < acts.size()) {
          DoubleUnaryOperator f = fn(acts.get(i));
          DoubleUnaryOperator df = dfn(acts.get(i));
          double[] d = j.data().clone();
          for (int row = 0; row < j.rows(); row++) {
            double s = df.applyAsDouble(v[row]);
            for (int c = 0; c < j.cols(); c++) {
              d[row * j.cols() + c] *= s;
            }
          }
          j = new DenseMatrix(j.rows(), j.cols(), d);
          for (int k = 0; k < v.length; k++) {
            v[k] = f.applyAsDouble(v[k]);
          }
        }
        x = v;
      }
      best = Math.max(best, SpectralNorm.power(j, null, 2000, 1e-12, p).sigma());
    }
    return best;
  }

  private static DoubleUnaryOperator fn(ActivationSpec a) {
    return switch (a.name()) {
      case "relu" -> v -> Math.max(v, 0);
      case "tanh" -> Math::tanh;
      case "sigmoid" -> v -> 1 / (1 + Math.exp(-v));
      default -> throw new IllegalArgumentException(a.name());
    };
  }

  private static DoubleUnaryOperator dfn(ActivationSpec a) {
    return switch (a.name()) {
      case "relu" -> v -> v > 0 ? 1 : 0;
      case "tanh" -> v -> 1 - Math.tanh(v) * Math.tanh(v);
      case "sigmoid" -> v -> {
        double s = 1 / (1 + Math.exp(-v));
        return s * (1 - s);
      };
      default -> throw new IllegalArgumentException(a.name());
    };
  }
}
