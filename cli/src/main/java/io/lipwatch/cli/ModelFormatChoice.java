package io.lipwatch.cli;

import io.lipwatch.estimator.format.ModelFormat;
import io.lipwatch.estimator.format.ModelFormats;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.nio.file.Path;
import java.util.Objects;

/** The --format rule of the verbs that read a model file: the flag when given, else the file's extension, else DL4J. */
final class ModelFormatChoice {
  private ModelFormatChoice() {}

  /** @throws SnapshotRejectedException when {@code format} names no known format */
  static ModelFormat of(String format, Path file) throws SnapshotRejectedException {
    return format != null ? ModelFormats.of(format)
        : Objects.requireNonNullElse(ModelFormats.byFileName(file.toString()), ModelFormats.DL4J);
  }
}
