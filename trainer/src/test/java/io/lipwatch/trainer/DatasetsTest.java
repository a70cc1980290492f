package io.lipwatch.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
  @Test
  void missingDatasetSaysHowToInstallIt(@TempDir Path tmp) {
    var e = assertThrows(NoSuchFileException.class, () -> Datasets.load(tmp.resolve("nope"), "x"));
    assertTrue(e.getMessage().contains("apt-get install -y dataset-fashion-mnist"), e.getMessage());
  }

  @Test
  void corruptIdxFileIsRejectedNamingIt(@TempDir Path tmp) throws IOException {
    writeIdx(tmp.resolve("train-images-idx3-ubyte"), 0x00000803, new int[] {5, 2, 2}, 20);
    writeIdx(tmp.resolve("train-labels-idx1-ubyte"), 0x00000801, new int[] {5}, 5);
    writeIdx(tmp.resolve("t10k-images-idx3-ubyte"), 0x00000803, new int[] {3, 2, 2}, 7); // truncated: 12 promised
    writeIdx(tmp.resolve("t10k-labels-idx1-ubyte"), 0x00000801, new int[] {3}, 3);
    var e = assertThrows(IOException.class, () -> Datasets.load(tmp, "tiny"));
    assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte") && e.getMessage().contains("truncated"), e.getMessage());
    writeIdx(tmp.resolve("t10k-images-idx3-ubyte"), 0x12340803, new int[] {3, 2, 2}, 12); // bad magic
    assertTrue(assertThrows(IOException.class, () -> Datasets.load(tmp, "tiny")).getMessage().contains("magic"));
  }

  @Test
  void realFashionMnistLoads() throws IOException {
    var s = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    assertEquals(60000, s.train().count());
    assertEquals(10000, s.test().count());
    assertEquals(784, s.train().dimension());
    var ds = Datasets.toDataSet(s.test().head(100));
    assertEquals(100, ds.numExamples());
    assertTrue(ds.getFeatures().maxNumber().doubleValue() <= 1.0);
  }

  @Test
  void hiddenSizesAreValidated() {
    assertEquals(2, Architectures.parseHidden("64,64").length);
    assertThrows(IllegalArgumentException.class, () -> Architectures.parseHidden("64,x"));
    assertThrows(IllegalArgumentException.class, () -> Architectures.parseHidden("0"));
  }

  static void writeIdx(Path p, int magic, int[] dims, int bytes) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(p))) {
      out.writeInt(magic);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.write(new byte[bytes]);
    }
  }
}
