package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.network.ExtractedNetwork;

import java.util.Set;

/**
 * One way of bounding or estimating the Lipschitz constant of an {@link ExtractedNetwork}. The engine runs every
 * registered method that is selected and applies, each under its own budget, and isolates its failures: a method that
 * throws or returns a non-finite value is reported as a warning, never as a bound.
 *
 * <p>Adding a method: implement this interface and add one line to {@link BoundMethods#standard()}.
 */
public interface BoundMethod {
  /** What a method's value means. */
  enum Kind {
    /** A proven upper bound ({@code sound: true}); the smallest one is {@code bestUpper}. */
    SOUND_UPPER,
    /** An upper estimate that is not guaranteed ({@code sound: false}). */
    ESTIMATE,
    /** A value the network attains: a true lower bound. */
    LOWER
  }

  /** The name in estimates and in {@code --methods}. */
  String name();

  Kind kind();

  /** Other names {@code --methods} accepts for this method (a method may report under either). */
  default Set<String> aliases() {
    return Set.of();
  }

  /** Whether it runs when no {@code --methods} are given (expensive methods run only when asked for). */
  default boolean byDefault() {
    return true;
  }

  /** Null when the method applies to {@code net}, else why not (shown only when the method was asked for). */
  default String inapplicable(ExtractedNetwork net) {
    return null;
  }

  /** Computes the method; the context holds the network, settings, warm start, inputs and the deadline. */
  MethodOutcome compute(MethodContext ctx);

  /** True when {@code config} selects this method. */
  default boolean selectedBy(EngineConfig config) {
    if (config.methods().isEmpty()) {
      return byDefault();
    }
    return explicitlyIn(config);
  }

  /** True when {@code config} names this method (or an alias). */
  default boolean explicitlyIn(EngineConfig config) {
    return config.methods().contains(name()) || aliases().stream().anyMatch(config.methods()::contains);
  }
}
