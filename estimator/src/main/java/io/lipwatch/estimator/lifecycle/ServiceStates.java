package io.lipwatch.estimator.lifecycle;

import org.apache.kafka.streams.KafkaStreams;

/** Maps Kafka Streams' states onto {@link Service.State}. */
public final class ServiceStates {
  private ServiceStates() {}

  public static Service.State of(KafkaStreams.State s) {
    return switch (s) {
      case CREATED -> Service.State.NEW;
      case REBALANCING, RUNNING -> Service.State.RUNNING;
      case PENDING_SHUTDOWN, NOT_RUNNING -> Service.State.STOPPED;
      case PENDING_ERROR, ERROR -> Service.State.FAILED;
    };
  }
}
