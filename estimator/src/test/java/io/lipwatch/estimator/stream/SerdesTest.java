package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetCodec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

public class SerdesTest {
  public static Estimate sample() {
    var bounds = LipschitzBounds.of(
        List.of(new UpperBound("autolip", 43.31, true, 0.01), new UpperBound("seqlip-greedy", 24.3, false, 0.4),
            new UpperBound("lipbound", 50.0, true, 0.2)),
        List.of(new LowerBound("clip-pairs", 22.1, 0.6), new LowerBound("gradient-norm", 21.7, 0.2)));
    return new Estimate("fmnist-mlp", 12, "a".repeat(64), "2026-11-22T05:00:00Z",
        new Architecture("MultiLayerNetwork", 3, 55050, List.of(784L), 10), bounds, null, List.of(), 3.2, null);
  }

  @Test
  void bestValuesComeOnlyFromSoundUppersAndAllLowers() {
    Estimate e = sample();
    assertEquals(43.31, e.lipschitz().bestUpper()); // the unsound 24.3 never becomes bestUpper
    assertEquals(22.1, e.lipschitz().bestLower());
  }

  @Test
  void estimateRoundTrips() {
    EstimateSerde serde = new EstimateSerde();
    Estimate e = sample();
    byte[] bytes = serde.serializer().serialize("t", e);
    assertEquals(e, serde.deserializer().deserialize("t", bytes));
    assertNull(serde.serializer().serialize("t", null));
    assertNull(serde.deserializer().deserialize("t", null));
  }

  @Test
  void corruptJsonIsASerializationException() {
    var ex = assertThrows(SerializationException.class,
        () -> new EstimateSerde().deserializer().deserialize("lipwatch.estimates", "{\"model\":".getBytes(StandardCharsets.UTF_8)));
    assertTrue(ex.getMessage().contains("lipwatch.estimates"));
  }

  @Test
  void dlqRecordRoundTrips() {
    DlqRecordSerde serde = new DlqRecordSerde();
    DlqRecord r = new DlqRecord("not-a-model-zip", "not a zip archive", Map.of("lipwatch.model", "m"), "m", "now", "t", 0, 5L);
    assertEquals(r, serde.deserializer().deserialize("t", serde.serializer().serialize("t", r)));
  }

  @Test
  void warmStartRoundTrips() {
    WarmStartSerde serde = new WarmStartSerde();
    WarmStart w = new WarmStart(Map.of("dense0", new double[] {1, 2, 3}), List.<double[][]>of(new double[][] {{1, 2}, {3, 4}}));
    WarmStart back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", w));
    assertArrayEquals(w.singularVectors().get("dense0"), back.singularVectors().get("dense0"));
    assertArrayEquals(w.pairs().get(0)[1], back.pairs().get(0)[1]);
  }

  @Test
  void probeSetRoundTripsAndRejectsCorruption() {
    ProbeSet p = new ProbeSet("fmnist", List.of(2, 2), 10, 0, 1, new int[] {3, 7}, new byte[] {0, 1, 2, 3, 4, 5, 6, (byte) 255}, null);
    byte[] bytes = ProbeSetCodec.encode(p);
    ProbeSet back = ProbeSetCodec.decode(bytes);
    assertEquals(p.name(), back.name());
    assertArrayEquals(p.labels(), back.labels());
    assertArrayEquals(p.uint8(), back.uint8());
    assertEquals(1.0, back.input(1)[3]);
    assertThrows(IllegalArgumentException.class, () -> ProbeSetCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)));
    assertThrows(IllegalArgumentException.class, () -> ProbeSetCodec.decode("garbage!".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void everyTopicIsRegisteredWithItsSerdes() {
    assertEquals(6, Topics.ALL.size());
    assertEquals("compact", Topics.BASELINES.configs().get("cleanup.policy"));
    assertEquals("compact", Topics.PROBESETS.configs().get("cleanup.policy"));
    Topics.ALL.forEach(t -> {
      assertTrue(t.name().startsWith("lipwatch."));
      assertEquals("zstd", t.configs().get("compression.type"));
    });
  }
}
