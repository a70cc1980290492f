package io.lipwatch.estimator.snapshot;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a snapshot says about itself in its headers: identity, integrity and training provenance.
 * Optional fields are null when absent.
 */
public record SnapshotMetadata(
    String model,
    long version,
    String sha256,
    Instant createdAt,
    String dataset,
    double[] inputRange,
    String regularizer,
    Double lambda,
    Integer epoch,
    Double trainAccuracy,
    String runId,
    boolean claimCheck,
    String format) {

  /** Model names: ASCII letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters. */
  public static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  /** Versions and epochs: ASCII digits only (Long.parseLong alone would also take '+12' and full-width digits). */
  private static final Pattern ASCII_DIGITS = Pattern.compile("[0-9]{1,18}");
  /** Format names: checked against the registry by the pipeline; here only their syntax (safe in logs and labels). */
  private static final Pattern FORMAT_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  public SnapshotMetadata {
    if (model == null || !MODEL_NAME.matcher(model).matches()) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
          SnapshotHeaders.MODEL + " must match " + MODEL_NAME.pattern() + ", got " + quote(model));
    }
    if (version < 0) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, SnapshotHeaders.VERSION + " must be >= 0, got " + version);
    }
    if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
          SnapshotHeaders.SHA256 + " must be 64 lower-case hex digits, got " + quote(sha256));
    }
    if (inputRange != null && (inputRange.length != 2 || !(inputRange[0] < inputRange[1]))) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, SnapshotHeaders.INPUT_RANGE + " must be 'lo,hi' with lo < hi");
    }
    if (format != null && !FORMAT_NAME.matcher(format).matches()) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
          SnapshotHeaders.FORMAT + " must be a lower-case format name such as dl4j or onnx, got " + quote(format));
    }
  }

  /** Without a format: a DL4J zip. */
  public SnapshotMetadata(String model, long version, String sha256, Instant createdAt, String dataset, double[] inputRange,
      String regularizer, Double lambda, Integer epoch, Double trainAccuracy, String runId, boolean claimCheck) {
    this(model, version, sha256, createdAt, dataset, inputRange, regularizer, lambda, epoch, trainAccuracy, runId, claimCheck,
        null);
  }

  /** The snapshot format ({@code dl4j} when the header is absent). */
  public String formatOrDefault() {
    return format == null ? "dl4j" : format;
  }

  public SnapshotMetadata withFormat(String f) {
    return new SnapshotMetadata(model, version, sha256, createdAt, dataset, inputRange, regularizer, lambda, epoch,
        trainAccuracy, runId, claimCheck, f);
  }

  /** A minimal metadata record for a model file (used by publishers and the offline estimate). */
  public static SnapshotMetadata of(String model, long version, String sha256) {
    return new SnapshotMetadata(model, version, sha256, Instant.now(), null, null, null, null, null, null, null, false);
  }

  public SnapshotMetadata withProvenance(String dataset, double[] inputRange, String regularizer, Double lambda,
      Integer epoch, Double trainAccuracy, String runId) {
    return new SnapshotMetadata(model, version, sha256, createdAt, dataset, inputRange, regularizer, lambda, epoch,
        trainAccuracy, runId, claimCheck, format);
  }

  public SnapshotMetadata withClaimCheck(boolean cc) {
    return new SnapshotMetadata(model, version, sha256, createdAt, dataset, inputRange, regularizer, lambda, epoch,
        trainAccuracy, runId, cc, format);
  }

  /** Parses the header map; names the offending header on any error. */
  public static SnapshotMetadata fromHeaders(Map<String, String> h, String recordKey) {
    for (String required : SnapshotHeaders.REQUIRED) {
      if (!h.containsKey(required)) {
        throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, "missing header " + required);
      }
    }
    String model = h.get(SnapshotHeaders.MODEL).trim();
    if (recordKey != null && !recordKey.equals(model)) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
          "record key " + quote(recordKey) + " differs from header " + SnapshotHeaders.MODEL + "=" + quote(model));
    }
    long version = parseLong(h, SnapshotHeaders.VERSION);
    // hex digits in either case are accepted (sha256sum prints lower case, some tools upper); stored lower case
    String sha = h.get(SnapshotHeaders.SHA256).trim().toLowerCase(Locale.ROOT);
    Instant created = null;
    if (h.containsKey(SnapshotHeaders.CREATED_AT)) {
      try {
        created = Instant.parse(h.get(SnapshotHeaders.CREATED_AT).trim());
      } catch (DateTimeParseException e) {
        throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
            SnapshotHeaders.CREATED_AT + " is not ISO-8601: " + quote(h.get(SnapshotHeaders.CREATED_AT)));
      }
    }
    double[] range = null;
    if (h.containsKey(SnapshotHeaders.INPUT_RANGE)) {
      String[] parts = h.get(SnapshotHeaders.INPUT_RANGE).split(",");
      if (parts.length != 2) {
        throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, SnapshotHeaders.INPUT_RANGE + " must be 'lo,hi'");
      }
      range = new double[] {parseDouble(SnapshotHeaders.INPUT_RANGE, parts[0]), parseDouble(SnapshotHeaders.INPUT_RANGE, parts[1])};
    }
    Double lambda = h.containsKey(SnapshotHeaders.LAMBDA) ? parseDouble(SnapshotHeaders.LAMBDA, h.get(SnapshotHeaders.LAMBDA)) : null;
    Integer epoch = h.containsKey(SnapshotHeaders.EPOCH) ? Math.toIntExact(Math.min(parseLong(h, SnapshotHeaders.EPOCH), Integer.MAX_VALUE)) : null;
    Double acc = h.containsKey(SnapshotHeaders.TRAIN_ACCURACY)
        ? parseDouble(SnapshotHeaders.TRAIN_ACCURACY, h.get(SnapshotHeaders.TRAIN_ACCURACY)) : null;
    boolean cc = claimCheck(h.get(SnapshotHeaders.CLAIM_CHECK));
    return new SnapshotMetadata(model, version, sha, created, h.get(SnapshotHeaders.DATASET),
        range, h.get(SnapshotHeaders.REGULARIZER), lambda, epoch, acc, h.get(SnapshotHeaders.RUN_ID), cc,
        h.containsKey(SnapshotHeaders.FORMAT) ? h.get(SnapshotHeaders.FORMAT).trim() : null);
  }

  /** The header map of this metadata, absent fields left out. */
  public Map<String, String> toHeaderMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(SnapshotHeaders.MODEL, model);
    m.put(SnapshotHeaders.VERSION, Long.toString(version));
    m.put(SnapshotHeaders.SHA256, sha256);
    m.put(SnapshotHeaders.CREATED_AT, (createdAt == null ? Instant.now() : createdAt).toString());
    if (dataset != null) m.put(SnapshotHeaders.DATASET, dataset);
    if (inputRange != null) m.put(SnapshotHeaders.INPUT_RANGE, fmt(inputRange[0]) + "," + fmt(inputRange[1]));
    if (regularizer != null) m.put(SnapshotHeaders.REGULARIZER, regularizer);
    if (lambda != null) m.put(SnapshotHeaders.LAMBDA, Double.toString(lambda));
    if (epoch != null) m.put(SnapshotHeaders.EPOCH, Integer.toString(epoch));
    if (trainAccuracy != null) m.put(SnapshotHeaders.TRAIN_ACCURACY, Double.toString(trainAccuracy));
    if (runId != null) m.put(SnapshotHeaders.RUN_ID, runId);
    if (claimCheck) m.put(SnapshotHeaders.CLAIM_CHECK, "true");
    if (format != null) m.put(SnapshotHeaders.FORMAT, format);
    return m;
  }

  /** The claim-check header is {@code true} or absent; anything else is refused rather than read as "inline". */
  private static boolean claimCheck(String v) {
    if (v == null) {
      return false;
    }
    if (!"true".equals(v.trim())) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
          SnapshotHeaders.CLAIM_CHECK + " must be 'true' or absent, got " + quote(v));
    }
    return true;
  }

  /** True when {@code name} is a valid model name (safe as a metric label). */
  public static boolean isValidModelName(String name) {
    return name != null && MODEL_NAME.matcher(name).matches();
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  private static long parseLong(Map<String, String> h, String key) {
    String v = h.get(key).trim();
    if (!ASCII_DIGITS.matcher(v).matches()) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS,
          key + " must be 1 to 18 ASCII digits, got " + quote(h.get(key)));
    }
    return Long.parseLong(v);
  }

  private static double parseDouble(String key, String v) {
    try {
      double d = Double.parseDouble(v.trim());
      if (!Double.isFinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, key + " is not a finite number: " + quote(v));
    }
  }

  public static String quote(String s) {
    if (s == null) {
      return "<absent>";
    }
    // control characters are escaped so a hostile header cannot forge log lines
    String shown = s.length() > 80 ? s.substring(0, 80) + "…" : s;
    StringBuilder b = new StringBuilder("'");
    shown.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.append("'").toString();
  }
}
