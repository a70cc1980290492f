package io.lipwatch.estimator.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Restores a DL4J ModelSerializer zip from untrusted bytes.
 *
 * <p>Nothing is allocated on the word of the payload: the zip is read with entry-count and size caps,
 * {@code configuration.json} may only name DL4J/ND4J classes, the parameter count the configuration implies is
 * checked against the limits and against the header of {@code coefficients.bin} before ND4J reads it, and no other
 * entry (updater state, normalizers, Java-serialized preprocessors) is ever deserialized.
 */
public final class SafeModelRestorer {
  static final String CONFIGURATION = "configuration.json";
  static final String COEFFICIENTS = "coefficients.bin";
  /** Room for the two ND4J buffer headers (shape buffer of at most 64 longs, UTF type names) before the data. */
  static final long COEFFICIENTS_HEADER_BYTES = 1024;
  /** Deepest JSON nesting accepted in configuration.json (DL4J's own configurations are under 12 levels deep). */
  static final int MAX_JSON_DEPTH = 64;
  private static final Set<String> ALLOWED_CLASS_PREFIXES = Set.of("org.deeplearning4j.", "org.nd4j.");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SnapshotLimits limits;
  private final LayerShapeCheck shapes;

  public SafeModelRestorer(SnapshotLimits limits) {
    this.limits = limits;
    this.shapes = new LayerShapeCheck(limits.maxLayerParameters());
  }

