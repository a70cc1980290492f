package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.Topics;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Publishes a probe set to the compacted {@code lipwatch.probesets} topic, keyed by its name. */
public final class ProbeSetPublisher {
  private ProbeSetPublisher() {}

  public static void publish(KafkaConnection kafka, ProbeSet set) throws IOException, InterruptedException {
    Map<String, Object> p = new HashMap<>(kafka.toMap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.PROBESET_MAX_MESSAGE_BYTES);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p,
        io.lipwatch.estimator.stream.Topics.PROBESETS.keySerde().serializer(), io.lipwatch.estimator.stream.Topics.PROBESETS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.PROBESETS.name(), set.name(), ProbeSetCodec.encode(set))).get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("Kafka refused probe set " + set.name() + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("no acknowledgement from Kafka for probe set " + set.name(), e);
    }
  }
}
