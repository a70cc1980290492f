package io.lipwatch.estimator.testing;

import io.lipwatch.estimator.format.onnx.OnnxFixtures;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.testing.HostileSnapshots.Case;
import io.lipwatch.estimator.testing.HostileSnapshots.Expect;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.StringStringEntryProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TypeProto;
import org.nd4j.shade.protobuf.ByteString;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

/**
 * Seeded hostile ONNX snapshots, made from the PyTorch fixtures by editing their protobuf: truncations, huge or
 * inconsistent tensor dims, external data, unknown ops and attributes, cycles, NaN weights, deep nesting, huge inputs,
 * bad format headers. Each case says the outcome the estimator must give (and the DLQ reason where it is certain).
 */
public final class HostileOnnx {
  private final Random rnd;
  private final List<byte[]> bases;

  public HostileOnnx(long seed) {
    this.rnd = new Random(seed);
    this.bases = java.util.Arrays.stream(OnnxFixtures.ALL).map(n -> OnnxFixtures.load(n).model()).toList();
  }

  /** The next case; kinds cycle through every generator. */
  public Case next(int i) {
    return switch (i % 14) {
      case 0 -> valid();
      case 1 -> truncated();
      case 2 -> hugeDims();
      case 3 -> rawLengthMismatch();
      case 4 -> externalData();
      case 5 -> unknownOp();
      case 6 -> unknownAttribute();
      case 7 -> cycle();
      case 8 -> nanWeights();
      case 9 -> deepNesting();
      case 10 -> hugeInput();
      case 11 -> bitFlips();
      case 12 -> badFormatHeader();
      default -> noFormatHeader();
    };
  }

  private byte[] base() {
    return bases.get(rnd.nextInt(bases.size()));
  }

  private static ModelProto parse(byte[] b) {
    try {
      return ModelProto.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private Case onnx(String kind, byte[] value, Expect expect, String reason) {
    String m = "fuzz-" + rnd.nextInt(5);
    Map<String, String> h = new HashMap<>(TestModels.headers(m, rnd.nextInt(1000), value));
    h.put(SnapshotHeaders.FORMAT, "onnx");
    return new Case("onnx-" + kind, m, value, h, expect, reason);
  }

  /** Edits one initializer (a random floating one) of a random fixture. */
  private byte[] editInitializer(java.util.function.UnaryOperator<TensorProto.Builder> edit) {
    ModelProto.Builder mb = parse(base()).toBuilder();
    GraphProto.Builder g = mb.getGraphBuilder();
    List<Integer> floats = new java.util.ArrayList<>();
    for (int k = 0; k < g.getInitializerCount(); k++) {
      if (g.getInitializer(k).getDataType() == 1 && g.getInitializer(k).getDimsCount() > 0) {
        floats.add(k);
      }
    }
    int k = floats.get(rnd.nextInt(floats.size()));
    g.setInitializer(k, edit.apply(g.getInitializer(k).toBuilder()));
    return mb.build().toByteArray();
  }

  Case valid() {
    return onnx("valid", base(), Expect.ESTIMATE, null);
  }

  Case truncated() {
    byte[] b = base();
    return onnx("truncated", java.util.Arrays.copyOf(b, 1 + rnd.nextInt(b.length - 1)), Expect.DLQ, null);
  }

  /** dims whose product is astronomically large (or wraps 64 bits), with the original small raw data. */
  Case hugeDims() {
    long[][] dims = {{1L << 40, 1L << 40}, {1L << 62, 4}, {Long.MAX_VALUE, 2}, {1L << 31, 1L << 31}, {3_000_000_000L}};
    long[] d = dims[rnd.nextInt(dims.length)];
    byte[] v = editInitializer(t -> {
      t.clearDims();
      for (long x : d) {
        t.addDims(x);
      }
      return t;
    });
    return onnx("huge-dims", v, Expect.DLQ, "too-large");
  }

  Case rawLengthMismatch() {
    byte[] v = editInitializer(t -> {
      ByteString raw = t.getRawData();
      return t.setRawData(rnd.nextBoolean() ? raw.substring(0, raw.size() - 4) : raw.concat(ByteString.copyFrom(new byte[4])));
    });
    return onnx("raw-length", v, Expect.DLQ, "parameter-mismatch");
  }

  Case externalData() {
    String[] paths = {"/etc/passwd", "../../weights.bin", "weights.bin", "/proc/self/environ"};
    byte[] v = editInitializer(t -> t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(paths[rnd.nextInt(paths.length)]))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("1000000000")));
    return onnx("external-data", v, Expect.DLQ, "bad-configuration");
  }

