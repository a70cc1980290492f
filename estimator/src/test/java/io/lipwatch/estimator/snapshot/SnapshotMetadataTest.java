package io.lipwatch.estimator.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class SnapshotMetadataTest {
  private static final String SHA = "a".repeat(64);

  private static Map<String, String> valid() {
    Map<String, String> h = new HashMap<>();
    h.put(SnapshotHeaders.MODEL, "fmnist-mlp");
    h.put(SnapshotHeaders.VERSION, "12");
    h.put(SnapshotHeaders.SHA256, SHA);
    h.put(SnapshotHeaders.CREATED_AT, "2026-11-22T05:00:00Z");
    h.put(SnapshotHeaders.DATASET, "fashion-mnist");
    h.put(SnapshotHeaders.INPUT_RANGE, "0,1");
    h.put(SnapshotHeaders.LAMBDA, "0.5");
    h.put(SnapshotHeaders.EPOCH, "3");
    return h;
  }

  @Test
  void parsesAllHeadersAndRoundTripsThroughKafkaHeaders() {
    SnapshotMetadata m = SnapshotMetadata.fromHeaders(valid(), "fmnist-mlp");
    assertEquals("fmnist-mlp", m.model());
    assertEquals(12, m.version());
    assertEquals(0.5, m.lambda());
    assertEquals(3, m.epoch());
    assertEquals(1.0, m.inputRange()[1]);
    RecordHeaders kh = new RecordHeaders();
    SnapshotHeaders.write(m, kh);
    SnapshotMetadata back = SnapshotMetadata.fromHeaders(SnapshotHeaders.toMap(kh), "fmnist-mlp");
    assertEquals(m.toHeaderMap(), back.toHeaderMap());
  }

  @Test
  void rejectsMissingAndMalformedHeadersNamingThem() {
    Map<String, String> h = valid();
    h.remove(SnapshotHeaders.SHA256);
    var e = assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(h, null));
    assertEquals(RejectReason.BAD_HEADERS, e.reason());
    assertTrue(e.getMessage().contains("lipwatch.sha256"), e.getMessage());

    Map<String, String> v = valid();
    v.put(SnapshotHeaders.VERSION, "twelve");
    assertTrue(assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(v, null))
        .getMessage().contains("lipwatch.version"));

    Map<String, String> s = valid();
    s.put(SnapshotHeaders.SHA256, "xyz");
    assertTrue(assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(s, null))
        .getMessage().contains("64"));

    Map<String, String> n = valid();
    n.put(SnapshotHeaders.MODEL, "../../etc/passwd");
    assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(n, null));

    Map<String, String> l = valid();
    l.put(SnapshotHeaders.LAMBDA, "NaN");
    assertTrue(assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(l, null))
        .getMessage().contains("lipwatch.lambda"));

    Map<String, String> r = valid();
    r.put(SnapshotHeaders.INPUT_RANGE, "1,0");
    assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(r, null));
  }

  @Test
  void recordKeyMustMatchModelHeader() {
    var e = assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(valid(), "other"));
    assertTrue(e.getMessage().contains("record key"));
  }

  @Test
  void oversizedHeaderValuesAreCapped() {
    RecordHeaders kh = new RecordHeaders();
    kh.add(SnapshotHeaders.RUN_ID, "x".repeat(100_000).getBytes(StandardCharsets.UTF_8));
    kh.add("other.header", "ignored".getBytes(StandardCharsets.UTF_8));
    Map<String, String> m = SnapshotHeaders.toMap(kh);
    assertEquals(SnapshotHeaders.MAX_HEADER_BYTES, m.get(SnapshotHeaders.RUN_ID).length());
    assertEquals(1, m.size());
  }

  @Test
  void hmacSignatureVerifies() {
    SnapshotSignature sig = new SnapshotSignature("0123456789abcdef0123".getBytes(StandardCharsets.UTF_8));
    byte[] zip = {1, 2, 3};
    sig.verify(zip, sig.sign(zip));
    assertEquals(RejectReason.BAD_SIGNATURE, assertThrows(SnapshotRejectedException.class, () -> sig.verify(new byte[] {1, 2, 4}, sig.sign(zip))).reason());
    assertThrows(SnapshotRejectedException.class, () -> sig.verify(zip, null));
  }
}
