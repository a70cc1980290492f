package io.lipwatch.trainer.regularize;

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
import org.nd4j.linalg.dataset.DataSet;

/** On a small fixed problem CLIP lowers the measured Lipschitz lower bound, and weight decay the weights' norm. */
class ClipTrainingTest {
  static List<DataSet> batches;
  static double[][] probes;

  @BeforeAll
  static void data() throws IOException {
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    batches = Datasets.batches(Datasets.toDataSet(s.train().head(2000)), 64, 3);
    probes = Datasets.toDataSet(s.test().head(16)).getFeatures().toDoubleMatrix();
  }

  static RegularizedTrainer train(Regularization r) {
    MultiLayerNetwork net = Architectures.mlp(784, new int[] {64, 64}, 10, Activation.RELU, 3e-3, 5);
    RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, 5);
    for (int e = 0; e < 3; e++) {
      t.epoch(batches, null);
    }
    return t;
  }

  static double lower(MultiLayerNetwork net) {
    ExtractedNetwork x = NetworkExtractor.extract(RestoredModel.of(net), null);
    double g = LowerBounds.gradientNorm(x, probes, 30, 1, 0).bound().value();
    double c = LowerBounds.clipPairs(x, probes, List.of(), 20, 2, 0).bound().value();
    return Math.max(g, c);
  }

  @Test
  void clipLowersTheLipschitzLowerBound() {
    RegularizedTrainer plain = train(Regularization.none());
    RegularizedTrainer clip = train(Regularization.clip(0.2, 0, Double.NaN, 32));
    double lp = lower(plain.network());
    double lc = lower(clip.network());
    assertTrue(lc < 0.7 * lp, "CLIP lower bound " + lc + " vs unregularised " + lp);
    assertTrue(clip.lastMaxRatio() > 0, "pairs ascended");
  }
}
