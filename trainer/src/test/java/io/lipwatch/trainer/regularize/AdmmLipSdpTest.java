package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.bounds.lipsdp.LipSdp;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import java.io.IOException;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/** Pauli et al.'s ADMM on a small Fashion-MNIST MLP: the enforce mode ends at or below its target, verified. */
class AdmmLipSdpTest {
  static List<DataSet> batches;
  static List<DataSet> test;

  @BeforeAll
  static void data() throws IOException {
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    batches = Datasets.batches(Datasets.toDataSet(s.train().head(3000)), 64, 3);
    test = Datasets.toDataSet(s.test().head(1000)).batchBy(1000);
  }

  @Test
  void aFailedWStepIsSkippedAndNothingUncertifiedIsPublished() {
    MultiLayerNetwork net = pretrained();
    // a solver that does not exist: every W̄-step fails
    AdmmSettings bad = AdmmSettings.enforce(1.0).withCsdpExecutable(java.nio.file.Path.of("/nonexistent/csdp"));
    RegularizedTrainer t = new RegularizedTrainer(net, Regularization.admmLipSdp(8e-4), 0, 1, 11).withAdmm(bad);
    t.epoch(batches, null);
    assertTrue(t.admm().failures() >= 2, "failures " + t.admm().failures());
    IllegalStateException e = assertThrows(IllegalStateException.class, t::publishedNetwork);
    assertTrue(e.getMessage().contains("no certified weights"), e.getMessage());
  }

  static MultiLayerNetwork pretrained() {
    MultiLayerNetwork net = Architectures.mlp(784, new int[] {16, 16}, 10, Activation.RELU, 3e-3, 11);
    RegularizedTrainer t = new RegularizedTrainer(net, Regularization.none(), 0, 1, 11);
    for (int e = 0; e < 2; e++) {
      t.epoch(batches, null);
    }
    return net;
  }

  static double lipSdp(MultiLayerNetwork net) {
    return LipSdp.bound(AdmmLipSdp.weights(net), AdmmLipSdp.hiddenActivations(net), LipSdp.Mode.NEURON,
        LipSdp.Limits.defaults()).value();
  }

  static double accuracy(MultiLayerNetwork net) {
    return net.evaluate(new ListDataSetIterator<>(test, 1)).accuracy();
  }

  @Test
  void enforceModeEndsAtOrBelowTheTarget() throws IOException {
    MultiLayerNetwork net = pretrained();
    double l0 = lipSdp(net);
    double acc0 = accuracy(net);
    double target = 0.5 * l0;
    RegularizedTrainer t = new RegularizedTrainer(net, Regularization.admmLipSdp(8e-4), 0, 1, 11)
        .withAdmm(AdmmSettings.enforce(target));
    for (int e = 0; e < 3; e++) {
      t.epoch(batches, null);
    }
    MultiLayerNetwork published = t.publishedNetwork();
    assertNotSame(net, published, "enforce mode publishes the certified copy W̄");
    // an independent LipSDP run on the published weights (free multipliers, own certificate)
    double l = lipSdp(published);
    assertTrue(l <= target, "LipSDP of the published network " + l + " > target " + target + " (start " + l0 + ")");
    assertTrue(t.admm().lastReport().boundOfWBar() <= target, t.admm().lastReport().toString());
    // and as the estimator sees the snapshot: serialised, restored by the safe restorer, bounded by the engine
    byte[] zip = RetrainingLoop.serialize(published);
    RestoredModel restored = new SafeModelRestorer(SnapshotLimits.defaults()).restore(zip);
    LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults())
        .compute(NetworkExtractor.extract(restored, null), WarmStart.EMPTY, null);
    UpperBound sdp = c.upper().stream().filter(u -> u.method().equals("lipsdp")).findFirst().orElseThrow();
    assertTrue(sdp.sound() && sdp.value() <= target, sdp + " vs target " + target);
    // not the trivial feasible point W̄ = 0: the certified network still classifies
    double acc = accuracy(published);
    assertTrue(acc > 0.6, "certified accuracy " + acc + " (unconstrained " + acc0 + ")");
    // the ADMM coupling pulls the trained weights towards the feasible set
    assertTrue(t.admm().lastReport().primalResidual() > 0);
  }

  @Test
  void penaliseModeLowersTheBoundAndPublishesTheTrainedWeights() {
    MultiLayerNetwork plain = pretrained();
    MultiLayerNetwork net = pretrained();
    RegularizedTrainer p = new RegularizedTrainer(plain, Regularization.none(), 0, 1, 11);
    RegularizedTrainer t = new RegularizedTrainer(net, Regularization.admmLipSdp(0.05), 0, 1, 11)
        .withAdmm(AdmmSettings.penalize(0.05));
    for (int e = 0; e < 3; e++) {
      p.epoch(batches, null);
      t.epoch(batches, null);
    }
    assertSame(net, t.publishedNetwork());
    double lp = lipSdp(plain);
    double la = lipSdp(net);
    assertTrue(la < 0.8 * lp, "ADMM-penalised LipSDP " + la + " vs plain " + lp);
  }

  @Test
  void convolutionalNetworksAreRefusedWithTheReason() {
    MultiLayerNetwork cnn = Architectures.cnn(28, 28, 1, 10, 1e-3, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RegularizedTrainer(cnn, Regularization.admmLipSdp(8e-4), 0, 1, 1).withAdmm(AdmmSettings.enforce(1)));
    assertTrue(e.getMessage().contains("MLP"), e.getMessage());
  }
}
