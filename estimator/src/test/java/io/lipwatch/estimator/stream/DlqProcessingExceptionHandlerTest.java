package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second line of defence, with the estimator service's own Streams properties: an exception that escapes a
 * processor sends the record to the DLQ and the stream resumes with the next record.
 */
class DlqProcessingExceptionHandlerTest {
  @TempDir
  Path tmp;

  @Test
  void escapedExceptionGoesToTheDlqAndTheStreamResumes() {
    Topology t = new Topology();
    t.addSource("src", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(), Topics.SNAPSHOTS.name());
    t.addProcessor("throwing", () -> new Processor<String, byte[], String, byte[]>() {
      private ProcessorContext<String, byte[]> ctx;

      @Override
      public void init(ProcessorContext<String, byte[]> c) {
        ctx = c;
      }

      @Override
      public void process(Record<String, byte[]> r) {
        if (r.key().startsWith("bad")) {
          throw new IllegalStateException("a bug in a processor");
        }
        ctx.forward(r);
      }
    }, "src");
    t.addSink("out", "out", Serdes.String().serializer(), Serdes.ByteArray().serializer(), "throwing");
    Properties p = EstimatorService.properties(io.lipwatch.estimator.stream.KafkaConnection.of("unused:9092"),
        EstimatorSettings.defaults(), tmp);
    try (TopologyTestDriver driver = new TopologyTestDriver(t, p)) {
      TestInputTopic<String, byte[]> in = driver.createInputTopic(Topics.SNAPSHOTS.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
      TestOutputTopic<String, byte[]> out = driver.createOutputTopic("out", Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
      TestOutputTopic<String, DlqRecord> dlq = driver.createOutputTopic(Topics.SNAPSHOTS_DLQ.name(),
          Topics.SNAPSHOTS_DLQ.keySerde().deserializer(), Topics.SNAPSHOTS_DLQ.valueSerde().deserializer());
      RecordHeaders h = new RecordHeaders();
      h.add("lipwatch.version", "7".getBytes(StandardCharsets.UTF_8));
      in.pipeInput(new TestRecord<>("bad-1", new byte[] {1}, h));
      in.pipeInput("good-1", new byte[] {2});
      DlqRecord d = dlq.readValue();
      assertEquals("estimation-failed", d.reason());
      assertTrue(d.detail().contains("a bug in a processor") && d.detail().contains("throwing"), d.detail());
      assertEquals("7", d.headers().get("lipwatch.version"));
      assertEquals("good-1", out.readKeyValue().key, "the stream resumed after the failure");
    }
  }
}
