package io.lipwatch.cli;

import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.format.ModelFormat;
import io.lipwatch.estimator.format.ModelFormats;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lipwatch publish}: sends a model zip to lipwatch.snapshots with the lipwatch.* headers. */
@Command(name = "publish", description = "Publish a model (DL4J zip or ONNX file) as a snapshot to lipwatch.snapshots.")
public final class PublishCommand implements Callable<Integer> {
  @Mixin
  HelpOption help;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--model", required = true, paramLabel = "NAME", description = "Model name (record key and lipwatch.model).")
  String model;

  @Option(names = "--version", paramLabel = "V",
      description = "Snapshot version, increasing per model (default: the current Unix time in milliseconds).")
  Long version;

  @Option(names = "--dataset", paramLabel = "NAME", description = "Probe set name (lipwatch.dataset).")
  String dataset;

  @Option(names = "--input-range", defaultValue = "0,1", paramLabel = "LO,HI", description = "Input value range (default: ${DEFAULT-VALUE}).")
  String inputRange;

  @Option(names = "--snapshot-store", paramLabel = "DIR", description = "Directory for snapshots above the inline limit (claim check).")
  Path store;

  @Option(names = "--inline-limit", defaultValue = "8388608", paramLabel = "BYTES",
      description = "Largest zip sent inline (default: ${DEFAULT-VALUE}).")
  long inlineLimit;

  @Option(names = "--no-verify", description = "Skip restoring the model locally before publishing.")
  boolean noVerify;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "Snapshot format, dl4j or onnx (lipwatch.format; default: from the file extension, .onnx is onnx).")
  String format;

  @Parameters(index = "0", paramLabel = "FILE", description = "The model: a DL4J zip or an ONNX file.")
  Path file;

  @Override
  public Integer call() throws Exception {
    kafka.requireBootstrap();
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such model file");
    }
    SnapshotLimits limits = SnapshotLimits.defaults().withInlineBytes(inlineLimit);
    byte[] zip = Files.readAllBytes(file);
    ModelFormat fmt;
    try {
      fmt = ModelFormatChoice.of(format, file);
    } catch (SnapshotRejectedException e) {
      System.err.println("error: --format: " + e.detail());
      return 2;
    }
    if (!noVerify) {
      try {
        fmt.read(zip, null, limits);
      } catch (SnapshotRejectedException e) {
        System.err.println("error: " + file + " is not a usable model (" + e.reason().label() + "): " + e.detail());
        return 2;
      }
    }
    String[] r = inputRange.split(",");
    double[] range;
    try {
      range = new double[] {Double.parseDouble(r[0]), Double.parseDouble(r[1])};
    } catch (RuntimeException e) {
      System.err.println("error: --input-range must be LO,HI, got '" + inputRange + "'");
      return 2;
    }
    long v = version != null ? version : System.currentTimeMillis();
    SnapshotMetadata meta = SnapshotMetadata.of(model, v, Sha256.hex(zip)).withProvenance(dataset, range, null, null, null, null, null)
        .withFormat(fmt == ModelFormats.DL4J ? null : fmt.name()); // no header for dl4j: older estimators read it too
    try (SnapshotPublisher p = new SnapshotPublisher(kafka.connection(), limits, store == null ? null : new DirectorySnapshotStore(store), null)) {
      RecordMetadata md = p.publish(meta, zip);
      System.out.printf("published %s v%d (%d bytes, sha256 %s) to %s partition %d offset %d%n", model, v, zip.length,
          meta.sha256(), md.topic(), md.partition(), md.offset());
    }
    return 0;
  }
}
