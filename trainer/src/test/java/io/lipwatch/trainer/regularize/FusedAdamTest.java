package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The buffered step's fused Adam pass updates the parameters as DL4J's Adam updater does (same float32 arithmetic, ε
 * and bias correction), keeps the network's updater state for whatever trains next, follows a learning-rate change,
 * and steps aside for other updaters; its two element blocks give the same bits as one pass; and the trainer's plain
 * epoch through the buffered step lands where DL4J's own {@code fit} does.
 */
class FusedAdamTest {
  /** Largest |a − b| over the parameters. */
  private static double worst(MultiLayerNetwork a, MultiLayerNetwork b) {
    double[] pa = a.params().toDoubleVector();
    double[] pb = b.params().toDoubleVector();
    double w = 0;
    for (int i = 0; i < pa.length; i++) {
      w = Math.max(w, Math.abs(pa[i] - pb[i]));
    }
    return w;
  }

  /** The trainer without a regulariser on the test MLP (ReLU, Adam) of the given weight seed. */
  private static RegularizedTrainer plain(int netSeed) {
    return new RegularizedTrainer(BufferedStepTest.mlp(Activation.RELU, false, netSeed), Regularization.none(), 0, 1,
        1);
  }

  @Test
  void fusedStepsMatchDl4jsAdamAndKeepItsState() {
    List<DataSet> data = BufferedStepTest.batches(6, 32, 5, false, 11);
    RegularizedTrainer fused = plain(3);
    RegularizedTrainer dl4j = plain(3).withoutFusedAdam();
    assertTrue(fused.fusedAdam());
    assertFalse(dl4j.fusedAdam());
    for (int epoch = 0; epoch < 2; epoch++) {
      RegularizedTrainer.EpochStats a = fused.epoch(data, null);
      RegularizedTrainer.EpochStats b = dl4j.epoch(data, null);
      assertEquals(b.loss(), a.loss(), 1e-6);
    }
    double w = worst(fused.network(), dl4j.network());
    System.out.printf("fused Adam vs DL4J's updater after 12 steps: largest parameter difference %.2e%n", w);
    assertTrue(w < 1e-6, "largest parameter difference " + w);
    // the Adam state (m, v) is back in the network's updater, as DL4J's own steps leave it
    double[] sa = fused.network().getUpdater().getStateViewArray().toDoubleVector();
    double[] sb = dl4j.network().getUpdater().getStateViewArray().toDoubleVector();
    double ws = 0;
    double scale = 0;
    for (int i = 0; i < sa.length; i++) {
      ws = Math.max(ws, Math.abs(sa[i] - sb[i]));
      scale = Math.max(scale, Math.abs(sb[i]));
    }
    assertTrue(scale > 0 && ws <= 1e-6 * scale, "updater state differs by " + ws + " (scale " + scale + ")");
    assertEquals(dl4j.network().getIterationCount(), fused.network().getIterationCount());
    // DL4J's fit continues from that state: one more minibatch on each ends at the same weights
    fused.network().fit(data.get(0));
    dl4j.network().fit(data.get(0));
    assertTrue(worst(fused.network(), dl4j.network()) < 1e-6);
  }

  @Test
  void anEpochFailingMidwayLeavesTheAdamStateOfTheStepsDone() {
    List<DataSet> data = BufferedStepTest.batches(4, 32, 5, false, 14);
    RegularizedTrainer fused = plain(6);
    RegularizedTrainer dl4j = plain(6).withoutFusedAdam();
    // ND4J's native failures are Errors (BlasException): the third minibatch fails like one
    List<DataSet> failing = new java.util.AbstractList<>() {
      @Override
      public DataSet get(int i) {
        if (i == 2) {
          throw new org.nd4j.linalg.api.blas.BlasException("native failure");
        }
        return data.get(i);
      }

      @Override
      public int size() {
        return data.size();
      }
    };
    org.junit.jupiter.api.Assertions.assertThrows(org.nd4j.linalg.api.blas.BlasException.class,
        () -> fused.epoch(failing, null));
    dl4j.epoch(data.subList(0, 2), null);
    assertEquals(dl4j.network().getIterationCount(), fused.network().getIterationCount());
    assertTrue(worst(fused.network(), dl4j.network()) < 1e-6);
    // the two steps' m and v are in the network's updater: the next epoch continues from them
    fused.epoch(data, null);
    dl4j.epoch(data, null);
    double w = worst(fused.network(), dl4j.network());
    assertTrue(w < 1e-6, "largest parameter difference after the next epoch " + w);
  }

  @Test
  void aLearningRateChangeBetweenEpochsIsFollowed() {
    List<DataSet> data = BufferedStepTest.batches(3, 32, 5, false, 12);
    RegularizedTrainer fused = plain(4);
    RegularizedTrainer dl4j = plain(4).withoutFusedAdam();
    fused.epoch(data, null);
    dl4j.epoch(data, null);
    // DL4J rebuilds its updater on a learning-rate change (the retraining loop's fine-tuning does this)
    fused.network().setLearningRate(1e-4);
    dl4j.network().setLearningRate(1e-4);
    fused.epoch(data, null);
    dl4j.epoch(data, null);
    assertTrue(fused.fusedAdam());
    assertTrue(worst(fused.network(), dl4j.network()) < 1e-6);
  }

