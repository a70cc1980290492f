package io.lipwatch.estimator.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the lipwatch topics with their configs (idempotent). */
public final class TopicAdmin {
  private TopicAdmin() {}

  /** Creates every topic of {@link Topics#ALL} that does not exist yet; returns the names it created. */
  public static List<String> ensureTopics(Map<String, Object> clientProps, int partitions, short replication)
      throws InterruptedException {
    Map<String, Object> p = new java.util.HashMap<>(clientProps);
    p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      List<NewTopic> wanted = new ArrayList<>();
      for (Topic<?, ?> t : Topics.ALL) {
        if (!existing.contains(t.name())) {
          int n = t == Topics.PROBESETS ? 1 : partitions;
          wanted.add(new NewTopic(t.name(), n, replication).configs(t.configs()));
        }
      }
      List<String> created = new ArrayList<>();
      for (var e : admin.createTopics(wanted).values().entrySet()) {
        try {
          e.getValue().get(60, TimeUnit.SECONDS);
          created.add(e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(), ex.getCause());
          }
        }
      }
      return created;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot reach Kafka at " + clientProps.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
          + " to create topics: " + e.getMessage(), e);
    }
  }
}
