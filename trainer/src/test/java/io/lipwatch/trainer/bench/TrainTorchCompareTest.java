package io.lipwatch.trainer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.bench.TorchReference;
import io.lipwatch.estimator.testing.Required;
import io.lipwatch.estimator.testing.TorchRequired;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code bench train --compare} times the same work on both sides: from the same weights, minibatches and initial
 * pairs, a few steps of the trainer and of the PyTorch reference end at the same weights (and, for CLIP, the same
 * pairs), with the same losses and the same CLIP penalty, within float32 rounding.
 */
class TrainTorchCompareTest {
  @TempDir Path dir;

  @Test
  void referenceStepsMatchTheTrainer() throws IOException {
    Path data = Required.dataset(Datasets.FASHION_MNIST, "dataset-fashion-mnist");
    Datasets.Splits s = Datasets.load(data, "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(3 * 128));
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, 128, 42));
    DataSet test = Datasets.toDataSet(s.test().head(200));
    Regularization clip = TrainBenchmark.benchClip(16);
    try (TorchReference ref = TorchRequired.start(dir)) {
      // plain: three Adam steps
      ObjectNode task = TrainBenchmark.exportEpoch(TrainBenchmark.net(train, 42), batches, test, dir);
      task.put("save", "plain");
      RegularizedTrainer plain = new RegularizedTrainer(TrainBenchmark.net(train, 42), Regularization.none(), 0, 1, 42);
      double loss = plain.epoch(batches, null).loss();
      JsonNode pv = ref.run(task).path("values");
      assertEquals(pv.path("mean_loss").asDouble(), loss, 1e-5, "mean data loss");
      assertSameWeights(plain.network(), "plain");
      assertEquals(pv.path("test_accuracy").asDouble(), TrainBenchmark.accuracy(plain.network(), test), 0.01);

      // CLIP: the penalty of the first step on the initial pairs, then the whole run's weights and pairs
      ObjectNode clipTask = TrainBenchmark.exportClip(task, clip, batches.get(0).getFeatures(), 42, dir);
      clipTask.put("save", "clip");
      RegularizedTrainer c = new RegularizedTrainer(TrainBenchmark.net(train, 42), clip, 0, 1, 42);
      RegularizedTrainer.EpochStats first = c.epoch(batches.subList(0, 1), null);
      RegularizedTrainer.EpochStats rest = c.epoch(batches.subList(1, batches.size()), null);
      JsonNode cv = ref.run(clipTask).path("values");
      assertTrue(first.penalty() > 0.01, "penalty " + first.penalty());
      assertEquals(cv.path("first_penalty").asDouble(), first.penalty(), 1e-4 * first.penalty(), "CLIP penalty");
      double meanPenalty = (first.penalty() * 128 + rest.penalty() * 256) / 384;
      assertEquals(cv.path("mean_penalty").asDouble(), meanPenalty, 1e-3 * meanPenalty, "mean CLIP penalty");
      assertEquals(cv.path("mean_loss").asDouble(), (first.loss() * 128 + rest.loss() * 256) / 384, 1e-5);
      assertSameWeights(c.network(), "clip");
      float[] pairs = readFloat(dir.resolve("clip_pairs.npy"));
      float[] lw = c.pairs().castTo(DataType.FLOAT).dup('c').data().asFloat();
      float[] start = io.lipwatch.trainer.regularize.ClipPenalty.initialPairs(clip, batches.get(0).getFeatures(),
          DataType.FLOAT, 0, 1, 42).dup('c').data().asFloat();
      double worst = 0;
      double moved = 0;
      for (int i = 0; i < lw.length; i++) {
        worst = Math.max(worst, Math.abs(lw[i] - pairs[i]));
        moved = Math.max(moved, Math.abs(lw[i] - start[i]));
      }
      System.out.printf("CLIP: penalty %.6f vs %.6f; pairs moved up to %.4f, differ by up to %.2e%n", first.penalty(),
          cv.path("first_penalty").asDouble(), moved, worst);
      assertTrue(moved > 1e-3, "the pairs ascended (largest move " + moved + ")");
      assertTrue(worst < 1e-3 * moved + 1e-5, "pairs differ by " + worst + " (moved " + moved + ")");
    }
  }

  /** Every weight and bias within float rounding of Adam's steps (lr 1e-3 a step: a differing step would show). */
  private void assertSameWeights(MultiLayerNetwork net, String prefix) throws IOException {
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    for (int i = 0; i < layers.length; i++) {
      for (String p : new String[] {"W", "b"}) {
        INDArray lw = layers[i].getParam(p).castTo(DataType.FLOAT).dup('c');
        float[] a = lw.data().asFloat();
        float[] t = readFloat(dir.resolve(prefix + "_" + p.toLowerCase() + i + ".npy"));
        assertEquals(a.length, t.length);
        double worst = 0;
        for (int k = 0; k < a.length; k++) {
          worst = Math.max(worst, Math.abs(a[k] - t[k]));
        }
        System.out.printf("%s layer %d %s: largest difference %.2e%n", prefix, i, p, worst);
        assertTrue(worst < 1e-5, prefix + " layer " + i + " " + p + ": largest difference " + worst);
      }
    }
  }

  /** A little-endian float32 C-order .npy as written by numpy.save. */
  static float[] readFloat(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int major = all[6];
    int headerLen = major == 1 ? bb.getShort(8) & 0xffff : bb.getInt(8);
    int start = (major == 1 ? 10 : 12) + headerLen;
    String header = new String(all, major == 1 ? 10 : 12, headerLen, StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("'<f4'") && header.contains("'fortran_order': False"), header);
    float[] f = new float[(all.length - start) / 4];
    bb.position(start);
    bb.asFloatBuffer().get(f);
    return f;
  }
}
