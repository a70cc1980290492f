package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.Attacks.Batch;

/** Accuracy under Gaussian input noise of each configured σ (clipped to the input box). */
final class NoiseAccuracyPhase implements ProbePhase {
  @Override
  public String name() {
    return "noise";
  }

  @Override
  public void run(ProbeRun run) {
    ProbeConfig cfg = run.config;
    for (int k = 0; k < cfg.noiseSigmas().size(); k++) {
      double sigma = cfg.noiseSigmas().get(k);
      int ok = 0;
      for (int bi = 0; bi < run.batches.size(); bi++) {
        Batch b = run.batches.get(bi);
        long seed = ProbeRunner.mix(cfg.seed(), 1, k, bi);
        int[] pred = Attacks.predictions(run.classifier.logits(Attacks.noisy(b.x(), sigma, run.lo(), run.hi(), seed)));
        for (int i = 0; i < b.n(); i++) {
          ok += pred[i] == b.labels()[i] ? 1 : 0;
        }
      }
      run.noise.add(new Probes.NoiseAccuracy(sigma, (double) ok / run.n()));
    }
  }
}
