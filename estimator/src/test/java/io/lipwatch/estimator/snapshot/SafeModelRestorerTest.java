package io.lipwatch.estimator.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.testing.TestModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;

class SafeModelRestorerTest {
  private final SafeModelRestorer restorer = new SafeModelRestorer(SnapshotLimits.defaults());
  private final MultiLayerNetwork net = TestModels.mlp(1, Activation.RELU, 6, 5, 3);
  private final byte[] zip = TestModels.zip(net);

  @Test
  void restoresTheSameNetwork() {
    RestoredModel r = restorer.restore(zip, Sha256.hex(zip));
    assertEquals(ModelKind.MultiLayerNetwork, r.kind());
    assertEquals(net.numParams(), r.parameters());
    var x = Nd4j.rand(4, 6);
    assertArrayEquals(net.output(x).data().asFloat(), r.mln().output(x).data().asFloat(), 1e-6f);
  }

  private SnapshotRejectedException reject(byte[] bytes) {
    return assertThrows(SnapshotRejectedException.class, () -> restorer.restore(bytes, Sha256.hex(bytes)));
  }

  @Test
  void randomBytesAreNotAModel() {
    var e = reject(TestModels.randomBytes(7, 5000));
    assertEquals(RejectReason.NOT_A_MODEL_ZIP, e.reason());
    assertTrue(e.detail().contains("not a zip"), e.detail());
  }

  @Test
  void truncatedZipIsRejectedWithAReason() {
    for (int cut : new int[] {10, zip.length / 3, zip.length / 2, zip.length - 30}) {
      var e = reject(Arrays.copyOf(zip, cut));
      assertTrue(e.reason() == RejectReason.NOT_A_MODEL_ZIP || e.reason() == RejectReason.PARAMETER_MISMATCH,
          cut + ": " + e.reason() + " " + e.detail());
    }
  }

  @Test
  void digestMismatchIsRejected() {
    var e = assertThrows(SnapshotRejectedException.class, () -> restorer.restore(zip, "0".repeat(64)));
    assertEquals(RejectReason.SHA256_MISMATCH, e.reason());
  }

  @Test
  void foreignClassNamesInTheConfigurationAreRefused() throws IOException {
    byte[] hostile = rewrite(zip, "configuration.json",
        s -> s.replaceFirst("org.nd4j.linalg.activations.impl.ActivationReLU", "com.sun.rowset.JdbcRowSetImpl"));
    var e = reject(hostile);
    assertEquals(RejectReason.BAD_CONFIGURATION, e.reason());
    assertTrue(e.detail().contains("com.sun.rowset.JdbcRowSetImpl"), e.detail());
  }

  @Test
  void coefficientsOfAnotherNetworkAreAParameterMismatch() throws IOException {
    byte[] other = TestModels.zip(TestModels.mlp(1, Activation.RELU, 6, 7, 3));
    byte[] coef = entry(other, "coefficients.bin");
    byte[] mixed = replaceEntry(zip, "coefficients.bin", coef);
    var e = reject(mixed);
    assertEquals(RejectReason.PARAMETER_MISMATCH, e.reason());
    assertTrue(e.detail().contains("configuration implies"), e.detail());
  }

  @Test
  void hostileLengthInCoefficientsHeaderIsCaughtBeforeAllocation() throws IOException {
    byte[] coef = entry(zip, "coefficients.bin").clone();
    // data-buffer length field: after the shape buffer (2+16 + 8 + 2+4 + 6*8 = 80 bytes) and "MIXED_DATA_TYPES" (2+16)
    int at = 80 + 18;
    for (int i = 0; i < 8; i++) {
      coef[at + i] = (byte) (i == 0 ? 0x00 : 0x7f);
    }
    var e = reject(replaceEntry(zip, "coefficients.bin", coef));
    assertEquals(RejectReason.PARAMETER_MISMATCH, e.reason());
  }

  @Test
  void tooManyParametersForTheLimitIsTooLarge() {
    SafeModelRestorer small = new SafeModelRestorer(SnapshotLimits.defaults().withMaxParameters(20, 20));
    var e = assertThrows(SnapshotRejectedException.class, () -> small.restore(zip));
    assertEquals(RejectReason.TOO_LARGE, e.reason());
    assertTrue(e.detail().contains("parameters"), e.detail());
  }

