package io.lipwatch.cli;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A tiny seeded dataset in the IDX layout {@code lipwatch train --data DIR} reads (train and t10k splits), so a test
 * can run the real trainer verb without the Fashion-MNIST package. Each class brightens its own band of rows, so a
 * network has something to learn.
 */
final class SyntheticIdxDataset {
  static final int SIDE = 8;
  static final int CLASSES = 4;

  private SyntheticIdxDataset() {}

  /** Writes {@code train} and {@code test} samples into {@code dir} and returns it. */
  static Path write(Path dir, int train, int test, long seed) throws IOException {
    Files.createDirectories(dir);
    Random rnd = new Random(seed);
    split(dir, "train", train, rnd);
    split(dir, "t10k", test, rnd);
    return dir;
  }

  private static void split(Path dir, String prefix, int n, Random rnd) throws IOException {
    byte[] labels = new byte[n];
    byte[] pixels = new byte[n * SIDE * SIDE];
    int rowsPerClass = SIDE / CLASSES;
    for (int i = 0; i < n; i++) {
      int label = rnd.nextInt(CLASSES);
      labels[i] = (byte) label;
      for (int r = 0; r < SIDE; r++) {
        boolean lit = r / rowsPerClass == label;
        for (int c = 0; c < SIDE; c++) {
          pixels[i * SIDE * SIDE + r * SIDE + c] = (byte) ((lit ? 160 : 0) + rnd.nextInt(64));
        }
      }
    }
    write(dir.resolve(prefix + "-images-idx3-ubyte"), 0x00000803, new int[] {n, SIDE, SIDE}, pixels);
    write(dir.resolve(prefix + "-labels-idx1-ubyte"), 0x00000801, new int[] {n}, labels);
  }

  private static void write(Path file, int magic, int[] dims, byte[] data) throws IOException {
    try (OutputStream os = Files.newOutputStream(file); DataOutputStream out = new DataOutputStream(os)) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(data);
    }
  }
}