  private byte[] editNode(java.util.function.BiFunction<GraphProto.Builder, Integer, NodeProto.Builder> edit) {
    ModelProto.Builder mb = parse(base()).toBuilder();
    GraphProto.Builder g = mb.getGraphBuilder();
    int k = rnd.nextInt(g.getNodeCount());
    g.setNode(k, edit.apply(g, k));
    return mb.build().toByteArray();
  }

  Case unknownOp() {
    String[] ops = {"LSTM", "Einsum", "If", "Loop", "NonMaxSuppression", "Custom"};
    String op = ops[rnd.nextInt(ops.length)];
    return onnx("unknown-op", editNode((g, k) -> g.getNode(k).toBuilder().setOpType(op)), Expect.DLQ, "unsupported-op");
  }

  Case unknownAttribute() {
    return onnx("unknown-attribute", editNode((g, k) -> g.getNode(k).toBuilder().addAttribute(AttributeProto.newBuilder()
        .setName("x_hostile_" + rnd.nextInt(100)).setType(AttributeProto.AttributeType.INT).setI(1))), Expect.DLQ, "unsupported-op");
  }

  /** A node reads the output of the last node: a cycle (or a use before definition). */
  Case cycle() {
    return onnx("cycle", editNode((g, k) -> {
      NodeProto last = g.getNode(g.getNodeCount() - 1);
      NodeProto.Builder n = g.getNode(k).toBuilder();
      if (n.getInputCount() == 0) {
        n.addInput(last.getOutput(0));
      } else {
        n.setInput(0, last.getOutput(0));
      }
      return n;
    }), Expect.DLQ, null);
  }

  Case nanWeights() {
    float[] pick = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    byte[] v = editInitializer(t -> {
      byte[] raw = t.getRawData().toByteArray();
      int at = rnd.nextInt(raw.length / 4) * 4;
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(at, pick[rnd.nextInt(pick.length)]);
      return t.setRawData(ByteString.copyFrom(raw));
    });
    return onnx("nan-weights", v, Expect.DLQ, "non-finite-weights");
  }

  /** A graph input whose type nests sequences thousands deep: the recursion limit stops the parser. */
  Case deepNesting() {
    TypeProto t = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1)).build();
    int depth = 100 + rnd.nextInt(400);
    for (int i = 0; i < depth; i++) {
      t = TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder().setElemType(t)).build();
    }
    ModelProto.Builder mb = parse(base()).toBuilder();
    mb.getGraphBuilder().addInput(onnx.OnnxMl.ValueInfoProto.newBuilder().setName("deep").setType(t));
    return onnx("deep-nesting", mb.build().toByteArray(), Expect.DLQ, "bad-configuration");
  }

  /** The network input declared as [N, 3, 10^5, 10^5] (or larger): refused before any activation is sized. */
  Case hugeInput() {
    ModelProto.Builder mb = parse(bases.get(3)).toBuilder(); // the CNN with batch norm
    var in = mb.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
    long side = rnd.nextBoolean() ? 100_000 : Integer.MAX_VALUE;
    in.getDimBuilder(2).setDimValue(side);
    in.getDimBuilder(3).setDimValue(side);
    return onnx("huge-input", mb.build().toByteArray(), Expect.DLQ, null);
  }

  Case bitFlips() {
    byte[] b = base().clone();
    for (int i = 0, n = 1 + rnd.nextInt(8); i < n; i++) {
      int at = rnd.nextInt(b.length);
      b[at] ^= (byte) (1 << rnd.nextInt(8));
    }
    return onnx("bit-flips", b, Expect.EITHER, null);
  }

  Case badFormatHeader() {
    Case c = onnx("bad-format", base(), Expect.DLQ, "bad-headers");
    Map<String, String> h = new HashMap<>(c.headers());
    String[] v = {"tensorflow", "ONNX!", "", "../onnx", "onnx;dl4j"};
    h.put(SnapshotHeaders.FORMAT, v[rnd.nextInt(v.length)]);
    return new Case(c.kind(), c.key(), c.value(), h, c.expect(), c.reason());
  }

  /** An ONNX file without the format header is read as a DL4J zip and refused as such. */
  Case noFormatHeader() {
    Case c = onnx("no-format-header", base(), Expect.DLQ, "not-a-model-zip");
    Map<String, String> h = new HashMap<>(c.headers());
    h.remove(SnapshotHeaders.FORMAT);
    return new Case(c.kind(), c.key(), c.value(), h, c.expect(), c.reason());
  }
}
