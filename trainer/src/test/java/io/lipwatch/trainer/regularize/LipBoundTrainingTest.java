package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/** A short CNN run on a Fashion-MNIST subset: the LipBound regulariser lowers Σ log LipBound at the same seed. */
class LipBoundTrainingTest {
  static List<DataSet> batches;

  @BeforeAll
  static void data() throws IOException {
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    batches = Datasets.batches(Datasets.toDataSet(s.train().head(512)), 64, 3);
  }

  /** The trainer's path: --arch cnn from a TrainerConfig, the penalty built from the regularisation. */
  static RegularizedTrainer train(Regularization r, int epochs) {
    TrainerConfig cfg = new TrainerConfig("t", Datasets.FASHION_MNIST, "fashion-mnist", new int[] {8}, "relu", 64, 3e-3, 1, 1,
        Duration.ZERO, 512, 100, 4, "cnn", r);
    MultiLayerNetwork net = RetrainingLoop.buildNetwork(cfg, 784, 10);
    RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, 4);
    for (int e = 0; e < epochs; e++) {
      t.epoch(batches, null);
    }
    return t;
  }

  /**
   * 16 Adam steps move each weight by about 16·lr whatever the penalty's scale, so the effect grows with C only slowly
   * (measured: Σ log LipBound 4.15 without, 3.95 / 3.75 / 3.59 with C = 0.2 / 1 / 5); C = 1 makes it clear in a short run.
   */
  @Test
  void lipBoundLowersTheSumOfLogLipBounds() {
    RegularizedTrainer plain = train(Regularization.none(), 2);
    RegularizedTrainer reg = train(Regularization.lipBound(1.0, 0, Double.NaN), 2);
    double before = LipBoundPenalty.sumLogLipBound(train(Regularization.none(), 0).network(), 10);
    double p = LipBoundPenalty.sumLogLipBound(plain.network(), 10);
    double q = LipBoundPenalty.sumLogLipBound(reg.network(), 10);
    assertTrue(q < p - 0.2, "Σ log LipBound with the regulariser " + q + " vs without " + p + " (at init " + before + ")");
    // the step reports the penalty it added: Σ log LipBound without the weight
    assertEquals(q, reg.lastPenalty(), 0.05);
    assertEquals(1.0, reg.weight(), 0);
  }

  @Test
  void theDiscrepancyPrincipleMovesC() {
    RegularizedTrainer t = train(Regularization.lipBound(0.008, 0.004, 0.0), 1);
    assertEquals(0.012, t.weight(), 1e-12, "train accuracy above a target of 0 raises C by dC");
  }
}
