package io.lipwatch.cli;

import io.lipwatch.estimator.bench.BoundsBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lipwatch bench}: the performance benchmarks (README, "Performance") (not part of the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Run a benchmark and print its table: bounds (Lipschitz methods, cold and warm), probes (attack suite on"
        + " 1000 Fashion-MNIST samples), train (CLIP epoch vs plain), stream (publish → /metrics through a live pipeline), scaling (widths 256/1024/2048, 1k/10k probe samples).")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "WHAT", description = "Which benchmark: ${COMPLETION-CANDIDATES}.")
  What what;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  enum What { bounds, probes, train, stream, scaling }

  @Mixin
  DataOptions data;

  @Option(names = "--pairs", defaultValue = "64", description = "train: CLIP pairs (default: ${DEFAULT-VALUE}).")
  int pairs;

  @Option(names = "--batch-size", defaultValue = "128", description = "train: batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--compare", description = "Run the PyTorch reference (bench/pytorch_reference.py, needs python3-torch) on"
      + " the same weights, inputs and work in the same run, repeats interleaved: lipwatch time, PyTorch time, ratio"
      + " (median and min–max), GFLOP/s beside the measured sgemm peak, and both sides' values.")
  boolean compare;

  @Option(names = "--repeats", defaultValue = "5", description = "--compare: repeats per row; stream: snapshots timed (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Option(names = "--samples", defaultValue = "1000",
      description = "probes --compare: test samples, one batch (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--no-suite", description = "probes --compare: skip the whole-suite row (the longest).")
  boolean noSuite;

  @Override
  public Integer call() throws Exception {
    if (what == What.stream) {
      if (repeats < 1) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--repeats must be ≥ 1");
      }
      if (!data.present()) {
        return 2;
      }
      System.out.print(StreamBenchmark.run(data.dir, data.trainSamples, repeats, seed));
      return 0;
    }
    if (what == What.scaling) {
      // widths 256/1024/2048 and probe samples 1k/10k; --repeats: bounds repeats per width
      if (repeats < 1 || !data.present()) {
        return 2;
      }
      System.out.print(io.lipwatch.estimator.bench.ScalingBenchmark.run(
          io.lipwatch.estimator.bench.ScalingBenchmark.Plan.defaults(seed, data.dir, repeats)));
      System.out.println("load average " + String.format(java.util.Locale.ROOT, "%.2f",
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()) + " at the end");
      return 0;
    }
    if (compare) {
      if (repeats < 1) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--repeats must be ≥ 1");
      }
      if (io.lipwatch.estimator.bench.TorchReference.findPython() == null) {
        System.err.println(io.lipwatch.estimator.bench.TorchReference.INSTALL_HINT + "; lipwatch's rows alone follow");
      }
      switch (what) {
        case bounds -> System.out.print(BoundsBenchmark.compare(seed, repeats));
        case probes -> System.out.print(io.lipwatch.estimator.probes.ProbeBenchmark.compare(seed,
            io.lipwatch.estimator.probes.ProbeBenchmark.DEFAULT_DATA, samples, repeats, !noSuite));
        case train -> System.out.print(io.lipwatch.trainer.bench.TrainBenchmark.compare(
            data.dir, data.trainSamples, batch, pairs, seed, repeats));
      }
      System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores; load average "
          + String.format(java.util.Locale.ROOT, "%.2f",
              java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage())
          + " at the end (ratios are per interleaved repeat: both sides saw the same load)");
      return 0;
    }
    switch (what) {
      case bounds -> System.out.println(BoundsBenchmark.run(seed));
      case probes -> System.out.println(io.lipwatch.estimator.probes.ProbeBenchmark.run(seed));
      case train -> System.out.print(io.lipwatch.trainer.bench.TrainBenchmark.run(
          data.dir, data.trainSamples, batch, pairs, seed).table());
    }
    return 0;
  }
}
