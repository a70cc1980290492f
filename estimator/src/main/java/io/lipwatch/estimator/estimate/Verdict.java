package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Value of {@code lipwatch.verdicts}: whether a model version may ship, compared with its baseline (step changes: the
 * last PASS or the pinned version) and its reference (slow drift: the pinned version or the best PASS of a window).
 * CD pipelines gate promotion on {@code verdict}; {@code checks} say which thresholds failed and against which version.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Verdict(String model, long version, Status verdict, List<Check> checks, Long baselineVersion,
    String baselineKind, String decidedAt, Long referenceVersion, String referenceKind) {

  /** A verdict without a reference. */
  public Verdict(String model, long version, Status verdict, List<Check> checks, Long baselineVersion, String baselineKind,
      String decidedAt) {
    this(model, version, verdict, checks, baselineVersion, baselineKind, decidedAt, null, null);
  }

  /** The outcome of a version or of one check, in order of severity (JSON: "PASS", "WARN", "FAIL"). */
  public enum Status {
    PASS, WARN, FAIL;

    /** 0 pass, 1 warn, 2 fail (the value of the lipwatch_verdict gauge). */
    public int level() {
      return ordinal();
    }

    /** The more severe of the two. */
    public Status worse(Status other) {
      return other != null && other.ordinal() > ordinal() ? other : this;
    }
  }

  public static final Status PASS = Status.PASS;
  public static final Status WARN = Status.WARN;
  public static final Status FAIL = Status.FAIL;

  /**
   * One policy check: its status (PASS/WARN/FAIL), the values compared and the threshold applied; {@code reason} is the
   * DLQ reason label of a {@code rejected} check (a version the estimator refused), null otherwise;
   * {@code baselineVersion}/{@code baselineKind} the version compared with ("last-pass" or "pinned" for the step baseline,
   * "reference" for the verdict's reference, "trend" for the line fitted to recent versions). An accuracy check says how
   * it compared: {@code test} "mcnemar-exact" (both versions' per-sample outcomes on the same samples; {@code pValue}
   * the one-sided exact p-value of the drop, {@code discordantLost} the samples that passed in the baseline and fail
   * now, {@code discordantGained} the reverse) or "unpaired" (accuracies only).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Check(String name, Status status, Double value, Double baseline, Double warnAt, Double failAt, String message,
      String reason, Long baselineVersion, String baselineKind, String test, Double pValue, Integer discordantLost,
      Integer discordantGained) {
    public Check(String name, Status status, Double value, Double baseline, Double warnAt, Double failAt, String message) {
      this(name, status, value, baseline, warnAt, failAt, message, null, null, null);
    }

    public Check(String name, Status status, Double value, Double baseline, Double warnAt, Double failAt, String message,
        String reason) {
      this(name, status, value, baseline, warnAt, failAt, message, reason, null, null);
    }

    public Check(String name, Status status, Double value, Double baseline, Double warnAt, Double failAt, String message,
        String reason, Long baselineVersion, String baselineKind) {
      this(name, status, value, baseline, warnAt, failAt, message, reason, baselineVersion, baselineKind, null, null, null,
          null);
    }

    /** This check, naming the version (and kind of baseline) it compared with. */
    public Check against(Long version, String kind) {
      return new Check(name, status, value, baseline, warnAt, failAt, message, reason, version, kind, test, pValue,
          discordantLost, discordantGained);
    }

    /** This check, saying how the two versions were compared (p-value and discordant counts null when unpaired). */
    public Check tested(String test, Double pValue, Integer discordantLost, Integer discordantGained) {
      return new Check(name, status, value, baseline, warnAt, failAt, message, reason, baselineVersion, baselineKind, test,
          pValue, discordantLost, discordantGained);
    }
  }

  /** 0 pass, 1 warn, 2 fail (the value of the lipwatch_verdict gauge). */
  public static int level(Status verdict) {
    return verdict == null ? 0 : verdict.level();
  }
}
