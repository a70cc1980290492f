package io.lipwatch.estimator.snapshot;

/** Why a snapshot could not be estimated: the {@code reason} of a DLQ record and a metric label (bounded set). */
public enum RejectReason {
  BAD_HEADERS("bad-headers"),
  TOO_LARGE("too-large"),
  SHA256_MISMATCH("sha256-mismatch"),
  BAD_SIGNATURE("bad-signature"),
  CLAIM_CHECK("claim-check"),
  NOT_A_MODEL_ZIP("not-a-model-zip"),
  ZIP_LIMITS("zip-limits"),
  BAD_CONFIGURATION("bad-configuration"),
  PARAMETER_MISMATCH("parameter-mismatch"),
  /** coefficients.bin holds NaN or ±Inf: typically a diverged training run, a regression to stop, not noise. */
  NON_FINITE_WEIGHTS("non-finite-weights"),
  UNSUPPORTED_LAYER("unsupported-layer"),
  /** An ONNX operator (or one of its attributes) the engine cannot represent exactly: names the op type and node. */
  UNSUPPORTED_OP("unsupported-op"),
  ESTIMATION_FAILED("estimation-failed");

  private final String label;

  RejectReason(String label) {
    this.label = label;
  }

  /** The stable, lower-case name used in JSON and metric labels. */
  public String label() {
    return label;
  }

  /** The reason with this label, or null. */
  public static RejectReason ofLabel(String label) {
    for (RejectReason r : values()) {
      if (r.label.equals(label)) {
        return r;
      }
    }
    return null;
  }
}
