import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.*;
import java.util.*;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The measurements behind CLIP's per-window λ schedule (trainer/CLIP.md, "The λ schedule"): trains the tracking CLIP
 * MLP 784-256-256-10 on the first N Fashion-MNIST training samples (seed 42, batch 128, 64 pairs, α 0.85) and prints
 * every move of λ (window accuracy → λ), then per epoch the running train accuracy, λ at the end, the range of λ
 * within the epoch, the test accuracy and the trainer's estimate. Training only: no bounds or probes. Run from the
 * repository after building the trainer:
 * <pre>
 * java -cp trainer/target/classes:cli/target/lipwatch.jar docs/experiments/ClipLambdaSchedule.java 0 3 \
 *     1:2:0:0:1 1:1.5:0.03:1:1
 * </pre>
 * Arguments: training samples (0: all), epochs, then schedules λ0:factor:band:trend:warmupEpochs (window 50; 2:0:0
 * is the schedule before band and trend).
 */
public class ClipLambdaSchedule {
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    int epochs = Integer.parseInt(a[1]);
    Datasets.Splits s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(n));
    DataSet test = Datasets.toDataSet(s.test());
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, 128, 42));
    for (int k = 2; k < a.length; k++) {
      String[] v = a[k].split(":");
      double l0 = Double.parseDouble(v[0]);
      LambdaSchedule sched = new LambdaSchedule(Integer.parseInt(v[4]), 1, 50, Double.parseDouble(v[1]),
          Double.parseDouble(v[2]), Double.parseDouble(v[3]));
      Regularization r = Regularization.trackingClip(l0, 0.85, 64).withSchedule(sched);
      MultiLayerNetwork net = Architectures.mlp(784, new int[] {256, 256}, 10, Activation.RELU, 1e-3, 42);
      RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, 42);
      long t0 = System.nanoTime();
      StringBuilder ep = new StringBuilder();
      for (int e = 0; e < epochs; e++) {
        Collections.shuffle(batches, new Random(42 + e));
        RegularizedTrainer.EpochStats st = t.epoch(batches, null);
        int epoch = e + 1;
        DoubleSummaryStatistics range = t.windowMoves().stream().filter(m -> m.epoch() == epoch)
            .mapToDouble(RegularizedTrainer.WindowMove::weight).summaryStatistics();
        double lo = Math.min(st.weightBefore(), range.getCount() == 0 ? st.weightBefore() : range.getMin());
        double hi = Math.max(st.weightBefore(), range.getCount() == 0 ? st.weightBefore() : range.getMax());
        ep.append(String.format(Locale.ROOT, "  epoch %d: train acc %.4f, λ %.4g → %.4g (range %.4g–%.4g, ×%.2f), "
                + "estimate %.2f, %.0fs%n", epoch, st.trainAccuracy(), st.weightBefore(), st.weightAfter(), lo, hi,
            hi / lo, t.clipEstimate(), st.seconds()));
      }
      double testAcc = net.evaluate(new ListDataSetIterator<>(test.batchBy(1000), 1)).accuracy();
      System.out.printf(Locale.ROOT, "%s (%s): test %.4f, final λ %.4g, estimate %.2f, %.0fs%n", a[k], sched.describe(),
          testAcc, t.weight(), t.clipEstimate(), (System.nanoTime() - t0) / 1e9);
      System.out.print(ep);
      StringBuilder tr = new StringBuilder("  moves (epoch:acc→λ):");
      for (RegularizedTrainer.WindowMove m : t.windowMoves()) {
        tr.append(String.format(Locale.ROOT, " %d:%.3f→%.3g", m.epoch(), m.accuracy(), m.weight()));
      }
      System.out.println(tr);
    }
  }
}
