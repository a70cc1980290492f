package io.lipwatch.cli;

import io.lipwatch.trainer.data.Regression1D;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.LambdaSchedule;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.reproduce.ClipTable;
import io.lipwatch.trainer.reproduce.LipSdpTable;
import io.lipwatch.trainer.reproduce.RegressionFigure;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lipwatch reproduce}: the CLIP paper's Table 1 (CPU-sized) and its 1-D regression figure; Pauli et al.'s
 * Lipschitz-bounded training against standard and CLIP training.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
    description = {"Reproduce the CLIP paper: 'clip' trains standard, weight-decay and CLIP models on Fashion-MNIST and",
        "prints Table 1's columns plus Lipschitz bounds; 'regression' trains the 1-D problem for several λ and plots it;",
        "'lipsdp' compares standard, weight-decay, ADMM-LipSDP (penalise, enforce) and CLIP MLPs with every bound."})
public final class ReproduceCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "WHAT", description = "clip, regression or lipsdp.")
  What what;

  enum What { clip, regression, lipsdp }

  @Mixin
  DataOptions data;

  @Option(names = "--arch", defaultValue = "mlp", description = "clip: mlp or cnn (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--hidden", description = "Hidden sizes (clip default 256,256; regression default 100,50).")
  String hidden;

  @Option(names = "--epochs", description = "clip: epochs per model (default 3); lipsdp: epochs before the ADMM rows branch off (default 4).")
  Integer epochs;

  @Option(names = "--admm-epochs", defaultValue = "4", description = "lipsdp: ADMM epochs, one W̄-step after each; the other rows train as many more (default: ${DEFAULT-VALUE}).")
  int admmEpochs;

  @Option(names = "--lipschitz-target", paramLabel = "L_des", description = "lipsdp: enforce-mode target (default: half the weight-decay net's LipSDP bound, 2 significant digits).")
  Double lipschitzTarget;

  @Option(names = "--admm-mu", defaultValue = "0.02", description = "lipsdp: penalise-mode µ (default: ${DEFAULT-VALUE}).")
  double admmMu;

  @Option(names = "--admm-rho", defaultValue = "2", description = "lipsdp: ADMM ρ (default: ${DEFAULT-VALUE}).")
  double admmRho;


  @Option(names = "--samples", defaultValue = "1000", description = "clip: test samples for noise and PGD (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--targets", defaultValue = "0.85", split = ",", description = "clip: target train accuracies α of the regularised rows (default: ${DEFAULT-VALUE}).")
  List<Double> targets;

  @Option(names = "--lambda", defaultValue = "1", description = "clip: initial λ (default: ${DEFAULT-VALUE}).")
  double lambda;

  @Option(names = "--dlambda", defaultValue = "0.5", description = "clip: λ step of the discrepancy principle (default: ${DEFAULT-VALUE}).")
  double dLambda;

  @Option(names = "--mu", defaultValue = "0.0005", description = "clip: initial weight-decay µ (default: ${DEFAULT-VALUE}).")
  double mu;

  @Option(names = "--dmu", defaultValue = "0.0005", description = "clip: µ step (default: ${DEFAULT-VALUE}).")
  double dMu;

  @Option(names = "--pairs", defaultValue = "64", description = "CLIP pairs (clip default ${DEFAULT-VALUE}; regression uses 32).")
  int pairs;

  /** clip: the tracking and λ-schedule flags of {@code train}; {@code --clip-paper} trains the rows as the paper does. */
  @Mixin
  ClipOptions clip;

  @Option(names = "--lambdas", defaultValue = "10,1,0.01,0", split = ",", description = "regression: λ sequence, warm-started (default: ${DEFAULT-VALUE}).")
  List<Double> lambdas;

  @Option(names = "--steps", defaultValue = "3000", description = "regression: full-batch steps per λ (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--plot", paramLabel = "FILE.png", description = "regression: write the figure here.")
  Path plot;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    if (what == What.lipsdp) {
      LipSdpTable.Options d = LipSdpTable.Options.defaults();
      LipSdpTable.Options o = new LipSdpTable.Options(data.dir, hidden == null ? d.hidden() : Architectures.parseHidden(hidden),
          epochs == null ? d.epochs() : epochs, admmEpochs, data.trainSamples, samples, d.batch(), d.learningRate(),
          lipschitzTarget == null ? Double.NaN : lipschitzTarget, d.targetFraction(), admmMu, admmRho, d.weightDecay(),
          lambda, targets.get(0), pairs, d.eps(), d.certifiedEps(), seed);
      long t0 = System.nanoTime();
      var rows = LipSdpTable.run(o, System.out);
      System.out.println();
      System.out.print(LipSdpTable.table(rows, o));
      System.out.printf("total %.0f s%n", (System.nanoTime() - t0) / 1e9);
      return 0;
    }
    if (what == What.clip) {
      int[] h = hidden == null ? new int[] {256, 256} : Architectures.parseHidden(hidden);
      Regularization clipRows = clip.clipPaper ? Regularization.clip(lambda, dLambda, targets.get(0), pairs)
          .withAggregate(Regularization.Aggregate.MAX).withSchedule(LambdaSchedule.PAPER)
          : clip.apply(Regularization.trackingClip(lambda, targets.get(0), pairs));
      ClipTable.Options o = new ClipTable.Options(data.dir, arch, h, epochs == null ? 3 : epochs, data.trainSamples, samples, 128, pairs, lambda, dLambda,
          mu, dMu, targets, seed, clipRows);
      long t0 = System.nanoTime();
      var rows = ClipTable.run(o, System.out);
      System.out.println();
      System.out.print(ClipTable.table(rows));
      System.out.printf("total %.0f s%n", (System.nanoTime() - t0) / 1e9);
      return 0;
    }
    int[] h = hidden == null ? new int[] {100, 50} : Architectures.parseHidden(hidden);
    double[] ls = lambdas.stream().mapToDouble(Double::doubleValue).toArray();
    var o = new RegressionFigure.Options(ls, h, steps, 32, seed);
    System.out.println("1-D regression, sigmoid MLP 1-" + Arrays.toString(h) + "-1, Adam 1e-2, full batch, λ " + lambdas
        + " warm-started, seed " + seed);
    var curves = RegressionFigure.run(o, System.out);
    if (plot != null) {
      RegressionFigure.plot(curves, Regression1D.generate(seed), plot);
      System.out.println("wrote " + plot);
    }
    return 0;
  }
}
