package io.lipwatch.estimator.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.testing.HostileSnapshots;
import io.lipwatch.estimator.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;

/** Headers, sizes and weights are checked exactly, and every refusal names what is wrong. */
class StrictContractsTest {
  private static final byte[] MLP = TestModels.zip(TestModels.mlp(5, Activation.RELU, 6, 5, 3));
  private static final byte[] CNN = TestModels.zip(HostileSnapshots.smallCnn(5));
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private final SafeModelRestorer restorer = new SafeModelRestorer(SnapshotLimits.defaults());

  private static Map<String, String> headers(String key, String value) {
    Map<String, String> h = new HashMap<>(TestModels.headers("m", 3, MLP));
    h.put(key, value);
    return h;
  }

  private static SnapshotRejectedException refusedHeaders(Map<String, String> h) {
    var e = assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(h, "m"));
    assertEquals(RejectReason.BAD_HEADERS, e.reason());
    return e;
  }

  @ParameterizedTest
  @ValueSource(strings = {"１２", "+12", "-1", "1e3", "0x10", "", "12 3", "99999999999999999999"})
  void versionIsAsciiDigits(String v) {
    assertTrue(refusedHeaders(headers(SnapshotHeaders.VERSION, v)).detail().contains(SnapshotHeaders.VERSION));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/passwd", "yes", "TRUE", "1", "false", ""})
  void claimCheckIsTrueOrAbsent(String v) {
    assertTrue(refusedHeaders(headers(SnapshotHeaders.CLAIM_CHECK, v)).detail().contains(SnapshotHeaders.CLAIM_CHECK));
  }

  @Test
  void claimCheckTrueIsAccepted() {
    assertTrue(SnapshotMetadata.fromHeaders(headers(SnapshotHeaders.CLAIM_CHECK, "true"), "m").claimCheck());
  }

  /** Both cases of hex are accepted (tools differ), and stored lower case. */
  @Test
  void sha256InEitherCase() {
    String sha = Sha256.hex(MLP);
    assertEquals(sha, SnapshotMetadata.fromHeaders(headers(SnapshotHeaders.SHA256, sha.toUpperCase()), "m").sha256());
    refusedHeaders(headers(SnapshotHeaders.SHA256, "g" + sha.substring(1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bad name", "-lead", ".hidden", "ünï", "a/b", "x\ny"})
  void modelNamesAreFromTheDocumentedCharset(String name) {
    Map<String, String> h = headers(SnapshotHeaders.MODEL, name);
    var e = assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(h, name));
    assertEquals(RejectReason.BAD_HEADERS, e.reason());
    assertFalse(e.detail().contains("\n"), "control characters are escaped in the detail");
  }

  @Test
  void modelNamesUpTo128Characters() {
    String ok = "m".repeat(128);
    assertEquals(ok, SnapshotMetadata.fromHeaders(headers(SnapshotHeaders.MODEL, ok), ok).model());
    String tooLong = "m".repeat(129);
    assertThrows(SnapshotRejectedException.class, () -> SnapshotMetadata.fromHeaders(headers(SnapshotHeaders.MODEL, tooLong), tooLong));
  }

  private SnapshotRejectedException refusedConfig(byte[] zip, java.util.function.Consumer<ObjectNode> edit) throws Exception {
    ObjectNode tree = (ObjectNode) JSON.readTree(HostileSnapshots.entry(zip, "configuration.json"));
    edit.accept(tree);
    byte[] bad = HostileSnapshots.replaceEntry(zip, "configuration.json", JSON.writeValueAsBytes(tree));
    return assertThrows(SnapshotRejectedException.class, () -> restorer.restore(bad));
  }

  private static ObjectNode layer(ObjectNode tree, int i) {
    return (ObjectNode) tree.get("confs").get(i).get("layer");
  }

  /** nIn = 2^61, nOut = 8 wraps to 0 weights in 64 bits; refused before anything is built, naming layer and field. */
  @Test
  void wrappingSizesAreRefusedByLayerAndField() throws Exception {
    var e = refusedConfig(MLP, t -> layer(t, 0).put("nin", 1L << 61));
    assertTrue(e.detail().contains("layer 0") && e.detail().contains("nIn"), e.detail());
    var both = refusedConfig(MLP, t -> layer(t, 1).put("nin", 1L << 32).put("nout", 1L << 32));
    assertTrue(both.detail().contains("layer 1") && both.detail().contains("4294967296"), both.detail());
    assertFalse(both.detail().contains(" 0 "), "no wrapped count in the message: " + both.detail());
  }

  @ParameterizedTest
  @ValueSource(strings = {"stride", "dilation", "kernelSize"})
  void zeroWindowsAreRefusedByField(String field) throws Exception {
    var e = refusedConfig(CNN, t -> ((com.fasterxml.jackson.databind.node.ArrayNode) layer(t, 0).get(field)).set(0, 0));
    assertEquals(RejectReason.BAD_CONFIGURATION, e.reason());
    assertTrue(e.detail().contains("layer 0") && e.detail().contains(field), e.detail());
  }

  @Test
  void negativePaddingIsRefused() throws Exception {
    var e = refusedConfig(CNN, t -> ((com.fasterxml.jackson.databind.node.ArrayNode) layer(t, 0).get("padding")).set(0, -1));
    assertTrue(e.detail().contains("padding"), e.detail());
  }

  @ParameterizedTest
  @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
  void nonFiniteWeightsHaveTheirOwnReason(float bad) {
    byte[] coef = HostileSnapshots.entry(MLP, "coefficients.bin").clone();
    ByteBuffer.wrap(coef, coef.length - 8, 4).putFloat(bad);
    var e = assertThrows(SnapshotRejectedException.class,
        () -> restorer.restore(HostileSnapshots.replaceEntry(MLP, "coefficients.bin", coef)));
    assertEquals(RejectReason.NON_FINITE_WEIGHTS, e.reason());
    assertTrue(e.detail().contains("1 non-finite"), e.detail());
  }

  /** The reproduction: the float tail overwritten with 0xFF bytes (NaN). */
  @Test
  void ffTailIsNonFinite() {
    byte[] coef = HostileSnapshots.entry(MLP, "coefficients.bin").clone();
    java.util.Arrays.fill(coef, coef.length - 40, coef.length, (byte) 0xff);
    var e = assertThrows(SnapshotRejectedException.class,
        () -> restorer.restore(HostileSnapshots.replaceEntry(MLP, "coefficients.bin", coef)));
    assertEquals(RejectReason.NON_FINITE_WEIGHTS, e.reason());
  }

  @Test
  void denormalWeightsAreFine() {
    byte[] coef = HostileSnapshots.entry(MLP, "coefficients.bin").clone();
    ByteBuffer.wrap(coef, coef.length - 4, 4).putFloat(Float.MIN_VALUE);
    restorer.restore(HostileSnapshots.replaceEntry(MLP, "coefficients.bin", coef));
  }

  /** The memory budget is applied from the declared parameter count, before any weight is read. */
  @Test
  void memoryBudgetFromDeclaredSizes() {
    SafeModelRestorer tight = new SafeModelRestorer(SnapshotLimits.defaults().withMemoryBudget(1000));
    var e = assertThrows(SnapshotRejectedException.class, () -> tight.restore(MLP));
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertTrue(e.detail().contains("memory budget"), e.detail());
  }

  @Test
  void deepJsonIsRefusedNotOverflowed() {
    String deep = "{\"confs\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}";
    var e = assertThrows(SnapshotRejectedException.class, () -> restorer.restore(
        HostileSnapshots.replaceEntry(MLP, "configuration.json", deep.getBytes(StandardCharsets.UTF_8))));
    assertEquals(RejectReason.BAD_CONFIGURATION, e.reason());
  }
}
