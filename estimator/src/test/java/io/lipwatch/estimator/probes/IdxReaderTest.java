package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.testing.Required;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  @TempDir
  Path dir;

  static byte[] idx(int[] dims, int dataBytes) {
    ByteBuffer bb = ByteBuffer.allocate(4 + 4 * dims.length + dataBytes);
    bb.putInt(0x0800 | dims.length);
    for (int d : dims) {
      bb.putInt(d);
    }
    for (int i = 0; i < dataBytes; i++) {
      bb.put((byte) (i % 3));
    }
    return bb.array();
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(out)) {
      gz.write(b);
    }
    return out.toByteArray();
  }

  Path write(String name, byte[] b) throws IOException {
    return Files.write(dir.resolve(name), b);
  }

  IOException fails(byte[] content) throws IOException {
    Path p = write("bad" + Arrays.hashCode(content), content);
    return assertThrows(IOException.class, () -> IdxReader.read(p));
  }

  @Test
  void readsPlainAndGzipped() throws IOException {
    byte[] images = idx(new int[] {3, 2, 2}, 12);
    write("t10k-images-idx3-ubyte.gz", gzip(images));
    write("t10k-labels-idx1-ubyte", idx(new int[] {3}, 3));
    ProbeSet s = IdxReader.split(dir, "t10k", "tiny");
    assertEquals(3, s.count());
    assertEquals(List.of(2, 2), s.shape());
    assertEquals(1.0 / 255, s.input(0)[1], 1e-12);
  }

  @Test
  void rejectsTruncatedCorruptAndInconsistentFiles() throws IOException {
    byte[] ok = idx(new int[] {3, 2, 2}, 12);
    assertTrue(fails(Arrays.copyOf(ok, ok.length - 1)).getMessage().contains("truncated"));
    assertTrue(fails(Arrays.copyOf(ok, 6)).getMessage().contains("truncated"));
    assertTrue(fails(new byte[0]).getMessage().contains("empty or truncated"));
    assertTrue(fails(Arrays.copyOf(ok, ok.length + 1)).getMessage().contains("trailing"));
    byte[] magic = ok.clone();
    magic[0] = 0x12;
    assertTrue(fails(magic).getMessage().contains("bad magic"));
    byte[] type = ok.clone();
    type[2] = 0x0d;
    assertTrue(fails(type).getMessage().contains("not unsigned byte"));
    byte[] negative = idx(new int[] {-1, 2}, 0);
    assertTrue(fails(negative).getMessage().contains("dimension"));
    byte[] huge = idx(new int[] {1 << 20, 1 << 20}, 0);
    assertTrue(fails(huge).getMessage().contains("limit"));
    byte[] gz = gzip(ok);
    IOException cut = fails(Arrays.copyOf(gz, gz.length - 12));
    assertTrue(cut.getMessage().contains("truncated") || cut.getMessage().contains("corrupt"), cut.getMessage());
    byte[] garbled = gz.clone();
    for (int i = 12; i < garbled.length - 8; i++) {
      garbled[i] ^= 0x5a;
    }
    IOException bad = fails(garbled);
    assertTrue(bad.getMessage().contains("corrupt") || bad.getMessage().contains("IDX"), bad.getMessage());
  }

  @Test
  void rejectsMismatchedLabels() throws IOException {
    Path images = write("i", idx(new int[] {3, 2, 2}, 12));
    Path labels = write("l", idx(new int[] {4}, 4));
    assertTrue(assertThrows(IOException.class, () -> IdxReader.probeSet("x", images, labels, 10)).getMessage()
        .contains("labels"));
    Path big = write("l2", new byte[] {0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 12});
    assertTrue(assertThrows(IOException.class, () -> IdxReader.probeSet("x", images, big, 10)).getMessage()
        .contains("not below the class count"));
  }

  @Test
  void readsFashionMnistTestSplit() throws IOException {
    Path fm = Required.dataset(Path.of("/usr/share/datasets/fashion-mnist"), "dataset-fashion-mnist");
    ProbeSet s = IdxReader.split(fm, "t10k", "fashion-mnist");
    assertEquals(10000, s.count());
    assertEquals(List.of(28, 28), s.shape());
    assertEquals(1000, Arrays.stream(s.labels()).filter(l -> l == 3).count());
  }
}
