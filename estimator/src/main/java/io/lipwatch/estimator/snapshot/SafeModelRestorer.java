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
  private static final Set<String> ALLOWED_CLASS_PREFIXES = Set.of("org.deeplearning4j.", "org.nd4j.");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SnapshotLimits limits;

  public SafeModelRestorer(SnapshotLimits limits) {
    this.limits = limits;
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
    Entries e = readEntries(zip);
    String json = new String(e.configuration, StandardCharsets.UTF_8);
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (IOException ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, CONFIGURATION + " is not valid JSON: " + ex.getMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, CONFIGURATION + " is not a JSON object");
    }
    checkClassNames(tree, "$");
    if (tree.has("confs")) {
      return restoreMultiLayer(json, e.coefficients);
    }
    if (tree.has("vertices")) {
      return restoreGraph(json, e.coefficients);
    }
    throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
        CONFIGURATION + " is neither a MultiLayerNetwork (no 'confs') nor a ComputationGraph (no 'vertices') configuration");
  }

  private RestoredModel restoreMultiLayer(String json, byte[] coefficients) {
    MultiLayerConfiguration conf;
    try {
      conf = MultiLayerConfiguration.fromJson(json);
    } catch (RuntimeException ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
          "cannot read MultiLayerNetwork configuration: " + rootMessage(ex));
    }
    long total = 0;
    int i = 0;
    for (NeuralNetConfiguration nnc : conf.getConfs()) {
      if (nnc.getLayer() == null) {
        throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "layer " + i + " has no layer configuration");
      }
      long n = layerParams(() -> nnc.getLayer().initializer().numParams(nnc), "layer " + i + " (" + nnc.getLayer().getLayerName() + ")");
      total = addChecked(total, n);
      i++;
    }
    INDArray params = readParameters(coefficients, total);
    try {
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init(params == null ? null : params.castTo(conf.getDataType()).reshape(1, total), false);
      return RestoredModel.of(net);
    } catch (RuntimeException ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "cannot build the network: " + rootMessage(ex));
    }
  }

  private RestoredModel restoreGraph(String json, byte[] coefficients) {
    ComputationGraphConfiguration conf;
    try {
      conf = ComputationGraphConfiguration.fromJson(json);
    } catch (RuntimeException ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION,
          "cannot read ComputationGraph configuration: " + rootMessage(ex));
    }
    long total = 0;
    for (Map.Entry<String, GraphVertex> v : conf.getVertices().entrySet()) {
      long n = layerParams(() -> v.getValue().numParams(true), "vertex '" + v.getKey() + "'");
      total = addChecked(total, n);
    }
    INDArray params = readParameters(coefficients, total);
    try {
      ComputationGraph graph = new ComputationGraph(conf);
      graph.init(params == null ? null : params.castTo(conf.getDataType()).reshape(1, total), false);
      return RestoredModel.of(graph);
    } catch (RuntimeException ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "cannot build the graph: " + rootMessage(ex));
    }
  }

  private long layerParams(java.util.function.LongSupplier count, String what) {
    long n;
    try {
      n = count.getAsLong();
    } catch (RuntimeException ex) {
      throw new SnapshotRejectedException(RejectReason.BAD_CONFIGURATION, "cannot size " + what + ": " + rootMessage(ex));
    }
    if (n < 0 || n > limits.maxLayerParameters()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
          what + " has " + n + " parameters, limit " + limits.maxLayerParameters() + " per layer");
    }
    return n;
  }

  private long addChecked(long total, long n) {
    long t = total + n;
    if (t > limits.maxParameters()) {
      throw new SnapshotRejectedException(RejectReason.TOO_LARGE,
          "network has more than " + limits.maxParameters() + " parameters (limit)");
    }
    return t;
  }

  /**
   * Checks the two buffer headers of an ND4J-serialized array (shape buffer, then data buffer: UTF allocation mode,
   * long length, UTF data type) against the expected parameter count before letting ND4J allocate.
   */
  INDArray readParameters(byte[] coefficients, long expected) {
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

  private static void checkClassNames(JsonNode node, String path) {
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
        checkClassNames(f.getValue(), path + "." + f.getKey());
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        checkClassNames(node.get(i), path + "[" + i + "]");
      }
    }
  }

  private record Entries(byte[] configuration, byte[] coefficients) {}

  private Entries readEntries(byte[] zip) {
    if (zip.length < 4 || zip[0] != 'P' || zip[1] != 'K') {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP,
          "not a zip archive (a DL4J ModelSerializer zip starts with 'PK')");
    }
    if (!hasEndOfCentralDirectory(zip)) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP,
          "truncated zip: no end-of-central-directory record (the upload was cut short)");
    }
    byte[] conf = null;
    byte[] coef = null;
    int entries = 0;
    long total = 0;
    try (ZipInputStream zin = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = zin.getNextEntry()) != null) {
        if (++entries > limits.maxZipEntries()) {
          throw new SnapshotRejectedException(RejectReason.ZIP_LIMITS, "zip has more than " + limits.maxZipEntries() + " entries");
        }
        String name = entry.getName();
        long cap = CONFIGURATION.equals(name) ? limits.maxConfigBytes() : limits.maxEntryBytes();
        byte[] data = readCapped(zin, Math.min(cap, limits.maxTotalBytes() - total), name);
        total += data.length;
        if (CONFIGURATION.equals(name)) {
          conf = data;
        } else if (COEFFICIENTS.equals(name)) {
          coef = data;
        }
        // every other entry (updater state, normalizer, ...) is read for its size only and dropped
      }
    } catch (ZipException ex) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "corrupt zip: " + ex.getMessage());
    } catch (EOFException ex) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "truncated zip: it ends inside an entry");
    } catch (IOException ex) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP, "unreadable zip: " + ex.getMessage());
    }
    if (conf == null) {
      throw new SnapshotRejectedException(RejectReason.NOT_A_MODEL_ZIP,
          entries == 0 ? "zip holds no entries (corrupt or truncated)" : "zip has no " + CONFIGURATION + ": not a DL4J ModelSerializer zip");
    }
    return new Entries(conf, coef);
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

  private static byte[] readCapped(InputStream in, long cap, String name) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    long n = 0;
    int r;
    while ((r = in.read(buf)) > 0) {
      n += r;
      if (n > cap) {
        throw new SnapshotRejectedException(RejectReason.ZIP_LIMITS,
            "zip entry '" + name + "' expands beyond " + cap + " bytes (limit)");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
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
