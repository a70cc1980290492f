package io.lipwatch.cli;

import io.lipwatch.trainer.data.Regression1D;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.reproduce.ClipTable;
import io.lipwatch.trainer.reproduce.RegressionFigure;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lipwatch reproduce}: the CLIP paper's Table 1 (CPU-sized) and its 1-D regression figure. */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
    description = {"Reproduce the CLIP paper: 'clip' trains standard, weight-decay and CLIP models on Fashion-MNIST and",
        "prints Table 1's columns plus Lipschitz bounds; 'regression' trains the 1-D problem for several λ and plots it."})
public final class ReproduceCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "WHAT", description = "clip or regression.")
  What what;

  enum What { clip, regression }

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", paramLabel = "DIR", description = "IDX directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--arch", defaultValue = "mlp", description = "clip: mlp or cnn (default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--hidden", description = "Hidden sizes (clip default 256,256; regression default 100,50).")
  String hidden;

  @Option(names = "--epochs", defaultValue = "6", description = "clip: epochs per model (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--train-samples", defaultValue = "0", description = "clip: first N training samples (default: 0, all 60000).")
  int trainSamples;

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
    if (what == What.clip) {
      int[] h = hidden == null ? new int[] {256, 256} : Architectures.parseHidden(hidden);
      ClipTable.Options o = new ClipTable.Options(data, arch, h, epochs, trainSamples, samples, 128, pairs, lambda, dLambda,
          mu, dMu, targets, seed);
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
