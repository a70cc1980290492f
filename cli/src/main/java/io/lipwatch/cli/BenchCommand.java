package io.lipwatch.cli;

import io.lipwatch.estimator.bounds.BoundsBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lipwatch bench}: the performance benchmarks (README, "Performance") (not part of the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run a benchmark and print its table: bounds (Lipschitz methods, cold and warm), probes (attack suite on 1000 Fashion-MNIST samples), train (CLIP epoch vs plain).")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "WHAT", description = "Which benchmark: ${COMPLETION-CANDIDATES}.")
  What what;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  enum What { bounds, probes, train }

  @Option(names = "--train-samples", defaultValue = "0", description = "train: first N training samples (default: 0, all).")
  int trainSamples;

  @Option(names = "--pairs", defaultValue = "64", description = "train: CLIP pairs (default: ${DEFAULT-VALUE}).")
  int pairs;

  @Option(names = "--batch-size", defaultValue = "128", description = "train: batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Override
  public Integer call() throws Exception {
    switch (what) {
      case bounds -> System.out.println(BoundsBenchmark.run(seed));
      case probes -> System.out.println(io.lipwatch.estimator.probes.ProbeBenchmark.run(seed));
      case train -> System.out.print(io.lipwatch.trainer.bench.TrainBenchmark.run(
          io.lipwatch.trainer.data.Datasets.FASHION_MNIST, trainSamples, batch, pairs, seed).table());
    }
    return 0;
  }
}
