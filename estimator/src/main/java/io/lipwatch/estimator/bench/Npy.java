package io.lipwatch.estimator.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Writes NumPy .npy files (format 1.0, little-endian, c-order): how weights and inputs reach the reference. */
public final class Npy {
  private Npy() {}

  public static void writeFloat(Path file, float[] data, long... shape) throws IOException {
    check(data.length, shape);
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    write(file, "<f4", b.array(), shape);
  }

  public static void writeDouble(Path file, double[] data, long... shape) throws IOException {
    check(data.length, shape);
    ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(data);
    write(file, "<f8", b.array(), shape);
  }

  public static void writeInt(Path file, int[] data, long... shape) throws IOException {
    check(data.length, shape);
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(data);
    write(file, "<i4", b.array(), shape);
  }

  private static void check(int length, long[] shape) {
    long n = Arrays.stream(shape).reduce(1, (a, c) -> a * c);
    if (n != length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, got " + length);
    }
  }

  private static void write(Path file, String dtype, byte[] payload, long[] shape) throws IOException {
    String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
    if (shape.length == 1) {
      dims += ",";
    }
    StringBuilder h = new StringBuilder("{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }");
    // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n
    while ((10 + h.length() + 1) % 64 != 0) {
      h.append(' ');
    }
    h.append('\n');
    byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
      out.write(header.length & 0xff);
      out.write(header.length >> 8);
      out.write(header);
      out.write(payload);
    }
  }
}
