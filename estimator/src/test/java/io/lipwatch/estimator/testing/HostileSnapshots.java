package io.lipwatch.estimator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A seeded generator of hostile and broken snapshot records: the failure classes seen against a running estimator
 * (non-finite weights, wrapped sizes, zero strides, zip bombs, forged headers) and random mutations of valid zips
 * (truncation, bit flips, edited configuration.json fields, huge and negative sizes, unknown classes, deep JSON, wrong
 * and missing headers). Each case says what must come out: an estimate, a DLQ record with a given reason, or either.
 */
public final class HostileSnapshots {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the estimator must do with a case. */
  public enum Expect { ESTIMATE, DLQ, EITHER }

  /**
   * One record: key, value, headers; the expected outcome and, for a DLQ, the reason (null: any reason).
   *
   * @param kind a short name of the generator that made it (for the tally)
   */
  public record Case(String kind, String key, byte[] value, Map<String, String> headers, Expect expect, String reason) {}

  private final Random rnd;
  private final List<byte[]> mlps = new ArrayList<>();
  private final byte[] cnn;

  public HostileSnapshots(long seed) {
    this.rnd = new Random(seed);
    Activation[] acts = {Activation.RELU, Activation.TANH, Activation.SIGMOID, Activation.LEAKYRELU};
    for (int i = 0; i < 4; i++) {
      mlps.add(TestModels.zip(TestModels.mlp(seed + i, acts[i], 6 + i, 5 + i, 3)));
    }
    this.cnn = TestModels.zip(smallCnn(seed));
  }