  @Test
  void zipBombEntryIsStoppedAtTheLimit() throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bos)) {
      z.putNextEntry(new ZipEntry("configuration.json"));
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 8; i++) {
        z.write(zeros); // 8 MiB of zeros compress to a few KiB
      }
      z.closeEntry();
    }
    byte[] bomb = bos.toByteArray();
    assertTrue(bomb.length < 100_000);
    var e = reject(bomb);
    assertEquals(RejectReason.ZIP_LIMITS, e.reason());
  }

  @Test
  void tooManyEntriesAreRefused() throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bos)) {
      for (int i = 0; i < 100; i++) {
        z.putNextEntry(new ZipEntry("e" + i));
        z.closeEntry();
      }
    }
    assertEquals(RejectReason.ZIP_LIMITS, reject(bos.toByteArray()).reason());
  }

  @Test
  void configurationThatIsNotJsonIsBadConfiguration() throws IOException {
    byte[] bad = replaceEntry(zip, "configuration.json", "{not json".getBytes(StandardCharsets.UTF_8));
    assertEquals(RejectReason.BAD_CONFIGURATION, reject(bad).reason());
  }

  @Test
  void claimCheckOutsideTheStoreIsRefused(@TempDir Path dir) throws IOException {
    DirectorySnapshotStore store = new DirectorySnapshotStore(dir.resolve("store"));
    ClaimCheck cc = store.put("m", 1, zip);
    assertArrayEquals(zip, store.get(cc, 1 << 30));
    Path outside = Files.write(dir.resolve("secret.zip"), zip);
    var e = assertThrows(SnapshotRejectedException.class,
        () -> store.get(new ClaimCheck(outside.toUri().toString(), cc.sha256(), zip.length), 1 << 30));
    assertEquals(RejectReason.CLAIM_CHECK, e.reason());
    assertThrows(SnapshotRejectedException.class,
        () -> store.get(new ClaimCheck("http://example.invalid/x.zip", cc.sha256(), zip.length), 1 << 30));
    assertEquals(RejectReason.TOO_LARGE, assertThrows(SnapshotRejectedException.class, () -> store.get(cc, 10)).reason());
    assertEquals(cc, ClaimCheck.parse(cc.toJson()));
    assertEquals(RejectReason.CLAIM_CHECK, assertThrows(SnapshotRejectedException.class,
        () -> ClaimCheck.parse("{\"uri\":1}".getBytes(StandardCharsets.UTF_8))).reason());
  }

  static byte[] entry(byte[] zip, String name) throws IOException {
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry e;
      while ((e = z.getNextEntry()) != null) {
        if (e.getName().equals(name)) {
          return z.readAllBytes();
        }
      }
    }
    throw new IOException("no " + name);
  }

  static byte[] replaceEntry(byte[] zip, String name, byte[] content) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip)); ZipOutputStream out = new ZipOutputStream(bos)) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        byte[] data = in.readAllBytes();
        out.putNextEntry(new ZipEntry(e.getName()));
        out.write(e.getName().equals(name) ? content : data);
        out.closeEntry();
      }
    }
    return bos.toByteArray();
  }

  static byte[] rewrite(byte[] zip, String name, java.util.function.UnaryOperator<String> f) throws IOException {
    return replaceEntry(zip, name, f.apply(new String(entry(zip, name), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * What DL4J throws on a hostile configuration is a rejection naming the step: its RuntimeExceptions, ND4J's native
   * Errors (BlasException) and a stack overflow; running out of memory is not the snapshot's reason and propagates.
   */
  @Test
  void dl4jFailuresBecomeRejectionsAndOutOfMemoryPropagates() {
    for (Throwable t : new Throwable[] {new IllegalStateException("bad shape"),
        new org.nd4j.linalg.api.blas.BlasException("sgemm failed"), new StackOverflowError("nested")}) {
      SnapshotRejectedException e = assertThrows(SnapshotRejectedException.class,
          () -> SafeModelRestorer.rejecting(() -> { throw sneaky(t); }, "cannot build the network"));
      assertEquals(RejectReason.BAD_CONFIGURATION, e.reason(), t.toString());
      assertEquals("cannot build the network: " + t.getMessage(), e.getMessage(), t.toString());
    }
    assertThrows(OutOfMemoryError.class,
        () -> SafeModelRestorer.rejecting(() -> { throw new OutOfMemoryError("heap"); }, "cannot build the network"));
    assertEquals(7, SafeModelRestorer.rejecting(() -> 7, "cannot size layer 0"));
  }

  private static RuntimeException sneaky(Throwable t) {
    if (t instanceof Error e) {
      throw e;
    }
    return (RuntimeException) t;
  }
}
