package io.lipwatch.cli;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.stream.Topics;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch pin}: pins (or unpins) the baseline version of a model on lipwatch.baselines. */
@Command(name = "pin", description = "Pin a model version as the baseline new versions are judged against (or --unpin).")
public final class PinCommand implements Callable<Integer> {
  @Mixin
  HelpOption help;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--model", required = true, paramLabel = "NAME", description = "Model name.")
  String model;

  @Option(names = "--version", paramLabel = "V", description = "Version to pin (required unless --unpin).")
  Long version;

  @Option(names = "--unpin", description = "Remove the pin: the baseline is the last passing version again.")
  boolean unpin;

  @Option(names = "--reason", description = "Why (kept with the pin).")
  String reason;

  @Override
  public Integer call() throws Exception {
    kafka.requireBootstrap();
    if (!unpin && version == null) {
      System.err.println("error: --version is required (or --unpin)");
      return 2;
    }
    Map<String, Object> p = new HashMap<>(kafka.connection().toMap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, BaselinePin> producer = new KafkaProducer<>(p, Topics.BASELINES.keySerde().serializer(),
        Topics.BASELINES.valueSerde().serializer())) {
      BaselinePin pin = unpin ? null : new BaselinePin(model, version, Instant.now().toString(), reason);
      producer.send(new ProducerRecord<>(Topics.BASELINES.name(), model, pin)).get(60, TimeUnit.SECONDS);
    }
    System.out.println(unpin ? "unpinned " + model : "pinned " + model + " v" + version + " as its baseline");
    return 0;
  }
}
