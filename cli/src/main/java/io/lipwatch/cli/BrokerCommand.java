package io.lipwatch.cli;

import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.broker.EmbeddedBroker;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lipwatch broker}: a stand-alone Apache Kafka broker (KRaft, one node) with the lipwatch topics. */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Run a stand-alone Apache Kafka 4.3 broker (KRaft, one node) with the lipwatch topics created.")
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "9092", description = "Client port (default: ${DEFAULT-VALUE}; 0 picks a free port).")
  int port;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Log directory, kept across runs (default: a temporary directory).")
  Path dataDir;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions of new lipwatch topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Override
  public Integer call() throws Exception {
    try (RunUntilStopped run = new RunUntilStopped()) {
      EmbeddedBroker broker = run.register(EmbeddedBroker.start(port, dataDir));
      TopicAdmin.ensureTopics(KafkaConnection.of(broker.bootstrapServers()).toMap(), partitions, (short) 1);
      System.out.println("Kafka broker (KRaft) running");
      System.out.println("  bootstrap: " + broker.bootstrapServers());
      System.out.println("  data dir:  " + broker.dataDir());
      System.out.println("  topics:    " + Topics.ALL.stream().map(t -> t.name()).toList());
      System.out.println("Ctrl-C to stop.");
      run.await(null);
    }
    return 0;
  }
}
