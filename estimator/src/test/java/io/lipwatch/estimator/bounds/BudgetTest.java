package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Duration;
import java.util.Set;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Budgets are honoured inside the methods' loops on a network where the unbudgeted methods take many times longer
 * (784-1024-1024-10, 1.8 M parameters), and an estimate stopped by its budget says so ({@code converged: false}).
 */
class BudgetTest {

  @Test
  void greedySeqLipAndPowerIterationStopAtTheirBudget() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(2).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(1024).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(1024).nOut(1024).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(1024).nOut(10).activation(Activation.SOFTMAX)
            .build())
        .build());
    net.init();
    ExtractedNetwork x = NetworkExtractor.extract(net);
    Duration budget = Duration.ofMillis(300);
    EngineConfig cfg = EngineConfig.defaults().withBudget(budget);

    // one SVD of a 1024-wide layer cannot be interrupted: timed here, under the same load as the method
    double svdSecs = oneWideSvdSeconds();
    long t0 = System.nanoTime();
    UpperBound greedy = SeqLip.bound(x, false, System.nanoTime() + budget.toNanos());
    double secs = (System.nanoTime() - t0) / 1e9;
    // one SVD (with its copies) may finish after the deadline; nothing else may
    double allowed = budget.toMillis() / 1000.0 + 3 * svdSecs + 1.0;
    assertTrue(secs < allowed, "seqlip-greedy took " + secs + " s on a 300 ms budget (allowed " + allowed
        + " s; one 1024×1024 SVD took " + svdSecs + " s)");
    assertEquals(Boolean.FALSE, greedy.converged(), greedy.toString());
    assertTrue(!greedy.sound());

    t0 = System.nanoTime();
    AutoLip.Result power = AutoLip.powerEstimate(x, cfg.withBudget(Duration.ofMillis(5)), WarmStart.EMPTY,
        System.nanoTime() + Duration.ofMillis(5).toNanos());
    secs = (System.nanoTime() - t0) / 1e9;
    assertTrue(secs < 1.0, "autolip-power took " + secs + " s on a 5 ms budget");
    assertEquals(Boolean.FALSE, power.bound().converged(), power.bound().toString());
    assertTrue(power.bound().note().contains("not converged"), power.bound().note());

    // with room to converge it says so
    AutoLip.Result full = AutoLip.powerEstimate(x, cfg.withBudget(Duration.ofSeconds(60)), WarmStart.EMPTY,
        System.nanoTime() + Duration.ofSeconds(60).toNanos());
    assertEquals(Boolean.TRUE, full.bound().converged(), full.bound().note());

    // through the engine: the method's outcome stays an estimate marked unconverged, never a bound
    LipschitzEngine.Computed c = new LipschitzEngine(cfg.withMethods(Set.of(AutoLip.POWER_METHOD, "autolip"))
        .withBudget(Duration.ofMillis(5))).compute(x, WarmStart.EMPTY, null);
    assertTrue(c.upper().stream().filter(u -> u.method().equals(AutoLip.POWER_METHOD))
        .allMatch(u -> !u.sound() && u.converged() != null), c.upper().toString());
  }

  @Test
  void anSvdThatCannotFinishInTheBudgetIsNotStarted() {
    // 784-2048-2048-10: one 2048×2048 dgesvd takes ~80 s on two cores; unstarted, the method ends at once
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(2048).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(2048).nOut(2048).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(2048).nOut(10).activation(Activation.SOFTMAX)
            .build())
        .build());
    net.init();
    ExtractedNetwork x = NetworkExtractor.extract(net);
    long t0 = System.nanoTime();
    UpperBound greedy = SeqLip.bound(x, false, System.nanoTime() + Duration.ofSeconds(1).toNanos());
    double secs = (System.nanoTime() - t0) / 1e9;
    assertTrue(secs < 1.5, "seqlip-greedy took " + secs + " s on a 1 s budget: " + greedy);
    assertEquals(Boolean.FALSE, greedy.converged(), greedy.toString());
    assertTrue(greedy.note().contains("would take"), greedy.note());
  }

  private static double oneWideSvdSeconds() {
    INDArray a = Nd4j.rand(DataType.DOUBLE, 1024, 1024).dup('f');
    INDArray s = Nd4j.create(DataType.DOUBLE, 1024);
    INDArray u = Nd4j.create(DataType.DOUBLE, new long[] {1024, 1024}, 'f');
    INDArray vt = Nd4j.create(DataType.DOUBLE, new long[] {1024, 1024}, 'f');
    long t0 = System.nanoTime();
    Nd4j.getBlasWrapper().lapack().gesvd(a, s, u, vt);
    return (System.nanoTime() - t0) / 1e9;
  }

  /** A per-method cap shortens that method's deadline only, and never lengthens the budget. */
  @Test
  void budgetCapAppliesToItsMethodOnly() {
    EngineConfig cfg = EngineConfig.defaults().withBudgetCap("probe-cap", Duration.ofMillis(200));
    assertEquals(Duration.ofMillis(200), cfg.budgetOf("probe-cap"));
    assertEquals(Duration.ofSeconds(3), cfg.budgetOf("autolip"));
    assertEquals(Duration.ofMillis(100), cfg.withBudget(Duration.ofMillis(100)).budgetOf("probe-cap"));
    assertEquals(Duration.ofMillis(200), cfg.withMethods(Set.of("autolip")).budgetOf("probe-cap"));
    java.util.Map<String, Long> left = new java.util.HashMap<>();
    BoundMethods methods = BoundMethods.standard().with(deadlineRecorder("probe-cap", left))
        .with(deadlineRecorder("probe-free", left));
    ExtractedNetwork x = NetworkExtractor.extract(Nets.mlp(3, Activation.RELU, false, 8, 8, 3));
    new LipschitzEngine(cfg.withMethods(Set.of("probe-cap", "probe-free")), methods).compute(x, WarmStart.EMPTY, null);
    assertTrue(left.get("probe-cap") <= Duration.ofMillis(200).toNanos(), left.toString());
    assertTrue(left.get("probe-free") > Duration.ofMillis(200).toNanos(), left.toString());
  }

  /** A method that records how much time its deadline leaves it and reports nothing. */
  private static BoundMethod deadlineRecorder(String name, java.util.Map<String, Long> left) {
    return new BoundMethod() {
      public String name() {
        return name;
      }

      public Kind kind() {
        return Kind.ESTIMATE;
      }

      public boolean byDefault() {
        return false;
      }

      public MethodOutcome compute(MethodContext ctx) {
        left.put(name, ctx.deadline() - System.nanoTime());
        return null;
      }
    };
  }
}
