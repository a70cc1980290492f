package io.lipwatch.estimator.bounds.lipsdp;

/**
 * LipSDP produced no bound. The engine turns this into a warning; there is never a fallback number. {@link #reason()}
 * says why, the message gives the details (sizes, solver exit code, the first bad token, ...).
 */
public final class LipSdpException extends RuntimeException {

  /** Why no bound was produced. */
  public enum Reason {
    /** Weights or activations LipSDP cannot express (shape mismatch, non-finite entries, non element-wise activation). */
    UNSUPPORTED,
    /** Over a size limit of {@link LipSdp.Limits}. */
    TOO_LARGE,
    /** The solver could not be started or ended abnormally (I/O error, crash, unknown exit code). */
    SOLVER_FAILED,
    /** The solver ran past its time budget and was killed. */
    TIMEOUT,
    /** The solver reported the LMI infeasible (or the problem unbounded). */
    INFEASIBLE,
    /** The solution file is missing, truncated or holds non-numbers. */
    GARBAGE,
    /** The reported (ρ, T) does not satisfy the LMI by our own check, even after the allowed inflation of ρ. */
    NOT_VERIFIED
  }

  private final Reason reason;

  public LipSdpException(Reason reason, String message) {
    super(reason + ": " + message);
    this.reason = reason;
  }

  public LipSdpException(Reason reason, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
