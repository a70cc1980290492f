package io.lipwatch.estimator.snapshot;

/** A snapshot that cannot be estimated, with a reason from a bounded set and a human-readable detail. */
public class SnapshotRejectedException extends RuntimeException {
  private final RejectReason reason;

  public SnapshotRejectedException(RejectReason reason, String detail) {
    super(detail);
    this.reason = reason;
  }

  public SnapshotRejectedException(RejectReason reason, String detail, Throwable cause) {
    super(detail, cause);
    this.reason = reason;
  }

  public RejectReason reason() {
    return reason;
  }

  public String detail() {
    return getMessage();
  }
}
