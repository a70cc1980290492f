package io.lipwatch.estimator.format.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch exports as users make them (generate.py): the activation zoo (LeakyReLU, ELU, Softplus, eval-mode Dropout,
 * Hardsigmoid, ReLU6, log-softmax), nn.Linear as MatMul + Add (folded and unfolded), strided, dilated, grouped and
 * depthwise convolutions after nn.ZeroPad2d, float64 and float16 weights. Each computes PyTorch's logits, and every
 * sound bound is above the largest Jacobian norm PyTorch found at the inputs and above the exact value where known.
 */
class OnnxExportsTest {

  static String[] exports() {
    return OnnxFixtures.EXPORTS;
  }

  @ParameterizedTest
  @MethodSource("exports")
  void forwardAndLayerNormsMatchPyTorch(String name) {
    OnnxForwardTest t = new OnnxForwardTest();
    t.forwardMatchesPyTorch(name);
    t.linearOperatorsHaveTheExactNorms(name);
  }

  @Test
  void float64WeightsAreReadAtFullPrecision() {
    OnnxFixtures f = OnnxFixtures.load("cnn_float64_o13");
    assertEquals("float64", f.meta().get("input_dtype").asText());
    ExtractedNetwork net = OnnxForwardTest.read(f);
    double[][] x = f.matrix("inputs");
    double[][] want = f.matrix("engine_outputs");
    for (int i = 0; i < x.length; i++) {
      double[] got = net.output(x[i]);
      for (int k = 0; k < got.length; k++) {
        // float32 rounding anywhere would show at 1e-8
        assertEquals(want[i][k], got[k], 1e-12 * Math.max(1, Math.abs(want[i][k])), "sample " + i + " output " + k);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("exports")
  void soundBoundsAreAboveWhatPyTorchMeasured(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    double jac = f.number("jacobian_norm_max");
    Double exact = f.number("exact_lipschitz");
    assertTrue(jac > 0, name);
    if (exact != null) {
      assertTrue(jac <= exact * (1 + 1e-9), name + ": PyTorch's Jacobian norm " + jac + " above the exact " + exact);
    }
    LipschitzEngine.Computed c = OnnxBoundsTest.bounds(OnnxForwardTest.read(f));
    List<UpperBound> sound = c.upper().stream().filter(UpperBound::sound).toList();
    assertTrue(sound.size() >= 2, name + ": sound methods that ran: " + sound + " warnings " + c.warnings());
    double floor = exact != null ? exact : jac;
    for (UpperBound u : sound) {
      assertTrue(u.value() >= floor * (1 - 1e-9), name + ": " + u.method() + " = " + u.value() + " < " + floor);
    }
    if (exact != null) {
      for (LowerBound l : c.lower()) {
        assertTrue(l.value() <= exact * (1 + 1e-9), name + ": " + l.method() + " = " + l.value() + " > exact " + exact);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mlp_zoo_o9", "mlp_zoo_o13", "matmul_o9", "matmul_o13", "mlp_float16_o13"})
  void autoLipIsTheProductOfTheExactLayerNorms(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    double product = f.number("autolip_product");
    UpperBound autolip = new LipschitzEngine(OnnxBoundsTest.ENGINE).withoutFusion()
        .compute(OnnxForwardTest.read(f), WarmStart.EMPTY, null).upper().stream()
        .filter(u -> u.method().equals("autolip")).findFirst().orElseThrow();
    assertEquals(product, autolip.value(), 1e-6 * product, name);
  }

  /** The whole pipeline, from the file's bytes and the onnx format header, as the stream and the CLI run it. */
  @ParameterizedTest
  @MethodSource("exports")
  void thePipelineEstimatesEachExport(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    double jac = f.number("jacobian_norm_max");
    EngineConfig eng = OnnxBoundsTest.ENGINE.withMethods(Set.of("autolip", "autolip-power", "seqlip", "gram", "gradient-norm"));
    EstimatePipeline p = new EstimatePipeline(SnapshotLimits.defaults(), null, null, new LipschitzEngine(eng), null);
    SnapshotMetadata m = SnapshotMetadata.of("m", 1, Sha256.hex(f.model())).withFormat("onnx");
    Estimate e = p.run(m, m.toHeaderMap(), f.model(), null, null, null).estimate();
    assertEquals("ONNX", e.architecture().kind());
    assertNotNull(e.lipschitz().bestUpper(), name + ": " + e.lipschitz());
    assertTrue(e.lipschitz().bestUpper() >= jac * (1 - 1e-9), name + ": best upper " + e.lipschitz().bestUpper() + " < " + jac);
    assertNotNull(e.lipschitz().bestLower(), name);
    assertTrue(e.lipschitz().bestLower() <= e.lipschitz().bestUpper() * (1 + 1e-9), name + ": " + e.lipschitz());
  }

  /** MatMul + Add (both spellings, folded or through a Transpose) is the same network as Gemm, and as DL4J's dense layers. */
  @ParameterizedTest
  @ValueSource(strings = {"matmul_o9", "matmul_o13"})
  void matMulPlusAddGivesTheBoundsOfTheSameWeightsAsDl4j(String name) {
    OnnxFixtures f = OnnxFixtures.load(name);
    ExtractedNetwork onnx = OnnxForwardTest.read(f);
    List<Node> affine = onnx.linearNodes();
    assertEquals(3, affine.size(), affine.stream().map(Node::name).toList().toString());
    assertEquals(onnx.nodes().size(), 5, "three affine maps (the Adds folded in) and two ReLUs: "
        + onnx.nodes().stream().map(Node::type).toList());
    MultiLayerNetwork dl4j = OnnxBoundsTest.asDl4j(onnx);
    EngineConfig eng = OnnxBoundsTest.ENGINE.withMethods(Set.of("autolip", "autolip-power", "seqlip", "gram", "lipbound"));
    EstimatePipeline p = new EstimatePipeline(SnapshotLimits.defaults(), null, null, new LipschitzEngine(eng), null);
    byte[] zip = TestModels.zip(dl4j);
    Estimate fromZip = p.run(SnapshotMetadata.of("m", 1, Sha256.hex(zip)), Map.of(), zip, null, null, null).estimate();
    SnapshotMetadata om = SnapshotMetadata.of("m", 1, Sha256.hex(f.model())).withFormat("onnx");
    Estimate fromOnnx = p.run(om, om.toHeaderMap(), f.model(), null, null, null).estimate();
    Map<String, Double> a = fromZip.lipschitz().upper().stream().collect(Collectors.toMap(UpperBound::method, UpperBound::value));
    Map<String, Double> b = fromOnnx.lipschitz().upper().stream().collect(Collectors.toMap(UpperBound::method, UpperBound::value));
    assertEquals(a.keySet(), b.keySet());
    for (String k : a.keySet()) {
      // DL4J holds the weights in float32, as the ONNX file does
      assertEquals(a.get(k), b.get(k), 1e-9 * a.get(k), k);
    }
    double exact = f.number("exact_lipschitz");
    assertTrue(fromOnnx.lipschitz().bestUpper() >= exact * (1 - 1e-9));
  }

  @Test
  void aTrainingModeDropoutIsRefusedNamingTheNode() {
    OnnxFixtures f = OnnxFixtures.load("dropout_train_o13");
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OnnxForwardTest.read(f));
    assertTrue(e.getMessage().contains("Dropout") && e.getMessage().contains("training_mode"), e.getMessage());
  }

  /**
   * Hardsigmoid (α = 1/6) becomes scale, relu6, scale; nn.ReLU6 is Clip(0, 6); F.relu6 is Relu then Clip(max 6) at
   * opset 9 (the two fused into one relu6) and Relu then Clip(0, 6) at opset 13.
   */
  @ParameterizedTest
  @ValueSource(strings = {"mlp_zoo_o9", "mlp_zoo_o13"})
  void pytorchsHardsigmoidAndRelu6AreExactDecompositions(String name) {
    ExtractedNetwork net = OnnxForwardTest.read(OnnxFixtures.load(name));
    List<String> types = net.nodes().stream().map(Node::type).toList();
    List<String> relu6f = name.endsWith("o9") ? List.of("Activation(relu6)") : List.of("Activation(relu)", "Activation(relu6)");
    List<String> want = new java.util.ArrayList<>(List.of("Gemm", "Activation(leakyrelu)", "Gemm", "Activation(elu)", "Gemm",
        "Activation(softplus)", "Gemm", "HardSigmoid", "Activation(relu6)", "HardSigmoid", "Gemm", "Activation(relu6)", "Gemm"));
    want.addAll(relu6f);
    want.add("Gemm");
    assertEquals(want, types, Arrays.toString(types.toArray()));
  }

  /** A fixture with one node changed (found by op type, the n-th of that type). */
  static byte[] mutate(String fixture, String opType, int nth, java.util.function.Consumer<onnx.OnnxMl.NodeProto.Builder> change)
      throws Exception {
    onnx.OnnxMl.ModelProto.Builder b = onnx.OnnxMl.ModelProto.parseFrom(OnnxFixtures.load(fixture).model()).toBuilder();
    int seen = 0;
    for (onnx.OnnxMl.NodeProto.Builder n : b.getGraphBuilder().getNodeBuilderList()) {
      if (n.getOpType().equals(opType) && seen++ == nth) {
        change.accept(n);
        return b.build().toByteArray();
      }
    }
    throw new IllegalStateException(fixture + " has no " + opType + " #" + nth);
  }

  static UnsupportedOpException refusal(byte[] model) {
    return assertThrows(UnsupportedOpException.class, () -> new OnnxModelReader(SnapshotLimits.defaults()).read(model));
  }

  /** Only the exact patterns pass: Clip(max 6) must follow a Relu, a pad must be zeros, a hard sigmoid must rise. */
  @Test
  void patternsThatAreNotExactAreRefusedNamingTheNode() throws Exception {
    // F.relu6 at opset 9 is the only Relu, read by Clip(max 6); made a Tanh, the Clip is min(tanh, 6): no engine op
    UnsupportedOpException clip = refusal(mutate("mlp_zoo_o9", "Relu", 0, n -> n.setOpType("Tanh")));
    assertTrue(clip.getMessage().contains("Clip") && clip.getMessage().contains("6.0"), clip.getMessage());
    UnsupportedOpException pad = refusal(mutate("cnn_strided_o9", "Pad", 0, n -> {
      for (int k = 0; k < n.getAttributeCount(); k++) {
        if (n.getAttribute(k).getName().equals("mode")) {
          n.setAttribute(k, n.getAttribute(k).toBuilder().setS(org.nd4j.shade.protobuf.ByteString.copyFromUtf8("reflect")));
        }
      }
    }));
    assertTrue(pad.getMessage().contains("Pad") && pad.getMessage().contains("reflect"), pad.getMessage());
    UnsupportedOpException hs = refusal(mutate("mlp_zoo_o13", "HardSigmoid", 0, n -> n.setAttribute(0,
        n.getAttribute(0).toBuilder().setF(-0.5f))));
    assertTrue(hs.getMessage().contains("HardSigmoid") && hs.getMessage().contains("alpha"), hs.getMessage());
  }

  @Test
  void constantFoldsFollowOnnxSemantics() {
    java.util.function.Function<String, RuntimeException> no = IllegalStateException::new;
    OnnxTensor m = OnnxTensor.ofInts(new long[] {4, 2}, new long[] {0, 0, 0, 0, 1, 2, 0, 1});
    // PyTorch's pads at opset 11+: rows reversed (step -1 from -1 to -inf), then transposed and flattened
    OnnxTensor rev = ConstantFolds.slice(m, new long[] {-1}, new long[] {Long.MIN_VALUE + 1}, new long[] {0}, new long[] {-1}, no);
    assertEquals(List.of(0L, 1L, 1L, 2L, 0L, 0L, 0L, 0L), Arrays.stream(rev.ints()).boxed().toList());
    OnnxTensor t = ConstantFolds.transpose(rev, new long[] {1, 0}, no);
    assertEquals(List.of(2L, 4L), Arrays.stream(t.dims()).boxed().toList());
    assertEquals(List.of(0L, 1L, 0L, 0L, 1L, 2L, 0L, 0L), Arrays.stream(t.ints()).boxed().toList());
    OnnxTensor flat = ConstantFolds.reshape(t, new long[] {-1}, no);
    assertEquals(List.of(8L), Arrays.stream(flat.dims()).boxed().toList());
    OnnxTensor mid = ConstantFolds.slice(flat, new long[] {1}, new long[] {7}, null, new long[] {2}, no);
    assertEquals(List.of(1L, 0L, 2L), Arrays.stream(mid.ints()).boxed().toList());
    assertThrows(IllegalStateException.class, () -> ConstantFolds.reshape(t, new long[] {3, -1}, no));
    assertThrows(IllegalStateException.class, () -> ConstantFolds.transpose(t, new long[] {0, 0}, no));
  }
}
