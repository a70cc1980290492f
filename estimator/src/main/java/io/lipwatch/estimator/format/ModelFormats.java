package io.lipwatch.estimator.format;

import io.lipwatch.estimator.format.dl4j.Dl4jFormat;

import io.lipwatch.estimator.format.onnx.OnnxFormat;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.util.List;
import java.util.Locale;

/** The registry of snapshot formats: a new format is one {@link ModelFormat} class and one entry in {@link #ALL}. */
public final class ModelFormats {
  public static final ModelFormat DL4J = new Dl4jFormat();
  public static final ModelFormat ONNX = new OnnxFormat();
  public static final List<ModelFormat> ALL = List.of(DL4J, ONNX);
  /** Format of a snapshot without a {@code lipwatch.format} header. */
  public static final String DEFAULT = Dl4jFormat.NAME;

  private ModelFormats() {}

  /** The format with this header value; an unknown value is a bad header (never guessed). */
  public static ModelFormat of(String name) {
    String n = name == null ? DEFAULT : name.trim().toLowerCase(Locale.ROOT);
    for (ModelFormat f : ALL) {
      if (f.name().equals(n)) {
        return f;
      }
    }
    throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, "unknown snapshot format "
        + io.lipwatch.estimator.snapshot.SnapshotMetadata.quote(name) + " (known: " + names() + ")");
  }

  /** True when {@code name} is a registered format. */
  public static boolean isKnown(String name) {
    return name != null && ALL.stream().anyMatch(f -> f.name().equals(name));
  }

  /** The format a file name's extension implies, or null. */
  public static ModelFormat byFileName(String fileName) {
    String f = fileName.toLowerCase(Locale.ROOT);
    for (ModelFormat m : ALL) {
      for (String ext : m.extensions()) {
        if (f.endsWith(ext)) {
          return m;
        }
      }
    }
    return null;
  }

  public static List<String> names() {
    return ALL.stream().map(ModelFormat::name).toList();
  }
}