  @Test
  void otherUpdatersKeepDl4jsUpdater() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).updater(new Nesterovs(0.01, 0.9)).list()
        .layer(new DenseLayer.Builder().nIn(20).nOut(8).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(5)
            .activation(Activation.SOFTMAX).build()).build());
    net.init();
    RegularizedTrainer t = new RegularizedTrainer(net, Regularization.none(), 0, 1, 1);
    assertTrue(t.buffered());
    assertFalse(t.fusedAdam());
    MultiLayerNetwork l2 = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).updater(new org.nd4j.linalg.learning.config.Adam(1e-3)).l2(1e-4).list()
        .layer(new DenseLayer.Builder().nIn(20).nOut(8).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(5)
            .activation(Activation.SOFTMAX).build()).build());
    l2.init();
    l2.initGradientsView();
    assertNull(FusedAdam.tryOf(l2), "L2 in the configuration is DL4J's updater's business");
    MultiLayerNetwork plain = BufferedStepTest.mlp(Activation.RELU, false, 1);
    plain.initGradientsView();
    assertNotNull(FusedAdam.tryOf(plain));
  }

  @Test
  void twoBlocksGiveTheBitsOfOnePass() {
    int n = 3 * ElementBlocks.MIN_SPLIT + 5;
    float[] seq = new float[n];
    float[] split = new float[n];
    AtomicInteger blocks = new AtomicInteger();
    ElementBlocks.Block f = (lo, hi) -> {
      blocks.incrementAndGet();
      for (int i = lo; i < hi; i++) {
        float x = (float) Math.sin(i * 0.37);
        split[i] = (x * 0.9f + (float) Math.sqrt(Math.abs(x)) * 0.1f) / (float) (1 + i % 7);
      }
    };
    ElementBlocks.run(n, Integer.MAX_VALUE, 1, (lo, hi) -> {
      for (int i = lo; i < hi; i++) {
        float x = (float) Math.sin(i * 0.37);
        seq[i] = (x * 0.9f + (float) Math.sqrt(Math.abs(x)) * 0.1f) / (float) (1 + i % 7);
      }
    });
    ElementBlocks.run(n, ElementBlocks.MIN_SPLIT, 16, f);
    assertArrayEquals(seq, split);
    assertEquals(Runtime.getRuntime().availableProcessors() > 1 ? 2 : 1, blocks.get());
    // an exception in a block reaches the caller
    RuntimeException boom = new IllegalStateException("boom");
    RuntimeException got = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
        () -> ElementBlocks.run(n, 0, 1, (lo, hi) -> {
          if (hi == n) {
            throw boom;
          }
        }));
    assertEquals("boom", got.getMessage());
  }

  @Test
  void aFailingLowerBlockWaitsForTheUpperOne() {
    lowerBlockFails(IllegalStateException.class, () -> new IllegalStateException("lower"));
    // ND4J's native failures are Errors (BlasException): they wait for the upper block as well
    lowerBlockFails(org.nd4j.linalg.api.blas.BlasException.class,
        () -> new org.nd4j.linalg.api.blas.BlasException("lower"));
  }

  /** The lower block throws what {@code failure} makes while the upper one runs; 5 rounds. */
  private static <T extends Throwable> void lowerBlockFails(Class<T> type,
      java.util.function.Supplier<? extends T> failure) {
    int n = 2 * ElementBlocks.MIN_SPLIT;
    for (int round = 0; round < 5; round++) {
      java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
      double[] sink = new double[1];
      org.junit.jupiter.api.Assertions.assertThrows(type,
          () -> ElementBlocks.run(n, 0, 1, (lo, hi) -> {
            if (lo == 0) {
              // fail while the worker is inside the upper block (when it gets a core within 2 s)
              long until = System.nanoTime() + 2_000_000_000L;
              while (!started.get() && System.nanoTime() < until) {
                Thread.onSpinWait();
              }
              throwUnchecked(failure.get());
            }
            started.set(true);
            double acc = 0;
            for (int i = 0; i < 2_000_000; i++) {
              acc += Math.sqrt(i);
            }
            sink[0] = acc;
            finished.set(true);
          }));
      // when the exception reaches the caller, the upper block has either not run or run to its end
      assertTrue(!started.get() || finished.get(), "round " + round);
    }
  }

  /** Throws a Throwable that the Block's signature does not declare (an Error or a RuntimeException here). */
  private static void throwUnchecked(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    throw (Error) t;
  }

  @Test
  void thePlainEpochLandsWhereDl4jsFitDoes() {
    List<DataSet> data = BufferedStepTest.batches(5, 32, 5, false, 13);
    MultiLayerNetwork byFit = BufferedStepTest.mlp(Activation.RELU, false, 5);
    byFit.fit(new ListDataSetIterator<>(data, 1));
    RegularizedTrainer own = plain(5);
    assertTrue(own.buffered() && own.fusedAdam());
    own.epoch(data, null);
    double w = worst(own.network(), byFit);
    System.out.printf("trainer's buffered epoch vs DL4J fit after 5 steps: largest parameter difference %.2e%n", w);
    assertTrue(w < 1e-5, "largest parameter difference " + w);
    assertEquals(byFit.getIterationCount(), own.network().getIterationCount());
  }
}
