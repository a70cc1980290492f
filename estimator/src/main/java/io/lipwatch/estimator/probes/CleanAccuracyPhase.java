package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Batch;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Clean accuracy and the logit margins (double precision) that the certificates use. */
final class CleanAccuracyPhase implements ProbePhase {
  @Override
  public String name() {
    return "clean";
  }

  @Override
  public void run(ProbeRun run) {
    int n = run.n();
    boolean[] correct = new boolean[n];
    double[] margins = new double[n];
    int outputs = -1;
    for (Batch b : run.batches) {
      INDArray z = run.classifier.logits(b.x());
      outputs = (int) z.size(1);
      int[] pred = Attacks.predictions(z);
      double[][] zd = run.classifier.logitsDouble(b.x()).toDoubleMatrix();
      for (int i = 0; i < b.n(); i++) {
        correct[b.offset() + i] = pred[i] == b.labels()[i];
        margins[b.offset() + i] = ProbeRunner.margin(zd[i]);
      }
    }
    if (outputs != run.samples.classes()) {
      throw new IllegalArgumentException("model has " + outputs + " outputs but probe set " + run.samples.name()
          + " has " + run.samples.classes() + " classes");
    }
    long badMargins = Arrays.stream(margins).filter(m -> !Double.isFinite(m)).count();
    if (badMargins > 0) {
      run.warnings.add("model outputs NaN or infinite logits for " + badMargins + " of " + n + " samples");
    }
    run.correct = correct;
    run.margins = margins;
    run.clean = ProbeRun.fraction(correct);
  }
}
