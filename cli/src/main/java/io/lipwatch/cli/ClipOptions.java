package io.lipwatch.cli;

import io.lipwatch.trainer.regularize.ClipTracking;
import io.lipwatch.trainer.regularize.LambdaSchedule;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.Regularizer;
import picocli.CommandLine.Option;

/**
 * CLIP's pair tracking and the λ schedule, shared by {@code train} and {@code reproduce clip}: unset flags keep the
 * defaults measured in trainer/CLIP.md; {@code --clip-paper} trains as the paper does.
 */
public final class ClipOptions {
  @Option(names = "--clip-radius", paramLabel = "R", description = "CLIP: keep each pair within ‖x − x′‖ ≤ R, a local slope (default 1.5; 0 unlimited).")
  Double clipRadius;

  @Option(names = "--clip-reseed", paramLabel = "N", description = "CLIP: every N minibatches re-draw the worst quarter of the pairs from data (default 50; 0 never).")
  Integer clipReseed;

  @Option(names = "--clip-stall", paramLabel = "W:K", description = "CLIP: K extra ascent passes when the pairs' best quotient has not risen for W minibatches (default 20:3; 0:0 never).")
  String clipStall;

  @Option(names = "--clip-engine-seeds", paramLabel = "N", description = "CLIP: after every epoch run the engine's pair search from N of the trainer's best pairs and N data points and keep its best pairs (default 8; 0 never).")
  Integer clipEngineSeeds;

  @Option(names = "--lambda-window", paramLabel = "N", description = "Move λ/µ/C every N minibatches (×/÷ a factor that shrinks when the direction flips); 0: ± the step after each epoch (default: 50 for clip, 0 otherwise).")
  Integer lambdaWindow;

  @Option(names = "--lambda-warmup-epochs", paramLabel = "N", description = "Epochs at the initial λ before the discrepancy principle moves it (default: 0; the paper: 5).")
  Integer lambdaWarmup;

  @Option(names = "--lambda-every-epochs", paramLabel = "N", description = "Per-epoch schedule: move λ every N epochs (default: 1; the paper: 2).")
  Integer lambdaEvery;

  @Option(names = "--clip-paper", description = "CLIP as the paper trains it: worst pair (max), pairs ascending freely (no radius, re-seeding or engine seeds), λ ± dλ every 2nd epoch after 5 warm-up epochs.")
  boolean clipPaper;

  /** {@code reg} with the tracking and schedule these flags ask for (the schedule for every discrepancy-driven weight). */
  Regularization apply(Regularization reg) {
    if (reg.regularizer() == Regularizer.CLIP && clipPaper) {
      return reg.withAggregate(Regularization.Aggregate.MAX).withTracking(ClipTracking.OFF)
          .withSchedule(new LambdaSchedule(lambdaWarmup == null ? 5 : lambdaWarmup, lambdaEvery == null ? 2 : lambdaEvery, 0, 2));
    }
    if (reg.regularizer() == Regularizer.CLIP) {
      ClipTracking d = ClipTracking.DEFAULT;
      int[] stall = clipStall == null ? new int[] {d.stallWindow(), d.stallAscent()}
          : java.util.Arrays.stream(clipStall.split(":")).mapToInt(v -> Integer.parseInt(v.trim())).toArray();
      if (stall.length != 2) {
        throw new IllegalArgumentException("--clip-stall takes W:K, got " + clipStall);
      }
      reg = reg.withTracking(new ClipTracking(clipRadius == null ? d.radius() : clipRadius,
          clipReseed == null ? d.reseedEvery() : clipReseed, stall[0], stall[1],
          clipEngineSeeds == null ? d.engineSeeds() : clipEngineSeeds));
    }
    LambdaSchedule w = LambdaSchedule.CLIP_DEFAULT;
    int window = lambdaWindow != null ? lambdaWindow : reg.regularizer() == Regularizer.CLIP ? w.window() : 0;
    int warm = lambdaWarmup != null ? lambdaWarmup : window > 0 ? w.warmupEpochs() : 0;
    return reg.withSchedule(new LambdaSchedule(warm, lambdaEvery == null ? 1 : lambdaEvery, window, w.factor()));
  }
}
