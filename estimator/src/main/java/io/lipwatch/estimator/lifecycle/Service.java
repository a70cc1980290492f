package io.lipwatch.estimator.lifecycle;

/**
 * A long-running part of lipwatch (estimator, monitor, trainer loop, embedded broker): started once, asked for its
 * state by health checks and the demo, closed once. {@link #close()} is idempotent and does not throw, so a
 * {@code Closer} can close a list of services last-first without one failure skipping the rest.
 */
public interface Service extends AutoCloseable {

  /** Coarse states every service maps its own onto (e.g. Kafka Streams' REBALANCING is RUNNING). */
  enum State {
    /** Built, not started. */
    NEW,
    /** Started and doing its work (possibly rebalancing or waiting for input). */
    RUNNING,
    /** Closed, or stopped on request. */
    STOPPED,
    /** Stopped by an error it could not recover from. */
    FAILED
  }

  /** Short name for logs ("estimator", "monitor", "trainer", "broker"). */
  String name();

  void start();

  State state();

  @Override
  void close();
}
