package io.lipwatch.estimator.bounds;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Immutable settings of the Lipschitz engine.
 *
 * @param methods         method names to run; empty means every method that applies
 * @param methodBudget    wall-time budget of each method
 * @param powerIterations cap on power iterations per layer
 * @param tolerance       relative stopping tolerance of iterative methods
 * @param seed            seed of every random start (estimates are deterministic for a seed)
 * @param budgetCaps      per method name, a budget below {@code methodBudget} (e.g. the stream's shorter one for an
 *                        estimate that is only ever cut by its budget); a method's budget is the smaller of the two
 */
public record EngineConfig(Set<String> methods, Duration methodBudget, int powerIterations, double tolerance, long seed,
    Map<String, Duration> budgetCaps) {
  public EngineConfig {
    methods = methods == null ? Set.of() : Set.copyOf(methods);
    budgetCaps = budgetCaps == null ? Map.of() : Map.copyOf(budgetCaps);
    if (methodBudget == null || methodBudget.isNegative() || methodBudget.isZero()) {
      throw new IllegalArgumentException("method budget must be positive");
    }
    for (Duration d : budgetCaps.values()) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("method budget caps must be positive");
      }
    }
    if (powerIterations < 1) {
      throw new IllegalArgumentException("power iterations must be >= 1");
    }
  }

  /** Without per-method caps: every method gets {@code methodBudget}. */
  public EngineConfig(Set<String> methods, Duration methodBudget, int powerIterations, double tolerance, long seed) {
    this(methods, methodBudget, powerIterations, tolerance, seed, Map.of());
  }

  public static EngineConfig defaults() {
    return new EngineConfig(Set.of(), Duration.ofSeconds(3), 500, 1e-8, 42L);
  }

  public boolean wants(String method) {
    return methods.isEmpty() || methods.contains(method);
  }

  public EngineConfig withMethods(Set<String> m) {
    return new EngineConfig(m, methodBudget, powerIterations, tolerance, seed, budgetCaps);
  }

  /** Every method's budget; the per-method caps stay (a cap above the new budget no longer matters). */
  public EngineConfig withBudget(Duration d) {
    return new EngineConfig(methods, d, powerIterations, tolerance, seed, budgetCaps);
  }

  /** This configuration with {@code method}'s budget capped at {@code cap}. */
  public EngineConfig withBudgetCap(String method, Duration cap) {
    Map<String, Duration> caps = new HashMap<>(budgetCaps);
    caps.put(method, cap);
    return new EngineConfig(methods, methodBudget, powerIterations, tolerance, seed, caps);
  }

  /** The budget of the method named {@code method}: {@code methodBudget}, or its cap when smaller. */
  public Duration budgetOf(String method) {
    Duration cap = budgetCaps.get(method);
    return cap != null && cap.compareTo(methodBudget) < 0 ? cap : methodBudget;
  }
}
