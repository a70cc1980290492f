package io.lipwatch.estimator.estimate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.io.InputStream;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The outcome bit strings of an estimate, and the verdict schema's paired-test fields. */
class OutcomeBitsTest {
  @Test
  void littleEndianBitsInBase64() {
    // samples 0 and 8 set, 9 samples: bytes 0x01 0x01
    boolean[] b = new boolean[9];
    b[0] = true;
    b[8] = true;
    assertEquals(Base64.getEncoder().encodeToString(new byte[] {1, 1}), OutcomeBits.encode(b));
    // sample 7 alone: the high bit of byte 0
    boolean[] c = new boolean[8];
    c[7] = true;
    assertArrayEquals(new byte[] {(byte) 0x80}, Base64.getDecoder().decode(OutcomeBits.encode(c)));
    assertEquals("", OutcomeBits.encode(new boolean[0]));
    // 256 samples: 32 bytes, 44 characters
    assertEquals(44, OutcomeBits.encode(new boolean[256]).length());
  }

  @Test
  void roundTripsForAnyLength() {
    SplittableRandom r = new SplittableRandom(11);
    for (int n : new int[] {0, 1, 7, 8, 9, 63, 256, 1000, 1001}) {
      boolean[] b = new boolean[n];
      for (int i = 0; i < n; i++) {
        b[i] = r.nextBoolean();
      }
      assertArrayEquals(b, OutcomeBits.decode(OutcomeBits.encode(b), n), "n " + n);
    }
  }

  @Test
  void bitsThatCannotBeTheEstimatorsAreRefused() {
    String nine = OutcomeBits.encode(new boolean[9]);
    assertThrows(IllegalArgumentException.class, () -> OutcomeBits.decode(nine, 17), "too short");
    assertThrows(IllegalArgumentException.class, () -> OutcomeBits.decode(nine, 8), "too long");
    // a bit past the last sample
    String stray = Base64.getEncoder().encodeToString(new byte[] {0, 2});
    assertThrows(IllegalArgumentException.class, () -> OutcomeBits.decode(stray, 9));
    assertThrows(IllegalArgumentException.class, () -> OutcomeBits.decode("not base64!", 8));
    assertThrows(IllegalArgumentException.class, () -> OutcomeBits.decode(null, 8));
  }

  static JsonSchema verdictSchema() throws Exception {
    try (InputStream in = OutcomeBitsTest.class.getResourceAsStream("/schema/verdict.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  @Test
  void verdictsWithPairedAndUnpairedChecksAreSchemaValid() throws Exception {
    Verdict.Check paired = new Verdict.Check("robust-accuracy:pgd/l2/2.0", Verdict.PASS, 0.27, 0.30, 0.02, 0.05,
        "0.2700 vs 0.3000 in v4 (−3.00 points); paired on 256 samples: 10 lost, 2 gained, McNemar p=0.0193")
        .against(4L, "last-pass").tested("mcnemar-exact", 79.0 / 4096, 10, 2);
    Verdict.Check unpaired = new Verdict.Check("clean-accuracy", Verdict.WARN, 0.86, 0.88, 0.01, 0.03, "…; unpaired: …")
        .against(4L, "last-pass").tested("unpaired", null, null, null);
    Verdict.Check bound = new Verdict.Check("best-upper-growth", Verdict.PASS, 1.01, 1.0, 1.1, 1.25, "…").against(4L, "last-pass");
    Verdict v = new Verdict("m", 5, Verdict.WARN, List.of(paired, unpaired, bound), 4L, "last-pass", "2026-12-01T00:00:00Z",
        3L, "best-pass");
    JsonNode json = EstimateJson.mapper().valueToTree(v);
    assertEquals(Set.of(), verdictSchema().validate(json));
    assertEquals("mcnemar-exact", json.get("checks").get(0).get("test").asText());
    assertEquals(10, json.get("checks").get(0).get("discordantLost").asInt());
    assertFalse(json.get("checks").get(1).has("pValue"), "an unpaired check has no p-value");
    assertFalse(json.get("checks").get(2).has("test"), "a bound check has no test");
    // a p-value without its test, or above 1, is not a verdict
    ObjectNode bad = json.deepCopy();
    ((ObjectNode) bad.get("checks").get(0)).remove("test");
    assertFalse(verdictSchema().validate(bad).isEmpty());
    ObjectNode big = json.deepCopy();
    ((ObjectNode) big.get("checks").get(0)).put("pValue", 1.5);
    assertFalse(verdictSchema().validate(big).isEmpty());
  }
}
