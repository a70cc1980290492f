package io.lipwatch.estimator.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationCube;
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
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each activation the engine maps: its value against DL4J's own forward pass, its slope against central differences of
 * that forward pass (not DL4J's backprop: for ELU with α ≠ 1 it returns eˣ instead of α·eˣ), its slope interval
 * containing every slope, and its Lipschitz constant (the known value, and reached). DL4J keeps parameters in float, so
 * values agree to 1e-7.
 */
class ActivationSpecTest {
  /** The points where a slope jumps: both one-sided conventions are right there, so slopes are compared elsewhere. */
  static final double[] KINKS = {0, -1, 1, 6, -2.5, 2.5};

  static Stream<Arguments> activations() {
    return Stream.of(
        Arguments.of(new ActivationIdentity(), 1.0),
        Arguments.of(new ActivationReLU(), 1.0),
        Arguments.of(new ActivationLReLU(0.1), 1.0),
        Arguments.of(new ActivationLReLU(2.0), 2.0),
        Arguments.of(new ActivationELU(1.0), 1.0),
        Arguments.of(new ActivationELU(2.0), 2.0),
        Arguments.of(new ActivationTanH(), 1.0),
        Arguments.of(new ActivationSigmoid(), 0.25),
        Arguments.of(new ActivationHardTanH(), 1.0),
        Arguments.of(new ActivationReLU6(), 1.0),
        Arguments.of(new ActivationSoftPlus(), 1.0),
        Arguments.of(new ActivationSoftSign(), 1.0),
        Arguments.of(new ActivationHardSigmoid(), 0.2));
  }

  static double[] grid() {
    List<Double> xs = new ArrayList<>();
    for (double x = -12; x <= 12; x += 0.0625) {
      xs.add(x);
    }
    for (double x : new double[] {-40, -31, 29.5, 30.5, 40, 1e-9, -1e-9}) {
      xs.add(x);
    }
    return xs.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static final double H = 1e-5;

  static boolean nearKink(double x) {
    for (double k : KINKS) {
      if (Math.abs(x - k) < 2 * H) {
        return true;
      }
    }
    return false;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("activations")
  void matchesDl4jAndItsLipschitzConstant(IActivation a, double lipschitz) {
    ActivationSpec s = ActivationSpec.of(a, "layer", "DenseLayer");
    assertTrue(s.elementWise());
    assertEquals(lipschitz, s.lipschitz(), 0.0, "Lipschitz constant of " + a);
    double[] x = grid();
    INDArray in = Nd4j.createFromArray(x).castTo(DataType.DOUBLE).reshape(1, x.length);
    double[] dl4jValue = a.getActivation(in.dup(), false).toDoubleVector();
    double[] plus = a.getActivation(in.add(H), false).toDoubleVector();
    double[] minus = a.getActivation(in.sub(H), false).toDoubleVector();
    double steepest = 0;
    for (int i = 0; i < x.length; i++) {
      assertEquals(dl4jValue[i], s.apply(x[i]), 1e-7 * (1 + Math.abs(dl4jValue[i])), a + " at " + x[i]);
      double d = s.derivative(x[i]);
      assertTrue(d >= s.slopeMin() - 1e-15 && d <= s.slopeMax() + 1e-15, a + " slope " + d + " at " + x[i] + " outside ["
          + s.slopeMin() + ", " + s.slopeMax() + "]");
      if (!nearKink(x[i])) {
        assertEquals((plus[i] - minus[i]) / (2 * H), d, 1e-4, a + " slope at " + x[i]);
      }
      steepest = Math.max(steepest, Math.abs(d));
    }
    // the constant is reached (softplus only approaches 1: within 1e-3 at x = 12)
    assertTrue(steepest >= s.lipschitz() * (1 - 1e-3), a + ": steepest sampled slope " + steepest + " vs " + s.lipschitz());
  }

  @Test
  void slopeIntervalsOfTheParametricOnes() {
    ActivationSpec lrelu = ActivationSpec.of(new ActivationLReLU(0.1), "l", "DenseLayer");
    assertEquals(0.1, lrelu.slopeMin(), 0.0);
    assertEquals(1.0, lrelu.slopeMax(), 0.0);
    ActivationSpec elu = ActivationSpec.of(new ActivationELU(0.5), "l", "DenseLayer");
    assertEquals(0.0, elu.slopeMin(), 0.0);
    assertEquals(1.0, elu.slopeMax(), 0.0);
    ActivationSpec relu = ActivationSpec.of(new ActivationReLU(), "l", "DenseLayer");
    assertEquals(0.0, relu.slopeMin(), 0.0);
    assertEquals(1.0, relu.slopeMax(), 0.0);
    assertEquals(ActivationSpec.IDENTITY, ActivationSpec.of(null, "l", "DenseLayer"));
  }

  @Test
  void softmaxIsNotElementWiseAndUnknownOnesAreNamed() {
    ActivationSpec sm = ActivationSpec.of(new ActivationSoftmax(), "out", "OutputLayer");
    assertFalse(sm.elementWise());
    assertEquals(1.0, sm.lipschitz(), 0.0);
    UnsupportedLayerException cube = assertThrows(UnsupportedLayerException.class,
        () -> ActivationSpec.of(new ActivationCube(), "dense-7", "DenseLayer"));
    assertTrue(cube.getMessage().contains("dense-7") && cube.getMessage().contains("ActivationCube"), cube.getMessage());
    UnsupportedLayerException capped = assertThrows(UnsupportedLayerException.class,
        () -> ActivationSpec.of(new ActivationReLU(6.0, 0.0, 0.0), "r", "DenseLayer"));
    assertTrue(capped.getMessage().contains("max/threshold"), capped.getMessage());
  }
}
