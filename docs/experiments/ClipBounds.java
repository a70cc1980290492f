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
 * The CLIP-bounds investigation of the README (section "Training"): trains MLPs on a Fashion-MNIST subset with
 * RegularizedTrainer and prints test / PGD-L2 ε=2 / noise accuracy, every engine bound, where the engine's best pair
 * lies and the best quotient of the trainer's own pairs. Run from the repository with the built jar:
 * <pre>
 * java -cp cli/target/lipwatch.jar docs/experiments/ClipBounds.java 20000 6 256,256 relu none \
 *     clip:1:0.5:0.85:64:LIPSCHITZ:MEAN:2000 clip:1:0:NaN:64:LIPSCHITZ:MAX:2000:fixed
 * </pre>
 * Arguments: training samples, epochs, hidden sizes, activation, then models: none | wd:µ:dµ:α |
 * clip:λ0:dλ:α:pairs:LIPSCHITZ|SQUARED:MEAN|MAX:reset[:fixed] (α NaN keeps the weight fixed; fixed: no adaptive step).
 */
public class ClipBounds {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    int epochs = Integer.parseInt(a[1]);
    int[] hidden = Architectures.parseHidden(a[2]);
    Activation act = Activation.valueOf(a[3].toUpperCase());
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(n));
    DataSet test = Datasets.toDataSet(s.test());
    ProbeSet probe = s.test().head(500);
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, 128, 42));
    double[][] lowerInputs = Datasets.toDataSet(s.test().head(16)).getFeatures().toDoubleMatrix();
    for (int k = 4; k < a.length; k++) {
      String[] v = a[k].split(":");
      Regularization r = switch (v[0]) {
        case "none" -> Regularization.none();
        case "wd" -> Regularization.weightDecay(Double.parseDouble(v[1]), Double.parseDouble(v[2]), Double.parseDouble(v[3]));
        default -> Regularization.clip(Double.parseDouble(v[1]), Double.parseDouble(v[2]), Double.parseDouble(v[3]), Integer.parseInt(v[4]))
            .withForm(Regularization.Form.valueOf(v[5])).withAggregate(Regularization.Aggregate.valueOf(v[6])).withResetEvery(Integer.parseInt(v[7])).withAdaptiveStep(v.length < 9 || !v[8].equals("fixed"));
      };
      MultiLayerNetwork net = Architectures.mlp(784, hidden, 10, act, 1e-3, 42);
      RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, 42);
      long t0 = System.nanoTime();
      StringBuilder log = new StringBuilder();
      for (int e = 0; e < epochs; e++) {
        Collections.shuffle(batches, new Random(42 + e));
        RegularizedTrainer.EpochStats st = t.epoch(batches, null);
        log.append(String.format(Locale.ROOT, " [e%d loss %.3f pen %.2f maxR %.1f acc %.3f w %.3g]", e + 1, st.loss(), st.penalty(), st.maxRatio(), st.trainAccuracy(), st.weightAfter()));
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double testAcc = net.evaluate(new ListDataSetIterator<>(test.batchBy(1000), 1)).accuracy();
      ExtractedNetwork x = NetworkExtractor.extract(RestoredModel.of(net), null);
      LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults().withBudget(Duration.ofSeconds(5))).compute(x, WarmStart.EMPTY, lowerInputs);
      ProbeConfig pc = ProbeConfig.defaults().withSeed(42).withNoiseSigmas(List.of(1.0))
          .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 2.0, 100, 0.25)))
          .withCertifiedEps(List.of()).withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(10));
      Probes p = ProbeRunner.run(net, probe, pc, c.bounds().bestUpper()).probes();
      System.out.printf(Locale.ROOT, "%s: test %.3f PGD %.3f noise %.3f  %.0fs%s%n", a[k], testAcc, p.attacks().get(0).robustAccuracy(), p.noiseAccuracy().get(0).accuracy(), secs, log);
      for (UpperBound u : c.upper()) System.out.printf(Locale.ROOT, "   up %-14s %9.3f %s%n", u.method(), u.value(), u.sound());
      for (LowerBound l : c.lower()) System.out.printf(Locale.ROOT, "   lo %-14s %9.3f%n", l.method(), l.value());
      // where the estimator's best pair lies, and a search kept in [0,1]
      LowerBounds.Result cp = LowerBounds.clipPairs(x, lowerInputs, List.of(), 30, 43, 0);
      double[][] best = cp.pairs().get(0);
      System.out.printf(Locale.ROOT, "   estimator pair: ratio %.3f  dist %.3f  out-of-[0,1] coords x %d x' %d  range x [%.2f, %.2f]%n", LowerBounds.ratio(x, best[0], best[1]),
          dist(best[0], best[1]), outside(best[0]), outside(best[1]), min(best[0]), max(best[0]));
      var pairs = t.pairs();
      if (pairs != null) {
        int P = (int) pairs.size(0) / 2; double[][] m = pairs.toDoubleMatrix(); double mr = 0, md = 0;
        for (int i = 0; i < P; i++) { double rr = LowerBounds.ratio(x, m[i], m[P + i]); if (rr > mr) { mr = rr; md = dist(m[i], m[P+i]); } }
        System.out.printf(Locale.ROOT, "   trainer pairs now: max ratio %.3f (dist %.3f)%n", mr, md);
      }
    }
  }
  static double dist(double[] u, double[] v) { double d = 0; for (int i = 0; i < u.length; i++) d += (u[i]-v[i])*(u[i]-v[i]); return Math.sqrt(d); }
  static int outside(double[] u) { int c = 0; for (double d : u) if (d < -1e-9 || d > 1 + 1e-9) c++; return c; }
  static double min(double[] u) { return Arrays.stream(u).min().getAsDouble(); }
  static double max(double[] u) { return Arrays.stream(u).max().getAsDouble(); }
}
