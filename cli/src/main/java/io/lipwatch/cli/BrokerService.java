package io.lipwatch.cli;

import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.estimator.lifecycle.Service;
import java.nio.file.Path;

/** The embedded KRaft broker as a {@link Service} (the broker module itself stays free of lipwatch types). */
final class BrokerService implements Service {
  private final int port;
  private final Path dataDir;
  private volatile EmbeddedBroker broker;
  private volatile State state = State.NEW;

  /** @param dataDir null for a temporary directory the broker deletes on close */
  BrokerService(int port, Path dataDir) {
    this.port = port;
    this.dataDir = dataDir;
  }

  @Override
  public String name() {
    return "broker";
  }

  @Override
  public synchronized void start() {
    try {
      broker = EmbeddedBroker.start(port, dataDir);
      state = State.RUNNING;
    } catch (Exception e) {
      state = State.FAILED;
      throw new IllegalStateException("embedded Kafka broker did not start on port " + port + ": " + e.getMessage(), e);
    }
  }

  String bootstrapServers() {
    return broker.bootstrapServers();
  }

  @Override
  public State state() {
    return state;
  }

  @Override
  public synchronized void close() {
    if (broker != null && state == State.RUNNING) {
      try {
        broker.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the embedded broker: " + e.getMessage(), e);
      } finally {
        state = State.STOPPED;
      }
    }
  }
}
