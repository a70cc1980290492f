package io.lipwatch.cli;

import io.lipwatch.estimator.bounds.BoundsBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lipwatch bench}: the performance benchmarks of design section 10 (not part of the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run a benchmark and print its table: bounds (Lipschitz methods, cold and warm), probes (attack suite on 1000 Fashion-MNIST samples).")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "WHAT", description = "Which benchmark: ${COMPLETION-CANDIDATES}.")
  What what;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  enum What { bounds, probes }

  @Override
  public Integer call() throws Exception {
    switch (what) {
      case bounds -> System.out.println(BoundsBenchmark.run(seed));
      case probes -> System.out.println(io.lipwatch.estimator.probes.ProbeBenchmark.run(seed));
    }
    return 0;
  }
}
