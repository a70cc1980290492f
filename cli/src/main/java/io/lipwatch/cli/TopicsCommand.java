package io.lipwatch.cli;

import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch topics}: creates the lipwatch topics with their configs on any cluster (idempotent). */
@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Create the lipwatch topics with their configs on a Kafka cluster (existing topics are left alone).")
public final class TopicsCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--partitions", defaultValue = "3", description = "Partitions (default: ${DEFAULT-VALUE}; probe sets always 1).")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "1", description = "Replication factor (default: ${DEFAULT-VALUE}).")
  short replication;

  @Override
  public Integer call() throws Exception {
    kafka.requireBootstrap();
    List<String> created = TopicAdmin.ensureTopics(kafka.connection().toMap(), partitions, replication);
    for (var t : Topics.ALL) {
      System.out.printf("%-26s %s %s%n", t.name(), created.contains(t.name()) ? "created " : "exists  ", t.configs());
    }
    return 0;
  }
}
