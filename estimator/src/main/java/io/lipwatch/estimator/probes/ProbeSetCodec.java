package io.lipwatch.estimator.probes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binary form of a probe set (value of {@code lipwatch.probesets}): magic {@code LWPS}, format version 1, a JSON
 * header {@code {"name","count","shape","dtype":"uint8"|"float32","valueRange":[lo,hi],"classes"}}, the labels as
 * int32, then the data. All integers big-endian. Sizes are checked before anything is allocated.
 */
public final class ProbeSetCodec {
  private static final byte[] MAGIC = {'L', 'W', 'P', 'S'};
  private static final int FORMAT = 1;
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final long MAX_VALUES = 64L * 1024 * 1024;

  private ProbeSetCodec() {}

  public static byte[] encode(ProbeSet p) {
    try {
      ByteArrayOutputStream bos = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bos);
      out.write(MAGIC);
      out.writeInt(FORMAT);
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("name", p.name());
      h.put("count", p.count());
      h.put("shape", p.shape());
      h.put("dtype", p.uint8() != null ? "uint8" : "float32");
      h.put("valueRange", List.of(p.lo(), p.hi()));
      h.put("classes", p.classes());
      byte[] header = JSON.writeValueAsBytes(h);
      out.writeInt(header.length);
      out.write(header);
      for (int l : p.labels()) {
        out.writeInt(l);
      }
      if (p.uint8() != null) {
        out.write(p.uint8());
      } else {
        for (float f : p.float32()) {
          out.writeFloat(f);
        }
      }
      out.flush();
      return bos.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static ProbeSet decode(byte[] bytes) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      byte[] magic = in.readNBytes(4);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IllegalArgumentException("not a lipwatch probe set (bad magic)");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unsupported probe set format " + format);
      }
      int hl = in.readInt();
      if (hl <= 0 || hl > 64 * 1024) {
        throw new IllegalArgumentException("probe set header length " + hl + " out of range");
      }
      JsonNode h = JSON.readTree(new String(in.readNBytes(hl), StandardCharsets.UTF_8));
      int count = h.path("count").asInt(-1);
      List<Integer> shape = new ArrayList<>();
      h.path("shape").forEach(n -> shape.add(n.asInt()));
      long dim = 1;
      for (int s : shape) {
        if (s <= 0) {
          throw new IllegalArgumentException("probe set shape has a non-positive size");
        }
        dim *= s;
      }
      String dtype = h.path("dtype").asText();
      if (count <= 0 || shape.isEmpty() || dim * count > MAX_VALUES) {
        throw new IllegalArgumentException("probe set count/shape out of range (count " + count + ", shape " + shape + ")");
      }
      int width = switch (dtype) {
        case "uint8" -> 1;
        case "float32" -> 4;
        default -> throw new IllegalArgumentException("probe set dtype must be uint8 or float32, got '" + dtype + "'");
      };
      long need = 4L * count + width * dim * count;
      if (in.available() != need) {
        throw new IllegalArgumentException("probe set body is " + in.available() + " bytes, header implies " + need);
      }
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = in.readInt();
      }
      byte[] u8 = null;
      float[] f32 = null;
      if (width == 1) {
        u8 = in.readNBytes((int) (dim * count));
      } else {
        f32 = new float[(int) (dim * count)];
        for (int i = 0; i < f32.length; i++) {
          f32[i] = in.readFloat();
        }
      }
      JsonNode range = h.path("valueRange");
      return new ProbeSet(h.path("name").asText(), shape, h.path("classes").asInt(), range.path(0).asDouble(0),
          range.path(1).asDouble(1), labels, u8, f32);
    } catch (IOException e) {
      throw new IllegalArgumentException("probe set is truncated or unreadable: " + e.getMessage(), e);
    }
  }
}