  /** Verifies the digest, then restores. */
  public RestoredModel restore(byte[] zip, String expectedSha256) {
    if (zip == null || zip.length == 0) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "empty snapshot value");
    }
    if (zip.length > limits.maxRecordBytes()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
          "snapshot is " + zip.length + " bytes, limit " + limits.maxRecordBytes());
    }
    String actual = Sha256.hex(zip);
    if (expectedSha256 != null && !actual.equals(expectedSha256)) {
      throw new SnapshotRejectedException(RejectReason.SHA256_MISMATCH,
          "sha256 of the zip is " + actual + " but header lipwatch.sha256 says " + expectedSha256);
    }
    return restore(zip);
  }

  /** Restores without a digest check (offline use on a local file). */
  public RestoredModel restore(byte[] zip) {
    checkZipFraming(zip);
    String json = new String(readEntry(zip, CONFIGURATION, limits.maxConfigBytes()), StandardCharsets.UTF_8);
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (IOException | StackOverflowError ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, CONFIGURATION + " is not valid JSON: "
          + (ex instanceof StackOverflowError ? "nested too deeply" : ex.getMessage()));
    }
    if (tree == null || !tree.isObject()) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, CONFIGURATION + " is not a JSON object");
    }
    checkClassNames(tree, "$", 0);
    if (tree.has("confs")) {
      return restoreMultiLayer(json, zip);
    }
    if (tree.has("vertices")) {
      return restoreGraph(json, zip);
    }
    throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
        CONFIGURATION + " is neither a MultiLayerNetwork (no 'confs') nor a ComputationGraph (no 'vertices') configuration");
  }

  private RestoredModel restoreMultiLayer(String json, byte[] zip) {
    MultiLayerConfiguration conf = rejecting(() -> MultiLayerConfiguration.fromJson(json),
        "cannot read MultiLayerNetwork configuration");
    long total = 0;
    int i = 0;
    for (NeuralNetConfiguration nnc : conf.getConfs()) {
      if (nnc.getLayer() == null) {
        throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "layer " + i + " has no layer configuration");
      }
      String where = "layer " + i + " (" + nnc.getLayer().getLayerName() + ")";
      shapes.check(nnc.getLayer(), where);
      long n = layerParams(() -> nnc.getLayer().initializer().numParams(nnc), where);
      total = addChecked(total, n);
      i++;
    }
    INDArray params = readParameters(zip, total);
    long count = total;
    return rejecting(() -> {
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init(params == null ? null : params.castTo(conf.getDataType()).reshape(1, count), false);
      return RestoredModel.of(net);
    }, "cannot build the network");
  }

  private RestoredModel restoreGraph(String json, byte[] zip) {
    ComputationGraphConfiguration conf = rejecting(() -> ComputationGraphConfiguration.fromJson(json),
        "cannot read ComputationGraph configuration");
    long total = 0;
    for (Map.Entry<String, GraphVertex> v : conf.getVertices().entrySet()) {
      String where = "vertex " + SnapshotMetadata.quote(v.getKey());
      if (v.getValue() instanceof LayerVertex lv && lv.getLayerConf() != null && lv.getLayerConf().getLayer() != null) {
        shapes.check(lv.getLayerConf().getLayer(), where);
      }
      long n = layerParams(() -> v.getValue().numParams(true), where);
      total = addChecked(total, n);
    }
    INDArray params = readParameters(zip, total);
    long count = total;
    return rejecting(() -> {
      ComputationGraph graph = new ComputationGraph(conf);
      graph.init(params == null ? null : params.castTo(conf.getDataType()).reshape(1, count), false);
      return RestoredModel.of(graph);
    }, "cannot build the graph");
  }

  private long layerParams(java.util.function.LongSupplier count, String what) {
    long n = rejecting(count::getAsLong, "cannot size " + what);
    if (n < 0 || n > limits.maxLayerParameters()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
          what + " has " + n + " parameters, limit " + limits.maxLayerParameters() + " per layer");
    }
    return n;
  }

  private long addChecked(long total, long n) {
    long t = Math.addExact(total, n); // both are within the limits, so this cannot overflow; exact all the same
    if (t > limits.maxParameters()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
          "network has more than " + limits.maxParameters() + " parameters (limit)");
    }
    long need = Math.multiplyExact(t, SnapshotLimits.BYTES_PER_PARAMETER);
    if (need > limits.memoryBudgetBytes()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "network has " + t + " parameters; estimating it needs about "
          + need / SnapshotLimits.MIB + " MiB, over the per-snapshot memory budget of " + limits.memoryBudgetBytes() / SnapshotLimits.MIB + " MiB");
    }
    return t;
  }

  /**
   * Checks the two buffer headers of an ND4J-serialized array (shape buffer, then data buffer: UTF allocation mode,
   * long length, UTF data type) against the expected parameter count before letting ND4J allocate.
   */
  INDArray readParameters(byte[] zip, long expected) {
    // the header is < 1 KiB; the data at most 8 bytes per declared parameter: never buffer more than that
    byte[] coefficients = readOptionalEntry(zip, COEFFICIENTS,
        Math.addExact(COEFFICIENTS_HEADER_BYTES, Math.multiplyExact(expected, 8)), true);
    if (expected == 0 && coefficients == null) {
      return null;
    }
    if (coefficients == null) {
      throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
          "the configuration has " + expected + " parameters but the zip has no " + COEFFICIENTS);
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(coefficients));
      in.readUTF();
      long shapeLength = in.readLong();
      String shapeType = in.readUTF();
      if (shapeLength < 1 || shapeLength > 64 || !"LONG".equals(shapeType)) {
        throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
            COEFFICIENTS + " has a malformed shape header (" + shapeLength + " " + shapeType + ")");
      }
      in.skipNBytes(shapeLength * 8);
      in.readUTF();
      long length = in.readLong();
      String type = in.readUTF();
      int width = switch (type) {
        case "FLOAT" -> 4;
        case "DOUBLE" -> 8;
        case "HALF", "BFLOAT16" -> 2;
        default -> throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
            COEFFICIENTS + " has unsupported data type " + SnapshotMetadata.quote(type));
      };
      if (length != expected) {
        throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
            COEFFICIENTS + " holds " + length + " parameters but the configuration implies " + expected);
      }
      if (in.available() < length * width) {
        throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
            COEFFICIENTS + " is truncated: " + in.available() + " bytes for " + length + " " + type + " values");
      }
      INDArray arr = Nd4j.read(new DataInputStream(new ByteArrayInputStream(coefficients)));
      if (arr.length() != expected) {
        throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
            COEFFICIENTS + " decodes to " + arr.length() + " values, expected " + expected);
      }
      if (arr.dataType() != DataType.FLOAT && arr.dataType() != DataType.DOUBLE) {
        arr = arr.castTo(DataType.FLOAT);
      }
      FiniteCheck.requireFinite(arr);
      return arr;
    } catch (EOFException ex) {
      throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH, COEFFICIENTS + " ends early");
    } catch (IOException | RuntimeException ex) {
      if (ex instanceof SnapshotRejectedException sre) {
        throw sre;
      }
      throw new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH, "cannot read " + COEFFICIENTS + ": " + rootMessage(ex));
    }
  }

  private static void checkClassNames(JsonNode node, String path, int depth) {
    if (depth > MAX_JSON_DEPTH) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
          CONFIGURATION + " is nested deeper than " + MAX_JSON_DEPTH + " levels at " + path);
    }
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getKey().equals("@class")) {
          String cls = f.getValue().asText();
          if (ALLOWED_CLASS_PREFIXES.stream().noneMatch(cls::startsWith)) {
            throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
                CONFIGURATION + " names class " + SnapshotMetadata.quote(cls) + " at " + path
                    + ": only org.deeplearning4j.* and org.nd4j.* classes are accepted");
          }
        }
        checkClassNames(f.getValue(), path + "." + f.getKey(), depth + 1);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        checkClassNames(node.get(i), path + "[" + i + "]", depth + 1);
      }
    }
  }

  private void checkZipFraming(byte[] zip) {
    if (zip.length < 4 || zip[0] != 'P' || zip[1] != 'K') {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP,
          "not a zip archive (a DL4J ModelSerializer zip starts with 'PK')");
    }
    if (!hasEndOfCentralDirectory(zip)) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP,
          "truncated zip: no end-of-central-directory record (the upload was cut short)");
    }
  }

  private byte[] readEntry(byte[] zip, String wanted, long cap) {
    byte[] data = readOptionalEntry(zip, wanted, cap, false);
    if (data == null) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "zip has no " + wanted + ": not a DL4J ModelSerializer zip");
    }
    return data;
  }

  /**
   * One pass over the zip that buffers only the entry {@code wanted}, at most {@code cap} bytes of it; every other entry
   * (updater state, normalizer, ...) is decompressed only to count it against the entry and total limits, and dropped.
   * {@code declared}: the cap comes from the sizes the configuration declares, so passing it is a parameter mismatch.
   * A zip bomb therefore costs decompression time up to the total limit, never memory.
   */
  private byte[] readOptionalEntry(byte[] zip, String wanted, long cap, boolean declared) {
    int entries = 0;
    long total = 0;
    try (ZipInputStream zin = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = zin.getNextEntry()) != null) {
        if (++entries > limits.maxZipEntries()) {
          throw new SnapshotRejectedException(RejectReason.ZIP_LIMITS, "zip has more than " + limits.maxZipEntries() + " entries");
        }
        String name = entry.getName();
        long room = Math.min(limits.maxEntryBytes(), limits.maxTotalBytes() - total);
        if (wanted.equals(name)) {
          // stop here: later entries (updater state, ...) are never needed, so a bomb among them costs nothing
          return readCapped(zin, Math.min(room, cap), name, declared && cap < room);
        } else {
          total += drainCapped(zin, room, name);
        }
      }
    } catch (ZipException ex) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "corrupt zip: " + ex.getMessage());
    } catch (EOFException ex) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "truncated zip: it ends inside an entry");
    } catch (IOException | IllegalArgumentException ex) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "unreadable zip: " + ex.getMessage());
    }
    if (entries == 0) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "zip holds no entries (corrupt or truncated)");
    }
    return null;
  }

  /** A complete zip ends with the EOCD record (PK\5\6) within the last 22 + 65535 bytes. */
  static boolean hasEndOfCentralDirectory(byte[] zip) {
    int stop = Math.max(0, zip.length - 22 - 65535);
    for (int i = zip.length - 22; i >= stop; i--) {
      if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 5 && zip[i + 3] == 6) {
        int commentLength = (zip[i + 20] & 0xff) | (zip[i + 21] & 0xff) << 8;
        if (i + 22 + commentLength == zip.length) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Reads an entry into memory, stopping as soon as it passes {@code cap}. {@code declared} says the cap comes from the
   * sizes the configuration declares (a mismatch), not from the zip limits.
   */
  private static byte[] readCapped(InputStream in, long cap, String name, boolean declared) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    long n = 0;
    int r;
    while ((r = in.read(buf, 0, (int) Math.min(buf.length, cap - n + 1))) > 0) {
      n += r;
      if (n > cap) {
        throw declared
            ? new SnapshotRejectedException(RejectReason.PARAMETER_MISMATCH,
                "zip entry " + SnapshotMetadata.quote(name) + " is larger than the " + cap + " bytes its configuration implies")
            : new SnapshotRejectedException(RejectReason.ZIP_LIMITS,
                "zip entry " + SnapshotMetadata.quote(name) + " expands beyond " + cap + " bytes (limit)");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  /** Decompresses and drops an entry, counting its size; stops as soon as it passes {@code cap}. */
  private static long drainCapped(InputStream in, long cap, String name) throws IOException {
    byte[] buf = new byte[1 << 16];
    long n = 0;
    int r;
    while ((r = in.read(buf)) > 0) {
      n += r;
      if (n > cap) {
        throw new SnapshotRejectedException(RejectReason.ZIP_LIMITS,
            "zip entry " + SnapshotMetadata.quote(name) + " expands beyond " + cap + " bytes (limit)");
      }
    }
    return n;
  }

  /**
   * DL4J's work on an untrusted configuration; what it throws becomes a {@code bad-configuration} rejection named by
   * {@code what}: its RuntimeExceptions, ND4J's native failures (Errors such as {@code BlasException}) and a stack
   * overflow from deep nesting. The JVM's other failures (out of memory) propagate: the estimator reports those as
   * {@code too-large}.
   */
  static <T> T rejecting(java.util.function.Supplier<T> work, String what) {
    try {
      return work.get();
    } catch (RuntimeException | StackOverflowError ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, what + ": " + rootMessage(ex));
    } catch (VirtualMachineError ex) {
      throw ex;
    } catch (Error ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, what + ": " + rootMessage(ex));
    }
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    if (m == null) {
      m = c.getClass().getSimpleName();
    }
    return m.length() > 300 ? m.substring(0, 300) + "…" : m;
  }
}
