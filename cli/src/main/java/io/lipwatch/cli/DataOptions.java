package io.lipwatch.cli;

import io.lipwatch.trainer.data.Datasets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Training-data settings shared by {@code train}, {@code demo}, {@code reproduce} and {@code bench}. */
public final class DataOptions {
  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", paramLabel = "DIR",
      description = "IDX dataset directory (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--train-samples", defaultValue = "0", paramLabel = "N",
      description = "Train on the first N training samples (default: 0, all).")
  int trainSamples;

  /** Prints why and returns false when the dataset directory is missing (commands exit 2 then). */
  boolean present() {
    if (Files.isDirectory(dir)) {
      return true;
    }
    System.err.println("error: dataset directory " + dir + " not found: " + Datasets.INSTALL_HINT);
    return false;
  }
}
