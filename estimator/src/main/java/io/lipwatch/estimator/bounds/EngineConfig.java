package io.lipwatch.estimator.bounds;

import java.time.Duration;
import java.util.Set;

/**
 * Immutable settings of the Lipschitz engine.
 *
 * @param methods         method names to run; empty means every method that applies
 * @param methodBudget    wall-time budget of each method
 * @param powerIterations cap on power iterations per layer
 * @param tolerance       relative stopping tolerance of iterative methods
 * @param seed            seed of every random start (estimates are deterministic for a seed)
 */
public record EngineConfig(Set<String> methods, Duration methodBudget, int powerIterations, double tolerance, long seed) {
  public EngineConfig {
    methods = methods == null ? Set.of() : Set.copyOf(methods);
    if (methodBudget == null || methodBudget.isNegative() || methodBudget.isZero()) {
      throw new IllegalArgumentException("method budget must be positive");
    }
    if (powerIterations < 1) {
      throw new IllegalArgumentException("power iterations must be >= 1");
    }
  }

  public static EngineConfig defaults() {
    return new EngineConfig(Set.of(), Duration.ofSeconds(3), 500, 1e-8, 42L);
  }

  public boolean wants(String method) {
    return methods.isEmpty() || methods.contains(method);
  }

  public EngineConfig withMethods(Set<String> m) {
    return new EngineConfig(m, methodBudget, powerIterations, tolerance, seed);
  }

  public EngineConfig withBudget(Duration d) {
    return new EngineConfig(methods, d, powerIterations, tolerance, seed);
  }
}
