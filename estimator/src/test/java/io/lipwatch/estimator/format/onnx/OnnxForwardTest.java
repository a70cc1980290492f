package io.lipwatch.estimator.format.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The converted PyTorch exports compute what PyTorch computed, and their linear operators have the norms torch.linalg found. */
class OnnxForwardTest {

  static String[] fixtures() {
    return OnnxFixtures.ALL;
  }

  static ExtractedNetwork read(OnnxFixtures f) {
    return new OnnxModelReader(SnapshotLimits.defaults()).read(f.model());
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void forwardMatchesPyTorch(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    ExtractedNetwork net = read(f);
    double[][] x = f.matrix("inputs");
    double[][] want = f.matrix("engine_outputs");
    assertEquals(x[0].length, net.inputDim());
    assertEquals(want[0].length, net.outputDim());
    assertEquals(f.meta().get("input_shape").size(), net.inputShape().length);
    for (int i = 0; i < x.length; i++) {
      double[] got = net.output(x[i]);
      double scale = Arrays.stream(want[i]).map(Math::abs).max().orElse(1);
      for (int k = 0; k < got.length; k++) {
        assertEquals(want[i][k], got[k], 1e-5 * Math.max(scale, 1e-3), name + " sample " + i + " output " + k);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("fixtures")
  void linearOperatorsHaveTheExactNorms(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    double[] norms = f.vector("layer_norms");
    var linear = read(f).linearNodes();
    assertEquals(norms.length, linear.size(), name + ": " + linear.stream().map(Node::name).toList());
    for (int i = 0; i < norms.length; i++) {
      double got = powerNorm(linear.get(i));
      assertEquals(norms[i], got, 1e-6 * norms[i], name + " layer " + linear.get(i).name());
    }
  }

  /** ‖A‖₂ by 3000 power iterations on AᵀA (the test operators are tiny and well separated). */
  static double powerNorm(Node n) {
    var a = n.linear();
    double[] v = new double[a.inDim()];
    java.util.Random r = new java.util.Random(3);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian();
    }
    double[] y = new double[a.outDim()];
    double s = 0;
    for (int it = 0; it < 3000; it++) {
      double nv = Math.sqrt(Arrays.stream(v).map(t -> t * t).sum());
      for (int i = 0; i < v.length; i++) {
        v[i] /= nv;
      }
      a.apply(v, y);
      s = Math.sqrt(Arrays.stream(y).map(t -> t * t).sum());
      a.applyTranspose(y, v);
    }
    assertTrue(s > 0);
    return s;
  }
}
