package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.network.ActivationSpec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The slope range [slopeMin, slopeMax] of every activation and parameter the engine accepts, against DL4J's own forward
 * pass: every finite-difference slope and every secant (f(x) − f(y))/(x − y) lies in the range (the slope restriction
 * LipSDP and SeqLip rely on), and both ends are approached (the range is not loose). Parameters cover the signs that
 * matter: ELU α &lt; 0 and α &gt; 1, leaky ReLU α &lt; 0, 0 and &gt; 1, ReLU with a negative slope.
 */
class ActivationSlopeTest {

  static Stream<Arguments> activations() {
    return Stream.of(
        Arguments.of("identity", new ActivationIdentity()),
        Arguments.of("relu", new ActivationReLU()),
        Arguments.of("relu ns=0.3", new ActivationReLU(null, 0.0, 0.3)),
        Arguments.of("relu ns=-0.4", new ActivationReLU(null, 0.0, -0.4)),
        Arguments.of("leaky -0.5", new ActivationLReLU(-0.5)),
        Arguments.of("leaky 0", new ActivationLReLU(0.0)),
        Arguments.of("leaky 0.3", new ActivationLReLU(0.3)),
        Arguments.of("leaky 2.5", new ActivationLReLU(2.5)),
        Arguments.of("elu -2", new ActivationELU(-2.0)),
        Arguments.of("elu -0.5", new ActivationELU(-0.5)),
        Arguments.of("elu 0.5", new ActivationELU(0.5)),
        Arguments.of("elu 1", new ActivationELU(1.0)),
        Arguments.of("elu 3", new ActivationELU(3.0)),
        Arguments.of("tanh", new ActivationTanH()),
        Arguments.of("sigmoid", new ActivationSigmoid()),
        Arguments.of("hardtanh", new ActivationHardTanH()),
        Arguments.of("relu6", new ActivationReLU6()),
        Arguments.of("softplus", new ActivationSoftPlus()),
        Arguments.of("softsign", new ActivationSoftSign()),
        Arguments.of("hardsigmoid", new ActivationHardSigmoid()));
  }

  static double[] dl4j(IActivation a, double[] x) {
    INDArray in = Nd4j.createFromArray(x).castTo(DataType.DOUBLE).reshape(1, x.length);
    return a.getActivation(in, false).toDoubleVector();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("activations")
  void slopeRangeContainsEverySlopeAndIsReached(String name, IActivation a) {
    ActivationSpec s = ActivationSpec.of(a, "l", "DenseLayer");
    double h = 1e-6;
    int n = 8001;
    double[] x = new double[n];
    double[] xp = new double[n];
    double[] xm = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = -20 + 40.0 * i / (n - 1) + 1.3e-4; // off the kinks at 0, ±1, ±2.5, 6
      xp[i] = x[i] + h;
      xm[i] = x[i] - h;
    }
    double[] fp = dl4j(a, xp);
    double[] fm = dl4j(a, xm);
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    double tol = 1e-6;
    for (int i = 0; i < n; i++) {
      double d = (fp[i] - fm[i]) / (2 * h);
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
      assertTrue(d >= s.slopeMin() - tol && d <= s.slopeMax() + tol,
          name + ": slope " + d + " at " + x[i] + " outside [" + s.slopeMin() + ", " + s.slopeMax() + "]");
      assertTrue(Math.abs(d) <= s.lipschitz() + tol, name + ": slope " + d + " above the Lipschitz constant");
    }
    // both ends approached within 1 % (ELU's α·eˣ end is reached only at 0⁻, softsign's 0 only asymptotically)
    assertTrue(lo <= s.slopeMin() + 0.01 * Math.max(1, Math.abs(s.slopeMin())),
        name + ": smallest slope " + lo + " far above slopeMin " + s.slopeMin());
    assertTrue(hi >= s.slopeMax() - 0.01 * Math.max(1, Math.abs(s.slopeMax())),
        name + ": largest slope " + hi + " far below slopeMax " + s.slopeMax());

    // secants over random pairs: the slope restriction itself
    SplittableRandom r = new SplittableRandom(name.hashCode());
    double[] u = new double[4000];
    double[] v = new double[4000];
    for (int i = 0; i < u.length; i++) {
      u[i] = 30 * (r.nextDouble() - 0.5);
      v[i] = r.nextBoolean() ? u[i] + 3 * r.nextGaussian() : 30 * (r.nextDouble() - 0.5);
    }
    double[] fu = dl4j(a, u);
    double[] fv = dl4j(a, v);
    for (int i = 0; i < u.length; i++) {
      if (Math.abs(u[i] - v[i]) < 1e-3) {
        continue;
      }
      double sec = (fu[i] - fv[i]) / (u[i] - v[i]);
      assertTrue(sec >= s.slopeMin() - tol && sec <= s.slopeMax() + tol,
          name + ": secant " + sec + " between " + u[i] + " and " + v[i] + " outside the range");
    }
  }
}
