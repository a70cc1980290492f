package io.lipwatch.estimator.format.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;

/** Every bound method on PyTorch exports: sound where the exact value is known, AutoLip as the product of exact norms. */
class OnnxBoundsTest {
  static final EngineConfig ENGINE = EngineConfig.defaults().withBudget(Duration.ofSeconds(5));

  static LipschitzEngine.Computed bounds(ExtractedNetwork net) {
    return new LipschitzEngine(ENGINE).compute(net, WarmStart.EMPTY, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"linear_o13", "relu_nonneg_o9"})
  void soundBoundsAreAboveTheExactValueAndLowerBoundsBelow(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    double exact = f.number("exact_lipschitz");
    LipschitzEngine.Computed c = bounds(OnnxForwardTest.read(f));
    List<UpperBound> sound = c.upper().stream().filter(UpperBound::sound).toList();
    assertTrue(sound.size() >= 2, "sound methods that ran: " + sound + " warnings " + c.warnings());
    for (UpperBound u : sound) {
      assertTrue(u.value() >= exact * (1 - 1e-9), name + ": " + u.method() + " = " + u.value() + " < exact " + exact);
    }
    assertTrue(c.lower().size() >= 1, "lower bounds ran");
    for (LowerBound l : c.lower()) {
      assertTrue(l.value() <= exact * (1 + 1e-9), name + ": " + l.method() + " = " + l.value() + " > exact " + exact);
    }
    // these nets attain their bound (all ReLUs active on non-negative inputs): the best lower bound gets close
    assertTrue(c.bounds().bestLower() >= 0.99 * exact, name + ": best lower " + c.bounds().bestLower() + " vs " + exact);
  }

  @ParameterizedTest
  @ValueSource(strings = {"linear_o13", "relu_nonneg_o9", "mlp_sigmoid_o13", "cnn_bn_o9"})
  void autoLipIsTheProductOfTheExactLayerNorms(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    double product = f.number("autolip_product");
    // per layer, so without composing consecutive affine maps (which makes a linear chain exact)
    UpperBound autolip = new LipschitzEngine(ENGINE).withoutFusion().compute(OnnxForwardTest.read(f), WarmStart.EMPTY, null).upper()
        .stream().filter(u -> u.method().equals("autolip"))
        .findFirst().orElseThrow();
    assertTrue(autolip.sound());
    assertEquals(product, autolip.value(), 1e-6 * product, name);
    assertTrue(autolip.value() >= product * (1 - 1e-12), name + ": a sound product rounds up");
  }

  /** The ReLU fixture rebuilt as a DL4J MultiLayerNetwork with the same weights. */
  static MultiLayerNetwork asDl4j(ExtractedNetwork onnx) {
    List<Node> affine = onnx.linearNodes();
    MultiLayerNetwork net = TestModels.mlp(1, Activation.RELU, 10, 8, 6, 4);
    for (int i = 0; i < affine.size(); i++) {
      DenseMatrix a = (DenseMatrix) affine.get(i).linear();
      double[] w = new double[a.rows() * a.cols()];
      for (int o = 0; o < a.rows(); o++) {
        for (int k = 0; k < a.cols(); k++) {
          w[k * a.rows() + o] = a.get(o, k); // DL4J's W is [nIn, nOut] = Aᵀ
        }
      }
      double[] b = ((Op.Affine) affine.get(i).op()).bias();
      net.getLayer(i).setParam("W", Nd4j.createFromArray(w).reshape(a.cols(), a.rows()).castTo(net.params().dataType()));
      net.getLayer(i).setParam("b", Nd4j.createFromArray(b).reshape(1, a.rows()).castTo(net.params().dataType()));
    }
    return net;
  }

  @Test
  void theSameWeightsAsDl4jZipAndAsOnnxGiveTheSameBounds() {
    OnnxFixtures f = OnnxFixtures.load("relu_nonneg_o9");
    ExtractedNetwork onnx = OnnxForwardTest.read(f);
    MultiLayerNetwork dl4j = asDl4j(onnx);
    double[] x = f.matrix("inputs")[0];
    double[] want = dl4j.output(Nd4j.createFromArray(new double[][] {x}).castTo(dl4j.params().dataType()))
        .castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
    double[] probs = f.matrix("outputs")[0];
    for (int k = 0; k < want.length; k++) {
      assertEquals(probs[k], want[k], 1e-5, "DL4J rebuild computes PyTorch's softmax output");
    }
    // through the whole pipeline, each from its own bytes and format header
    EngineConfig eng = ENGINE.withMethods(Set.of("autolip", "autolip-power", "seqlip", "gram", "lipbound", "gradient-norm"));
    EstimatePipeline p = new EstimatePipeline(SnapshotLimits.defaults(), null, null, new LipschitzEngine(eng), null);
    byte[] zip = TestModels.zip(dl4j);
    Estimate fromZip = p.run(SnapshotMetadata.of("m", 1, Sha256.hex(zip)), Map.of(), zip, null, null, null).estimate();
    SnapshotMetadata om = SnapshotMetadata.of("m", 1, Sha256.hex(f.model())).withFormat("onnx");
    Estimate fromOnnx = p.run(om, om.toHeaderMap(), f.model(), null, null, null).estimate();
    assertEquals("ONNX", fromOnnx.architecture().kind());
    assertEquals("MultiLayerNetwork", fromZip.architecture().kind());
    Map<String, Double> a = fromZip.lipschitz().upper().stream().collect(Collectors.toMap(UpperBound::method, UpperBound::value));
    Map<String, Double> b = fromOnnx.lipschitz().upper().stream().collect(Collectors.toMap(UpperBound::method, UpperBound::value));
    assertEquals(a.keySet(), b.keySet());
    for (String m : a.keySet()) {
      assertEquals(a.get(m), b.get(m), 1e-9 * a.get(m), m);
    }
    assertNotNull(fromOnnx.lipschitz().bestUpper());
    assertEquals(fromZip.lipschitz().bestUpper(), fromOnnx.lipschitz().bestUpper(), 1e-9 * fromZip.lipschitz().bestUpper());
  }
}
