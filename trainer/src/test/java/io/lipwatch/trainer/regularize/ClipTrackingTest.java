package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.bounds.LowerBounds;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import java.io.IOException;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * CLIP whose pairs track the Lipschitz constant: pairs stay local, the trainer's running estimate agrees with the
 * engine's clip-pairs search on the trained model, and the per-window λ schedule settles.
 */
class ClipTrackingTest {
  static List<DataSet> batches;
  static double[][] probes;

  @BeforeAll
  static void data() throws IOException {
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    batches = Datasets.batches(Datasets.toDataSet(s.train().head(2000)), 64, 3);
    probes = Datasets.toDataSet(s.test().head(16)).getFeatures().toDoubleMatrix();
  }

  @Test
  void pairsStayLocalAndTheEstimateTracksTheEngine() {
    MultiLayerNetwork net = Architectures.mlp(784, new int[] {64, 64}, 10, Activation.RELU, 3e-3, 5);
    Regularization r = Regularization.trackingClip(0.2, 0.8, 32).withSchedule(LambdaSchedule.windowed(1, 10, 2));
    RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, 5);
    for (int e = 0; e < 3; e++) {
      t.epoch(batches, null);
    }
    INDArray p = t.pairs();
    int k = (int) (p.size(0) / 2);
    double[] dist = p.get(NDArrayIndex.interval(0, k), NDArrayIndex.all())
        .sub(p.get(NDArrayIndex.interval(k, 2L * k), NDArrayIndex.all())).norm2(1).toDoubleVector();
    for (double d : dist) {
      assertTrue(d <= ClipTracking.DEFAULT.radius() + 1e-4, "pair distance " + d + " beyond the radius");
    }
    assertTrue(p.minNumber().doubleValue() >= 0 && p.maxNumber().doubleValue() <= 1, "pairs in the input range");
    assertTrue(Double.isFinite(t.clip().engineSearchValue()), "re-seeded from the engine's search");
    ExtractedNetwork x = NetworkExtractor.extract(RestoredModel.of(net), null);
    double engine = LowerBounds.clipPairs(x, probes, List.of(), 30, 2, 0).bound().value();
    double own = t.clipEstimate();
    assertTrue(own > engine / 2 && own < engine * 2, "trainer estimate " + own + " vs engine clip-pairs " + engine);
  }

  @Test
  void windowedDiscrepancyBracketsAndSettles() {
    WindowedDiscrepancy w = new WindowedDiscrepancy(2);
    assertEquals(2.0, w.next(1, 0.9, 0.85, 0.5), 1e-12, "above the target: ×2");
    assertEquals(0.5 / Math.sqrt(2), w.next(0.5, 0.8, 0.85, 0.5), 1e-12, "direction flips: factor √2, then ÷");
    assertEquals(Math.sqrt(2), w.factor(), 1e-12);
    assertEquals(0.25 / Math.sqrt(2), w.next(0.25, 0.8, 0.85, 0.5), 1e-12, "same direction: factor kept");
    assertEquals(0.5 * Math.pow(2, 0.25), w.next(0, 0.9, 0.85, 0.5), 1e-12, "flip again; from 0 up starts at the restart");
    // alternating windows: the factor shrinks to its floor, so the weight stops swinging
    double lambda = 1;
    for (int i = 0; i < 20; i++) {
      lambda = w.next(lambda, i % 2 == 0 ? 0.8 : 0.9, 0.85, 0.5);
    }
    assertEquals(LambdaSchedule.MIN_FACTOR, w.factor(), 1e-12);
    assertEquals(1.0, w.next(1, Double.NaN, 0.85, 0.5), 0, "no accuracy: unchanged");
  }

  @Test
  void perEpochScheduleWaitsForWarmupAndEveryNth() {
    LambdaSchedule paper = LambdaSchedule.PAPER;
    for (int e = 1; e <= 5; e++) {
      assertTrue(!paper.movesAfterEpoch(e), "warm-up epoch " + e);
    }
    assertTrue(!paper.movesAfterEpoch(6));
    assertTrue(paper.movesAfterEpoch(7));
    assertTrue(LambdaSchedule.EVERY_EPOCH.movesAfterEpoch(1));
  }
}
