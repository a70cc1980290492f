package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Value of {@code lipwatch.verdicts}: whether a model version may ship, compared with its baseline. CD pipelines gate
 * promotion on {@code verdict}; {@code checks} say which thresholds failed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Verdict(String model, long version, String verdict, List<Check> checks, Long baselineVersion,
    String baselineKind, String decidedAt) {

  public static final String PASS = "PASS";
  public static final String WARN = "WARN";
  public static final String FAIL = "FAIL";

  /**
   * One policy check: its status (PASS/WARN/FAIL), the values compared and the threshold applied; {@code reason} is the
   * DLQ reason label of a {@code rejected} check (a version the estimator refused), null otherwise.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Check(String name, String status, Double value, Double baseline, Double warnAt, Double failAt, String message,
      String reason) {
    public Check(String name, String status, Double value, Double baseline, Double warnAt, Double failAt, String message) {
      this(name, status, value, baseline, warnAt, failAt, message, null);
    }
  }

  /** 0 pass, 1 warn, 2 fail (the value of the lipwatch_verdict gauge). */
  public static int level(String verdict) {
    return switch (verdict) {
      case FAIL -> 2;
      case WARN -> 1;
      default -> 0;
    };
  }
}
