package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bench.CompareTable;
import io.lipwatch.estimator.bench.TorchReference;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.MinPerturbationSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.lipwatch.estimator.testing.Required;
import io.lipwatch.estimator.testing.TorchRequired;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench probes --compare} computes what the PyTorch reference computes on the same weights and inputs: FGSM is
 * deterministic (equal up to float rounding flipping a sample or two), PGD differs only by its random starts, the
 * suite's clean accuracy is exact and its minimal perturbation agrees to the bisection's resolution. In the suite both
 * sides report each attack as the accuracy under the attacks so far at its norm and ε (FGSM after PGD at the same ε: at
 * most PGD's figure, well below FGSM's own), so its rows compare the same quantity.
 */
class TorchCompareTest {
  @TempDir Path dir;

  @Test
  void compareMatchesTheReference() throws Exception {
    Path data = Required.dataset(ProbeBenchmark.DEFAULT_DATA, "dataset-fashion-mnist");
    ProbeSet test = IdxReader.split(data, "t10k", "fashion-mnist").head(200);
    ProbeSet train = IdxReader.split(data, "train", "fashion-mnist-train").head(3000);
    MultiLayerNetwork net = ProbeBenchmark.trainedMlp(train, 7);
    List<AttackSpec> attacks = List.of(AttackSpec.fgsm(Norm.LINF, 0.03), AttackSpec.fgsm(Norm.L2, 1.0),
        AttackSpec.pgd(Norm.LINF, 0.03, 10, 0.0075).plain(), AttackSpec.pgd(Norm.L2, 1.0, 10, 0.25).plain());
    MinPerturbationSpec mp = new MinPerturbationSpec(4.0, 4, 10);
    ProbeConfig suite = ProbeConfig.defaults().withSeed(7).withSamples(200).withBatchSize(200)
        .withNoiseSigmas(List.of(0.1)).withAttacks(List.of(attacks.get(2), attacks.get(3), attacks.get(1)))
        .withMinPerturbation(mp)
        .withTimeBudget(Duration.ofMinutes(5));
    CompareTable table;
    try (TorchReference ref = TorchRequired.start(dir)) {
      table = ProbeBenchmark.compare(net, test, attacks, suite, 1, 7, ref, dir);
    }
    System.out.print(table);
    List<CompareTable.Row> rows = table.rows();
    assertEquals(5, rows.size(), table.toString());
    for (int i = 0; i < 4; i++) {
      CompareTable.Row r = rows.get(i);
      assertNotNull(r.torch(), r.work());
      assertTrue(r.torch().median() > 0 && r.lipwatch().median() > 0, table.toString());
      double lw = r.lipwatchValues()[0];
      double pt = r.torchValues()[0];
      // FGSM: 2 of 200 samples may flip on float rounding; PGD: different random starts, 10 steps
      double tol = i < 2 ? 0.01 : 0.03;
      assertEquals(pt, lw, tol, r.work() + "\n" + table);
    }
    // the attacks bite: otherwise equal figures prove nothing
    assertTrue(rows.get(3).lipwatchValues()[0] < rows.get(1).lipwatchValues()[0] + 1e-9, table.toString());
    assertTrue(rows.get(3).lipwatchValues()[0] < 0.5, table.toString());
    double[] lw = rows.get(4).lipwatchValues();
    double[] pt = rows.get(4).torchValues();
    assertEquals(pt[0], lw[0], 0.0, "clean accuracy\n" + table);
    for (int k = 1; k < lw.length - 1; k++) {
      assertEquals(pt[k], lw[k], 0.03, "suite attack " + k + "\n" + table);
    }
    // suite: [PGD L∞, PGD L2 ε=1, FGSM L2 ε=1]; FGSM's figure counts PGD's breaks on both sides (cumulative) — on its
    // own FGSM leaves far more standing (row 1), so a side reporting it alone would fail here
    for (double[] v : List.of(lw, pt)) {
      assertTrue(v[3] <= v[2] + 1e-12, "cumulative FGSM after PGD\n" + table);
      assertTrue(v[3] < rows.get(1).lipwatchValues()[0] - 0.02, "FGSM alone vs after PGD\n" + table);
    }
    // bisection resolution 4/2⁴ plus the random starts' noise
    assertEquals(pt[lw.length - 1], lw[lw.length - 1], 0.25 + 0.1 * pt[lw.length - 1], "median min L2\n" + table);
    assertTrue(lw[lw.length - 1] > 0 && lw[lw.length - 1] < 4, table.toString());
  }
}
