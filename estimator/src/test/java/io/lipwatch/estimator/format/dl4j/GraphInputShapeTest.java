package io.lipwatch.estimator.format.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A residual CNN ComputationGraph whose configuration does not keep its input type (DL4J stores none for graphs): the
 * shape comes from the {@code lipwatch.input-shape} header or, without one, from the probe set; probed end to end.
 */
class GraphInputShapeTest {
  static ComputationGraph graph() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
        .convolutionMode(ConvolutionMode.Same).graphBuilder()
        .addInputs("in").setInputTypes(InputType.convolutional(8, 8, 2))
        .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
        .addLayer("c2", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(), "c1")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "c1", "c2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
            .build(), "add")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  @Test
  void aGivenShapeExtractsTheGraphAndTheForwardPassMatchesDl4j() {
    ComputationGraph g = graph();
    ExtractedNetwork net = NetworkExtractor.extract(g, new long[] {2, 8, 8});
    assertArrayEquals(new long[] {2, 8, 8}, net.inputShape());
    SplittableRandom r = new SplittableRandom(9);
    double[] x = new double[128];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextDouble();
    }
    double[] want = g.outputSingle(Nd4j.createFromArray(x).castTo(DataType.FLOAT).reshape(1, 2, 8, 8))
        .castTo(DataType.DOUBLE).toDoubleVector();
    double[] z = net.output(x);
    double[] p = new double[z.length];
    ExtractedNetwork.softmax(z, p);
    for (int k = 0; k < want.length; k++) {
      assertEquals(want[k], p[k], 1e-5, "class " + k);
    }
  }

  @Test
  void withoutAHeaderTheProbeSetGivesTheShapeAndTheSnapshotIsBoundedAndAttacked() throws Exception {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    ModelSerializer.writeModel(graph(), bos, false);
    byte[] zip = bos.toByteArray();
    SplittableRandom r = new SplittableRandom(4);
    int n = 30;
    byte[] codes = new byte[n * 128];
    int[] labels = new int[n];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) r.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
    }
    ProbeSet set = new ProbeSet("graph-probes", List.of(2, 8, 8), 3, 0, 1, labels, codes, null);
    ProbeConfig probes = ProbeConfig.defaults().withNoiseSigmas(List.of()).withMinPerturbation(null)
        .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 0.5, 20, 0.1)))
        .withTimeBudget(Duration.ofMinutes(1));
    EstimatePipeline p = new EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), probes);
    Estimate e = p.run(SnapshotMetadata.of("graph", 1, Sha256.hex(zip)), Map.of(), zip, null, set, null).estimate();
    assertEquals(List.of(2L, 8L, 8L), e.architecture().inputShape().stream().map(Number::longValue).toList());
    assertTrue(e.lipschitz().bestUpper() != null && e.lipschitz().bestUpper() > 0, e.toString());
    assertFalse(e.probes().attacks().isEmpty(), "attacks ran through the engine's gradients: " + e.warnings());
  }
}
