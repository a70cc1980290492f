package io.lipwatch.cli;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.probes.IdxReader;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.format.LoadedModel;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lipwatch estimate FILE.zip}: the estimator's engine offline, without Kafka. */
@Command(name = "estimate", mixinStandardHelpOptions = true,
    description = "Estimate Lipschitz bounds of a model (DL4J zip or ONNX file) offline (no Kafka). Prints a table, or the estimate JSON with --json.")
public final class EstimateCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "DL4J ModelSerializer zip (MultiLayerNetwork or ComputationGraph) or ONNX file.")
  Path file;

  @Option(names = "--format", paramLabel = "FORMAT", description = "dl4j or onnx (default: from the file extension, .onnx is onnx).")
  String format;

  @Option(names = "--json", description = "Print the estimate JSON record (the schema in docs/architecture.md) instead of a table.")
  boolean json;

  @Option(names = "--methods", split = ",", paramLabel = "METHOD", completionCandidates = MethodNames.class,
      description = "Methods to run, comma-separated (default: all that apply by default): ${COMPLETION-CANDIDATES}.")
  List<String> methods;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--budget", converter = DurationConverter.class, defaultValue = "3s", paramLabel = "DURATION",
      description = "Time budget per method (default: ${DEFAULT-VALUE}).")
  Duration budget;

  @Option(names = "--model", paramLabel = "NAME", description = "Model name in the output (default: the file name).")
  String model;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of random starts (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--probe-data", paramLabel = "DIR",
      description = "Run the adversarial probes on IDX test files in DIR (t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]).")
  Path probeData;

  @picocli.CommandLine.Mixin
  ProbeOptions probeOptions;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such model file");
    }
    SnapshotLimits limits = SnapshotLimits.defaults();
    if (Files.size(file) > limits.maxRecordBytes()) {
      System.err.println("error: " + file + " is larger than " + limits.maxRecordBytes() + " bytes");
      return 2;
    }
    byte[] zip = Files.readAllBytes(file);
    String name = model != null ? model : file.getFileName().toString().replaceAll("\\.(zip|onnx)$", "");
    MethodNames.check(methods, spec);
    EngineConfig cfg = EngineConfig.defaults().withBudget(budget).withMethods(methods == null ? null : new LinkedHashSet<>(methods));
    cfg = new EngineConfig(cfg.methods(), cfg.methodBudget(), cfg.powerIterations(), cfg.tolerance(), seed);
    Estimate e;
    try {
      LoadedModel restored = ModelFormatChoice.of(format, file).read(zip, null, limits);
      ProbeSet set = null;
      if (probeData != null) {
        set = IdxReader.split(probeData, "t10k", probeData.getFileName() == null ? "probe-data" : probeData.getFileName().toString());
      }
      SnapshotMetadata meta = SnapshotMetadata.of(sanitize(name), 0, Sha256.hex(zip))
          .withProvenance(set == null ? null : set.name(), null, null, null, null, null, null);
      ProbeConfig probes = probeOptions.apply(ProbeConfig.defaults().withSamples(1000));
      e = new EstimatePipeline(new LipschitzEngine(cfg), probes).run(restored, meta, WarmStart.EMPTY, set, List.of()).estimate();
    } catch (SnapshotRejectedException ex) {
      System.err.println("error: cannot estimate " + file + " (" + ex.reason().label() + "): " + ex.detail());
      return 2;
    }
    if (json) {
      System.out.println(EstimateJson.toPrettyString(e));
    } else {
      printTable(e, System.out);
    }
    return 0;
  }

  private static String sanitize(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "-");
    return s.isEmpty() || !Character.isLetterOrDigit(s.charAt(0)) ? "model-" + s : s;
  }

  static void printTable(Estimate e, PrintStream out) {
    var a = e.architecture();
    out.printf("model %s  (%s, %d layers, %d parameters, input %s, %d outputs)%n", e.model(), a.kind(), a.layers(),
        a.parameters(), a.inputShape(), a.outputs());
    out.printf("%-22s %14s  %-5s %9s  %s%n", "upper bound / estimate", "value", "sound", "seconds", "note");
    for (UpperBound u : e.lipschitz().upper()) {
      out.printf("  %-20s %14.6g  %-5s %9.4f  %s%s%n", u.method(), u.value(), u.sound() ? "yes" : "no", u.seconds(),
          u.note() == null ? "" : u.note(), u.iterations() == null ? "" : " (" + u.iterations() + " iterations)");
    }
    if (!e.lipschitz().lower().isEmpty()) {
      out.printf("%-22s %14s  %-5s %9s%n", "lower bound", "value", "", "seconds");
      for (LowerBound l : e.lipschitz().lower()) {
        out.printf("  %-20s %14.6g  %-5s %9.4f  %s%n", l.method(), l.value(), "", l.seconds(), l.note() == null ? "" : l.note());
      }
    }
    out.printf("bestUpper %s   bestLower %s%n", fmt(e.lipschitz().bestUpper()), fmt(e.lipschitz().bestLower()));
    var p = e.probes();
    if (p != null) {
      out.printf("probes on %s (%d samples): clean accuracy %.4f%n", p.dataset(), p.samples(), p.cleanAccuracy());
      for (var n : p.noiseAccuracy()) {
        out.printf("  noise σ=%-6s accuracy %.4f%n", n.sigma(), n.accuracy());
      }
      for (var at : p.attacks()) {
        out.printf("  %-4s %-4s ε=%-6s %s robust accuracy %.4f  (%.2f s)%n", at.attack(), at.norm(), at.eps(),
            at.steps() == null ? "" : at.steps() + " steps", at.robustAccuracy(), at.seconds() == null ? 0.0 : at.seconds());
      }
      for (var c : p.certified()) {
        out.printf("  certified %s ε=%-6s %-8s accuracy %.4f%n", c.norm(), c.eps(), c.methodOrGlobal(), c.accuracy());
      }
      if (p.medianMinPerturbation() != null) {
        out.printf("  median minimal %s perturbation %.4f%n", p.medianMinPerturbation().norm(), p.medianMinPerturbation().value());
      }
    }
    out.printf("total %.3f s%n", e.seconds());
    for (String w : e.warnings()) {
      out.println("warning: " + w);
    }
  }

  private static String fmt(Double d) {
    return d == null ? "none" : String.format("%.6g", d);
  }
}