  /** A 1×8×8 CNN: conv 3×3 (4 channels), 2×2 max pooling, dense softmax output. */
  public static MultiLayerNetwork smallCnn(long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(8, 8, 1)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** The next case; the kinds cycle through every generator with random parameters. */
  public Case next(int i) {
    return switch (i % 16) {
      case 0 -> valid();
      case 1 -> nonFinite();
      case 2 -> denormal();
      case 3 -> wrappedSize();
      case 4 -> badWindow();
      case 5 -> editedField();
      case 6 -> truncated();
      case 7 -> bitFlips();
      case 8 -> zipBomb();
      case 9 -> unknownClass();
      case 10 -> deepJson();
      case 11 -> badHeaders();
      case 12 -> randomBytes();
      case 13 -> wrongSha();
      case 14 -> manyEntries();
      default -> hugeDeclaredCount();
    };
  }

  private byte[] baseMlp() {
    return mlps.get(rnd.nextInt(mlps.size()));
  }

  private String model() {
    return "fuzz-" + rnd.nextInt(5);
  }

  private Case ok(String kind, byte[] zip, Expect expect, String reason) {
    String m = model();
    return new Case(kind, m, zip, TestModels.headers(m, rnd.nextInt(1000), zip), expect, reason);
  }

  Case valid() {
    return ok("valid", rnd.nextInt(4) == 0 ? cnn : baseMlp(), Expect.ESTIMATE, null);
  }

  Case nonFinite() {
    float[] pick = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xffffffff)};
    byte[] zip = editCoefficients(baseMlp(), pick[rnd.nextInt(pick.length)], 1 + rnd.nextInt(4));
    return ok("non-finite", zip, Expect.DLQ, "non-finite-weights");
  }

  Case denormal() {
    return ok("denormal", editCoefficients(baseMlp(), Float.MIN_VALUE, 1 + rnd.nextInt(4)), Expect.ESTIMATE, null);
  }

  /** nIn·nOut that wraps in 64 bits (2^61·8) or is merely enormous: must never build. */
  Case wrappedSize() {
    long[] sizes = {1L << 61, 1L << 32, 1L << 62, Long.MAX_VALUE, 1L << 40};
    long n = sizes[rnd.nextInt(sizes.length)];
    byte[] zip = editConfig(baseMlp(), tree -> setField(tree, rnd.nextBoolean() ? "nin" : "nout", n, rnd.nextInt(3)));
    return ok("wrapped-size", zip, Expect.DLQ, null);
  }

  /** Zero or negative kernel, stride, dilation, padding on the CNN. */
  Case badWindow() {
    String[] fields = {"stride", "dilation", "kernelSize", "padding"};
    String f = fields[rnd.nextInt(fields.length)];
    int v = f.equals("padding") ? -1 - rnd.nextInt(3) : -rnd.nextInt(2);
    byte[] zip = editConfig(cnn, tree -> setArray(tree, f, v));
    return ok("bad-window", zip, Expect.DLQ, null);
  }

  /** A random numeric field of configuration.json set to a hostile value. */
  Case editedField() {
    long[] values = {0, -1, 1, 2, Integer.MAX_VALUE, 1L << 31, 1L << 33, Long.MIN_VALUE, 7};
    long v = values[rnd.nextInt(values.length)];
    byte[] zip = editConfig(rnd.nextInt(3) == 0 ? cnn : baseMlp(), tree -> {
      List<ObjectNode> parents = new ArrayList<>();
      List<String> names = new ArrayList<>();
      collectNumbers(tree, parents, names);
      if (!parents.isEmpty()) {
        int k = rnd.nextInt(parents.size());
        parents.get(k).put(names.get(k), v);
      }
    });
    return ok("edited-field", zip, Expect.EITHER, null);
  }

  Case truncated() {
    byte[] z = baseMlp();
    byte[] cut = java.util.Arrays.copyOf(z, 1 + rnd.nextInt(z.length - 1));
    return ok("truncated", cut, Expect.DLQ, null);
  }

  Case bitFlips() {
    byte[] z = baseMlp().clone();
    int flips = 1 + rnd.nextInt(8);
    for (int i = 0; i < flips; i++) {
      int at = rnd.nextInt(z.length);
      z[at] ^= (byte) (1 << rnd.nextInt(8));
    }
    return ok("bit-flips", z, Expect.EITHER, null);
  }

  /** One entry of zeros far beyond the limits (configuration, coefficients or an extra entry). */
  Case zipBomb() {
    String[] names = {"configuration.json", "coefficients.bin", "updaterState.bin", "aaa-first.bin"};
    String name = names[rnd.nextInt(names.length)];
    byte[] bomb = BOMBS.computeIfAbsent(name, n -> bomb(mlps.get(0), n, 700));
    // a bomb after the model's entries is never inflated at all: the snapshot is estimated
    return ok("zip-bomb", bomb, name.equals("updaterState.bin") ? Expect.ESTIMATE : Expect.DLQ, null);
  }

  /** Bombs take a second each to deflate: made once per entry name and JVM. */
  private static final Map<String, byte[]> BOMBS = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A zip whose entry {@code name} inflates to {@code mib} MiB of zeros; "aaa-first.bin" comes before the model's
   * entries, the other names replace or follow them.
   */
  private static byte[] bomb(byte[] base, String name, long mib) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bos)) {
      boolean first = name.startsWith("aaa");
      if (!first) {
        copyEntries(base, z, name);
      }
      z.putNextEntry(new ZipEntry(name));
      byte[] zeros = new byte[1 << 20];
      for (long i = 0; i < mib; i++) {
        z.write(zeros);
      }
      z.closeEntry();
      if (first) {
        copyEntries(base, z, null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  Case unknownClass() {
    String[] classes = {"java.lang.Runtime", "com.sun.rowset.JdbcRowSetImpl", "org.example.Evil", ""};
    String cls = classes[rnd.nextInt(classes.length)];
    byte[] zip = editConfig(baseMlp(), tree -> {
      JsonNode confs = tree.get("confs");
      ((ObjectNode) confs.get(0).get("layer")).put("@class", cls);
    });
    return ok("unknown-class", zip, Expect.DLQ, null);
  }

  Case deepJson() {
    int depth = 200 + rnd.nextInt(20000);
    String json = "{\"confs\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
    return ok("deep-json", replaceEntry(baseMlp(), "configuration.json", json.getBytes(StandardCharsets.UTF_8)), Expect.DLQ, null);
  }

  Case badHeaders() {
    byte[] zip = baseMlp();
    String m = model();
    Map<String, String> h = new LinkedHashMap<>(TestModels.headers(m, 3, zip));
    String key = m;
    switch (rnd.nextInt(9)) {
      case 0 -> h.remove(SnapshotHeaders.VERSION);
      case 1 -> h.put(SnapshotHeaders.VERSION, "１２");
      case 2 -> h.put(SnapshotHeaders.VERSION, rnd.nextBoolean() ? "-3" : "+12");
      case 3 -> h.put(SnapshotHeaders.CLAIM_CHECK, rnd.nextBoolean() ? "/etc/passwd" : "yes");
      case 4 -> { key = "x".repeat(5000 + rnd.nextInt(100)); h.put(SnapshotHeaders.MODEL, key); }
      case 5 -> { key = "bad name\n" + rnd.nextInt(); h.put(SnapshotHeaders.MODEL, key); }
      case 6 -> key = "other-" + rnd.nextInt(1_000_000);
      case 7 -> h.put(SnapshotHeaders.SHA256, "zz" + h.get(SnapshotHeaders.SHA256).substring(2));
      default -> h.put(SnapshotHeaders.INPUT_RANGE, "1,0");
    }
    return new Case("bad-headers", key, zip, h, Expect.DLQ, "bad-headers");
  }

  Case randomBytes() {
    byte[] b = TestModels.randomBytes(rnd.nextLong(), 1 + rnd.nextInt(4096));
    if (rnd.nextBoolean() && b.length > 2) {
      b[0] = 'P';
      b[1] = 'K';
    }
    return ok("random-bytes", b, Expect.DLQ, null);
  }

  Case wrongSha() {
    byte[] zip = baseMlp();
    String m = model();
    Map<String, String> h = TestModels.headers(m, 1, TestModels.randomBytes(rnd.nextLong(), 16));
    return new Case("wrong-sha", m, zip, h, Expect.DLQ, "sha256-mismatch");
  }

  Case manyEntries() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bos)) {
      for (int i = 0; i < 40; i++) { // before the model's entries, so even a reader that stops early counts them
        z.putNextEntry(new ZipEntry("extra-" + i));
        z.closeEntry();
      }
      copyEntries(baseMlp(), z, null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ok("many-entries", bos.toByteArray(), Expect.DLQ, "zip-limits");
  }

  /** coefficients.bin declaring a huge or negative length in its header. */
  Case hugeDeclaredCount() {
    byte[] coef = entry(baseMlp(), "coefficients.bin").clone();
    // the data buffer's length field sits 8 bytes before the data type name that precedes the values; find "FLOAT"
    int at = lastIndexOf(coef, "FLOAT".getBytes(StandardCharsets.US_ASCII));
    long[] lengths = {-1, Long.MAX_VALUE, 1L << 40, 0};
    ByteBuffer.wrap(coef, at - 2 - 8, 8).putLong(lengths[rnd.nextInt(lengths.length)]);
    return ok("huge-declared-count", replaceEntry(baseMlp(), "coefficients.bin", coef), Expect.DLQ, null);
  }

  // ---- zip and JSON editing

  /** Overwrites {@code count} float values at random positions of the weights (the last floats of coefficients.bin). */
  private byte[] editCoefficients(byte[] zip, float value, int count) {
    byte[] coef = entry(zip, "coefficients.bin").clone();
    int floats = Math.min(40, (coef.length - 64) / 4);
    for (int i = 0; i < count; i++) {
      int k = 1 + rnd.nextInt(floats);
      ByteBuffer.wrap(coef, coef.length - 4 * k, 4).putFloat(value);
    }
    return replaceEntry(zip, "coefficients.bin", coef);
  }

  private interface TreeEdit {
    void apply(ObjectNode tree);
  }

  private static byte[] editConfig(byte[] zip, TreeEdit edit) {
    try {
      ObjectNode tree = (ObjectNode) JSON.readTree(entry(zip, "configuration.json"));
      edit.apply(tree);
      return replaceEntry(zip, "configuration.json", JSON.writeValueAsBytes(tree));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sets the {@code nth} (cyclically) field named {@code name} (case-insensitive) anywhere in the tree. */
  private static void setField(JsonNode node, String name, long value, int nth) {
    List<ObjectNode> parents = new ArrayList<>();
    List<String> names = new ArrayList<>();
    collect(node, name, parents, names);
    if (!parents.isEmpty()) {
      int k = nth % parents.size();
      parents.get(k).put(names.get(k), value);
    }
  }

  private static void setArray(JsonNode node, String name, int value) {
    List<ObjectNode> parents = new ArrayList<>();
    List<String> names = new ArrayList<>();
    collect(node, name, parents, names);
    for (int k = 0; k < parents.size(); k++) {
      JsonNode v = parents.get(k).get(names.get(k));
      if (v.isArray() && v.size() > 0) {
        ((ArrayNode) v).set(0, value);
        return;
      }
    }
  }

  private static void collect(JsonNode node, String name, List<ObjectNode> parents, List<String> names) {
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> {
        if (f.getKey().equalsIgnoreCase(name)) {
          parents.add((ObjectNode) node);
          names.add(f.getKey());
        }
        collect(f.getValue(), name, parents, names);
      });
    } else if (node.isArray()) {
      node.forEach(c -> collect(c, name, parents, names));
    }
  }

  private static void collectNumbers(JsonNode node, List<ObjectNode> parents, List<String> names) {
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> {
        if (f.getValue().isNumber()) {
          parents.add((ObjectNode) node);
          names.add(f.getKey());
        }
        collectNumbers(f.getValue(), parents, names);
      });
    } else if (node.isArray()) {
      node.forEach(c -> collectNumbers(c, parents, names));
    }
  }

  public static byte[] entry(byte[] zip, String name) {
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.getName().equals(name)) {
          return in.readAllBytes();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalArgumentException("no entry " + name);
  }

  public static byte[] replaceEntry(byte[] zip, String name, byte[] data) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bos)) {
      copyEntries(zip, out, name);
      out.putNextEntry(new ZipEntry(name));
      out.write(data);
      out.closeEntry();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  /** Copies every entry of {@code zip} but {@code except} (null: all). */
  private static void copyEntries(byte[] zip, ZipOutputStream out, String except) throws IOException {
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.getName().equals(except)) {
          continue;
        }
        out.putNextEntry(new ZipEntry(e.getName()));
        out.write(in.readAllBytes());
        out.closeEntry();
      }
    }
  }

  private static int lastIndexOf(byte[] a, byte[] pattern) {
    for (int i = a.length - pattern.length; i >= 0; i--) {
      boolean match = true;
      for (int j = 0; j < pattern.length && match; j++) {
        match = a[i + j] == pattern[j];
      }
      if (match) {
        return i;
      }
    }
    throw new IllegalArgumentException("pattern not found");
  }
}
