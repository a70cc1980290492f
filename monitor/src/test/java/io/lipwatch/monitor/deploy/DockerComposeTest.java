package io.lipwatch.monitor.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import com.fasterxml.jackson.databind.JsonNode;
import io.lipwatch.estimator.stream.Topic;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.Required;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/docker-compose.yml, deploy/docker/Dockerfile and deploy/kafka/create-topics.sh. No Docker engine runs here:
 * the compose file is validated by docker-compose itself ({@code config -q}) and by its structure.
 */
class DockerComposeTest {
  private static final Path ROOT = DeployFiles.repoRoot();
  private static final Path COMPOSE = ROOT.resolve("deploy/docker-compose.yml");

  @Test
  void dockerComposeAcceptsTheFile() {
    Path compose = Required.tool("docker-compose", "docker-compose");
    DeployFiles.Result r = DeployFiles.run(ROOT, Duration.ofMinutes(2),
        List.of(compose.toString(), "-f", "deploy/docker-compose.yml", "config", "-q"));
    assertEquals(0, r.exitCode(), "docker-compose -f deploy/docker-compose.yml config -q failed:\n" + r.output());
  }

  @Test
  void kafkaIsASingleNodeKraftBrokerOfTheOfficialImage() {
    JsonNode kafka = DeployFiles.readYaml(COMPOSE).path("services").path("kafka");
    assertTrue(kafka.path("image").asText().contains("apache/kafka:4."), kafka.path("image").asText());
    JsonNode env = kafka.path("environment");
    assertEquals("broker,controller", env.path("KAFKA_PROCESS_ROLES").asText());
    assertEquals("1@kafka:9093", env.path("KAFKA_CONTROLLER_QUORUM_VOTERS").asText());
    for (String k : List.of("KAFKA_NODE_ID", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_CONTROLLER_LISTENER_NAMES")) {
      assertTrue(env.hasNonNull(k), "kafka needs " + k);
    }
    for (String k : List.of("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")) {
      assertEquals("1", env.path(k).asText(), k);
    }
  }

  @Test
  void servicesPortsAndMounts() {
    JsonNode services = DeployFiles.readYaml(COMPOSE).path("services");
    Map<String, String> ports = Map.of("monitor", "9464", "estimator", "9465", "trainer", "9466");
    for (var e : ports.entrySet()) {
      JsonNode s = services.path(e.getKey());
      assertTrue(s.path("command").toString().contains("kafka:9092"), e.getKey() + " must use --bootstrap kafka:9092");
      assertTrue(s.path("ports").toString().contains(e.getValue() + ":" + e.getValue()), e.getKey() + " must publish " + e.getValue());
      assertEquals("deploy/docker/Dockerfile", s.path("build").path("dockerfile").asText(), e.getKey());
    }
    // the scrape targets of prometheus.yml are these services
    JsonNode prom = DeployFiles.readYaml(ROOT.resolve("deploy/prometheus/prometheus.yml"));
    String targets = prom.path("scrape_configs").toString();
    for (var e : ports.entrySet()) {
      assertTrue(targets.contains(e.getKey() + ":" + e.getValue()), "prometheus.yml does not scrape " + e.getKey());
    }
    String promVolumes = services.path("prometheus").path("volumes").toString();
    assertTrue(promVolumes.contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml"), promVolumes);
    assertTrue(promVolumes.contains("./prometheus/rules:/etc/prometheus/rules"), promVolumes);
    String grafanaVolumes = services.path("grafana").path("volumes").toString();
    assertTrue(grafanaVolumes.contains("../grafana/provisioning:/etc/grafana/provisioning"), grafanaVolumes);
    // every bind-mounted source exists
    for (JsonNode s : services) {
      for (JsonNode v : s.path("volumes")) {
        String src = v.asText().split(":")[0];
        if (src.startsWith(".")) {
          assertTrue(Files.exists(ROOT.resolve("deploy").resolve(src).normalize()), "missing mount source " + src);
        }
      }
    }
  }

  @Test
  void dockerfileIsMultiStage() throws Exception {
    String df = Files.readString(ROOT.resolve("deploy/docker/Dockerfile"));
    assertTrue(df.contains("FROM maven:3-eclipse-temurin-17 AS build"), "build stage");
    assertTrue(df.contains("FROM eclipse-temurin:17-jre"), "run stage");
    assertTrue(df.contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/lipwatch/lipwatch.jar\"]"), "entrypoint");
    assertTrue(df.contains("cli/target/lipwatch.jar"), "copies the runnable jar");
  }

  /**
   * The image runs the services as the launcher does: ND4J's OpenMP workers told to sleep between ops (spinning, they
   * took the cores OpenBLAS's threads needed; DL4J's fit ran 2-2.5x slower).
   */
  @Test
  void imageAndLauncherLetOpenMpWorkersSleep() throws Exception {
    String df = Files.readString(ROOT.resolve("deploy/docker/Dockerfile"));
    assertTrue(df.lines().anyMatch(l -> l.equals("ENV OMP_WAIT_POLICY=PASSIVE")), "Dockerfile");
    String launcher = Files.readString(ROOT.resolve("lipwatch"));
    int export = launcher.indexOf("export OMP_WAIT_POLICY=\"${OMP_WAIT_POLICY:-PASSIVE}\"");
    assertTrue(export > 0 && export < launcher.indexOf("exec java "), "launcher exports it before starting java");
  }

  /** The topic script creates every topic of {@link Topics#ALL} with its configs. */
  @Test
  void createTopicsMatchesTopicsJava() throws Exception {
    String script = Files.readString(ROOT.resolve("deploy/kafka/create-topics.sh"));
    String job = Files.readString(ROOT.resolve("deploy/k8s/base/topics-job.yaml"));
    for (Topic<?, ?> t : Topics.ALL) {
      for (String text : List.of(script, job)) {
        String line = text.lines().filter(l -> l.contains("create " + t.name() + " ")).findFirst()
            .orElseThrow(() -> new AssertionError("no 'create " + t.name() + "' line"));
        for (var c : t.configs().entrySet()) {
          assertTrue(line.contains("--config " + c.getKey() + "=" + c.getValue()), t.name() + " lacks " + c + ": " + line);
        }
      }
    }
  }
}
