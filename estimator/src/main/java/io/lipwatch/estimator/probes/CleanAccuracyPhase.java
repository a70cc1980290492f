package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.CleanPass;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Clean accuracy and the logit margins (double precision) that the certificates use. When an FGSM is configured and
 * the classifier has the dense kernel, the clean logits come from that kernel's step, and the batch keeps the step's
 * input gradients for FGSM ({@link CleanPass}): the same logits as the plain forward (same kernel, same blocks), and
 * FGSM then skips a forward and a backward pass.
 */
final class CleanAccuracyPhase implements ProbePhase {
  /** Whether to compute the double-precision margins (only the certificates read them). */
  private final boolean margins;
  /** See {@link #MAX_KEPT_FLOATS}. */
  private final long maxKeptFloats;

  CleanAccuracyPhase() {
    this(true);
  }

  CleanAccuracyPhase(boolean margins) {
    this(margins, MAX_KEPT_FLOATS);
  }

  CleanAccuracyPhase(boolean margins, long maxKeptFloats) {
    this.margins = margins;
    this.maxKeptFloats = maxKeptFloats;
  }

  @Override
  public String name() {
    return "clean";
  }

  @Override
  public void run(ProbeRun run) {
    int n = run.n();
    boolean[] correct = new boolean[n];
    double[] m = new double[n];
    int outputs = -1;
    boolean keep = keepsCleanPass(run);
    for (int bi = 0; bi < run.batches.size(); bi++) {
      Batch b = run.batches.get(bi);
      int[] pred;
      CleanPass pass = keep ? cleanPass(run.classifier, b) : null;
      if (pass != null) {
        run.batches.set(bi, b.withClean(pass));
        outputs = pass.logits().length / b.n();
        pred = new int[b.n()];
        for (int i = 0; i < b.n(); i++) {
          pred[i] = Attacks.argMax(pass.logits(), i, outputs);
        }
      } else {
        INDArray z = run.classifier.logits(b.x());
        outputs = (int) z.size(1);
        pred = Attacks.predictions(z);
      }
      double[][] zd = margins ? run.classifier.logitsDouble(b.x()).toDoubleMatrix() : null;
      for (int i = 0; i < b.n(); i++) {
        correct[b.offset() + i] = pred[i] == b.labels()[i];
        m[b.offset() + i] = zd == null ? Double.NaN : ProbeRunner.margin(zd[i]);
      }
    }
    if (outputs != run.samples.classes()) {
      throw new IllegalArgumentException("model has " + outputs + " outputs but probe set " + run.samples.name()
          + " has " + run.samples.classes() + " classes");
    }
    long badMargins = Arrays.stream(m).filter(v -> !Double.isFinite(v)).count();
    if (margins && badMargins > 0) {
      run.warnings.add("model outputs NaN or infinite logits for " + badMargins + " of " + n + " samples");
    }
    run.correct = correct;
    run.margins = margins ? m : null;
    run.clean = ProbeRun.fraction(correct);
  }

  /**
   * The kept gradients' size at most (floats, over all batches: 128 MB): the pass is one float per sample and input,
   * kept for the whole run; past this FGSM steps itself.
   */
  static final long MAX_KEPT_FLOATS = 32L << 20;

  /** An FGSM will run (it reads the clean gradients), the classifier has input gradients, and the pass is small enough. */
  private boolean keepsCleanPass(ProbeRun run) {
    return run.gradients() && (long) run.n() * run.samples.dimension() <= maxKeptFloats
        && run.config.attacks().stream().anyMatch(a -> a.kind() == ProbeConfig.Kind.FGSM);
  }

  /**
   * The dense kernel's step on the clean rows (logits and cross-entropy input gradients), or null without that kernel:
   * through another classifier's own paths, logits and gradients need not be the same arithmetic as its logits.
   */
  private static CleanPass cleanPass(Classifier c, Batch b) {
    StepKernel k = c instanceof DenseClassifier dc ? dc.kernel(b.labels(), b.d()) : null;
    if (k == null) {
      return null;
    }
    try (k) {
      float[] z = new float[b.n() * k.classes()];
      float[] g = new float[b.n() * b.d()];
      k.step(b.flat(), LogitLoss.CE, z, g);
      return new CleanPass(z, g);
    }
  }
}
