package io.lipwatch.cli;

import io.lipwatch.estimator.probes.IdxReader;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch publish-probeset}: publishes a labelled IDX test split to lipwatch.probesets. */
@Command(name = "publish-probeset", mixinStandardHelpOptions = true,
    description = "Publish a probe set (IDX test files) to the compacted lipwatch.probesets topic.")
public final class PublishProbeSetCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--name", required = true, paramLabel = "NAME", description = "Probe set name (snapshots refer to it in lipwatch.dataset).")
  String name;

  @Option(names = "--idx-dir", required = true, paramLabel = "DIR",
      description = "Directory with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz].")
  Path dir;

  @Option(names = "--samples", defaultValue = "0", description = "Publish the first N samples (0: all).")
  int samples;

  @Override
  public Integer call() throws Exception {
    kafka.requireBootstrap();
    ProbeSet set = IdxReader.split(dir, "t10k", name).head(samples);
    ProbeSetPublisher.publish(kafka.connection(), set);
    System.out.printf("published probe set %s: %d samples of shape %s%n", name, set.count(), set.shape());
    return 0;
  }
}
