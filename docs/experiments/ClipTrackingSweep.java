import io.lipwatch.estimator.bounds.*;
import io.lipwatch.estimator.format.dl4j.*;
import io.lipwatch.estimator.network.*;
import io.lipwatch.estimator.estimate.*;
import io.lipwatch.estimator.probes.*;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.*;
import java.time.Duration;
import java.util.*;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The measurements behind CLIP's tracking defaults (trainer/CLIP.md, "Tracking the Lipschitz constant"): trains MLPs
 * 784-256-256-10 on the first N Fashion-MNIST training samples and prints test accuracy, PGD-L2 ε=2 (100 steps of 0.25)
 * and noise accuracy on the first M test samples, the engine's best upper and lower bound and its clip-pairs value,
 * and the trainer's own running estimate. Run from the repository after building the trainer:
 * <pre>
 * java -cp trainer/target/classes:cli/target/lipwatch.jar docs/experiments/ClipTrackingSweep.java 10000 1 300 \
 *     none clip:1:MAX:1.5:50:20:3:8:w30:2:0
 * </pre>
 * Arguments: training samples (0: all), epochs, probe samples, then models: none | wd:µ:dµ |
 * clip:λ0:MEAN|MAX|TOP:radius:reseed:stallWindow:stallAscent:engineSeeds:schedule, schedule e (± λ0/2 per epoch) or
 * wN:factor:warmupEpochs[:band:trend] (×/÷ every N minibatches; band and trend 0 unless given, the schedule before them). Target accuracy 0.85, seed 42, batch 128, 64 pairs, Adam 1e-3.
 */
public class ClipTrackingSweep {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    int epochs = Integer.parseInt(a[1]);
    int m = Integer.parseInt(a[2]);
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(n));
    DataSet test = Datasets.toDataSet(s.test());
    ProbeSet probe = s.test().head(m);
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, 128, 42));
    double[][] lowerInputs = Datasets.toDataSet(s.test().head(16)).getFeatures().toDoubleMatrix();
    for (int k = 3; k < a.length; k++) {
      Regularization r = parse(a[k]);
      MultiLayerNetwork net = Architectures.mlp(784, new int[] {256, 256}, 10, Activation.RELU, 1e-3, 42);
      RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, 42);
      long t0 = System.nanoTime();
      StringBuilder log = new StringBuilder();
      for (int e = 0; e < epochs; e++) {
        Collections.shuffle(batches, new Random(42 + e));
        RegularizedTrainer.EpochStats st = t.epoch(batches, null);
        log.append(String.format(Locale.ROOT, " [e%d acc %.3f pen %.2f maxR %.1f λ %.3g est %.2f]", e + 1, st.trainAccuracy(),
            st.penalty(), st.maxRatio(), st.weightAfter(), t.clipEstimate()));
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double testAcc = net.evaluate(new ListDataSetIterator<>(test.batchBy(1000), 1)).accuracy();
      ExtractedNetwork x = NetworkExtractor.extract(RestoredModel.of(net), null);
      LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults().withBudget(Duration.ofSeconds(5)))
          .compute(x, WarmStart.EMPTY, lowerInputs);
      ProbeConfig pc = ProbeConfig.defaults().withSeed(42).withNoiseSigmas(List.of(1.0))
          .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 2.0, 100, 0.25)))
          .withCertifiedEps(List.of()).withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(10));
      Probes p = ProbeRunner.run(net, probe, pc, c.bounds().bestUpper()).probes();
      double clipPairs = c.lower().stream().filter(l -> l.method().equals(LowerBounds.CLIP)).mapToDouble(LowerBound::value)
          .max().orElse(Double.NaN);
      System.out.printf(Locale.ROOT, "%s: test %.3f PGD %.3f noise %.3f bestUpper %.2f bestLower %.2f clip-pairs %.2f "
              + "trainer-estimate %.2f λ %.3g %.0fs%s%n", a[k], testAcc, p.attacks().get(0).robustAccuracy(),
          p.noiseAccuracy().get(0).accuracy(), c.bounds().bestUpper(), c.bounds().bestLower(), clipPairs, t.clipEstimate(),
          t.weight(), secs, log);
    }
  }

  static Regularization parse(String spec) {
    String[] v = spec.split(":");
    return switch (v[0]) {
      case "none" -> Regularization.none();
      case "wd" -> Regularization.weightDecay(Double.parseDouble(v[1]), Double.parseDouble(v[2]), 0.85);
      default -> {
        double l0 = Double.parseDouble(v[1]);
        Regularization r = Regularization.clip(l0, l0 / 2, 0.85, 64)
            .withAggregate(Regularization.Aggregate.valueOf(v[2]))
            .withTracking(new ClipTracking(Double.parseDouble(v[3]), Integer.parseInt(v[4]), Integer.parseInt(v[5]),
                Integer.parseInt(v[6]), Integer.parseInt(v[7])));
        if (v[8].startsWith("w")) {
          // band and trend default to 0 here: the schedule these measurements were taken with
          r = r.withSchedule(LambdaSchedule.windowed(Integer.parseInt(v[10]), Integer.parseInt(v[8].substring(1)),
              Double.parseDouble(v[9])).withBandAndTrend(v.length > 11 ? Double.parseDouble(v[11]) : 0,
              v.length > 12 ? Double.parseDouble(v[12]) : 0));
        }
        yield r;
      }
    };
  }
}
