package io.lipwatch.estimator.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import io.lipwatch.estimator.testing.TestModels;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The engine's network representation knows nothing of snapshots; the pipeline maps what it cannot represent. */
class UnsupportedLayerRejectionTest {
  @Test
  void aLayerTheEngineCannotRepresentRejectsTheSnapshotAsUnsupportedLayer() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
        .layer(new LSTM.Builder().name("memory").nIn(3).nOut(4).build())
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2).build())
        .build());
    net.init();
    byte[] zip = TestModels.zip(net);
    EstimatePipeline p = new EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), null);
    SnapshotRejectedException e = assertThrows(SnapshotRejectedException.class,
        () -> p.run(SnapshotMetadata.of("m", 1, Sha256.hex(zip)), Map.of(), zip, null, null, null));
    assertEquals(RejectReason.UNSUPPORTED_LAYER, e.reason());
    assertTrue(e.getMessage().contains("memory") && e.getMessage().contains("LSTM"), e.getMessage());
  }
}
