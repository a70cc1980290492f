package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.probes.IdxReader;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.Required;
import io.lipwatch.monitor.testing.LivePipeline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's PyTorch example, run as a user would: {@code examples/pytorch/train_and_publish.py} trains on
 * Fashion-MNIST with Debian's PyTorch, exports ONNX every epoch and publishes it with kcat into a running pipeline;
 * every version (MLP and CNN) is estimated on the real probe set, probed by attacks, and judged.
 */
class PytorchExampleIT {
  static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
  @TempDir
  static Path tmp;
  static LivePipeline pipeline;

  @BeforeAll
  static void start() throws Exception {
    Required.dataset(DATA, "dataset-fashion-mnist");
    Required.tool("kcat", "kcat");
    Required.pythonModule("torch", "python3-torch");
    pipeline = LivePipeline.start(tmp, 1, EstimatorSettings.defaults().engine().withBudget(Duration.ofSeconds(2)), 100);
    ProbeSetPublisher.publish(pipeline.kafka, IdxReader.split(DATA, "t10k", "fashion-mnist").head(100));
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  void theExampleTrainsExportsAndPublishesAndEveryVersionIsEstimatedAndJudged() throws Exception {
    run("--model", "pytorch-mlp", "--epochs", "2", "--train-samples", "6000");
    run("--model", "pytorch-cnn", "--arch", "cnn", "--epochs", "1", "--train-samples", "3000");

    Map<String, List<Estimate>> byModel = new HashMap<>();
    for (var r : consume(Topics.ESTIMATES.name(), Topics.ESTIMATES.valueSerde().deserializer(), 3)) {
      byModel.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
    }
    assertEquals(2, byModel.getOrDefault("pytorch-mlp", List.of()).size(), byModel.keySet().toString());
    assertEquals(1, byModel.getOrDefault("pytorch-cnn", List.of()).size(), byModel.keySet().toString());
    for (List<Estimate> es : byModel.values()) {
      for (Estimate e : es) {
        assertEquals("ONNX", e.architecture().kind());
        assertTrue(e.lipschitz().bestUpper() != null && Double.isFinite(e.lipschitz().bestUpper()), e.toString());
        assertTrue(e.lipschitz().bestLower() != null && e.lipschitz().bestLower() <= e.lipschitz().bestUpper(),
            e.toString());
        assertEquals("fashion-mnist", e.probes().dataset());
        // trained briefly on Fashion-MNIST: far above chance (0.1) on the held-out probe samples
        assertTrue(e.probes().cleanAccuracy() > 0.5, e.model() + " clean " + e.probes().cleanAccuracy());
        assertTrue(e.probes().attacks().stream().anyMatch(a -> a.attack().equals("pgd")),
            e.model() + " v" + e.version() + ": attacks ran through the engine's gradients: " + e.warnings());
      }
    }
    var verdicts = consume(Topics.VERDICTS.name(), Topics.VERDICTS.valueSerde().deserializer(), 3);
    assertEquals(3, verdicts.size());
    for (ConsumerRecord<String, Verdict> v : verdicts) {
      assertTrue(List.of(Verdict.PASS, Verdict.WARN, Verdict.FAIL).contains(v.value().verdict()), v.value().toString());
    }
  }

  static void run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", example().toString(),
        "--bootstrap", pipeline.broker.bootstrapServers(), "--out", tmp.resolve("onnx").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES), "example still running: " + out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("published "), out);
  }

  static Path example() {
    Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    return base.resolve("../examples/pytorch/train_and_publish.py").normalize();
  }

  static <V> List<ConsumerRecord<String, V>> consume(String topic, Deserializer<V> d, int atLeast) {
    Map<String, Object> props = new HashMap<>(pipeline.kafka.toMap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-pytorch-" + topic + "-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(), d)) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(out::add);
      }
    }
    return out;
  }
}
