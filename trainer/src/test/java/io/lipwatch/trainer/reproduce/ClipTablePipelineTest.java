package io.lipwatch.trainer.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.testing.Required;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.regularize.Regularization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A small {@code reproduce clip}: every row is estimated through the pipeline and its figures are consistent. */
class ClipTablePipelineTest {
  @Test
  void everyRowCarriesPipelineBoundsAndProbeFigures() throws Exception {
    Required.dataset(Datasets.FASHION_MNIST, "dataset-fashion-mnist");
    ClipTable.Options o = new ClipTable.Options(Datasets.FASHION_MNIST, "mlp", new int[] {16}, 1, 1000, 50, 100, 16,
        1.0, 0.5, 5e-4, 5e-4, List.of(0.85), 42, Regularization.trackingClip(1.0, 0.85, 16));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<ClipTable.Row> rows = ClipTable.run(o, new PrintStream(log, true, StandardCharsets.UTF_8));
    assertEquals(3, rows.size(), log.toString(StandardCharsets.UTF_8));
    for (ClipTable.Row r : rows) {
      assertNotNull(r.bestUpper(), r.name());
      assertNotNull(r.bestLower(), r.name());
      assertTrue(r.bestLower() > 0 && r.bestLower() <= r.bestUpper(), r.toString());
      assertTrue(r.pgd() >= 0 && r.pgd() <= 1 && r.noise() >= 0 && r.noise() <= 1, r.toString());
      assertNotNull(r.clipPairs(), "the pipeline's lower bounds include clip-pairs: " + r);
    }
  }
}
