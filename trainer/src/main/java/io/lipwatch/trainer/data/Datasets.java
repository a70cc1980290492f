package io.lipwatch.trainer.data;

import io.lipwatch.estimator.probes.IdxReader;
import io.lipwatch.estimator.probes.ProbeSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Training data: MNIST-style IDX directories (Fashion-MNIST from Debian by default). */
public final class Datasets {
  public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
  public static final String INSTALL_HINT =
      "install it with `apt-get install -y dataset-fashion-mnist` (Debian), or pass --data DIR with the four IDX files "
          + "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])";

  private Datasets() {}

  /** A train and a held-out split of one dataset, as probe sets (uint8 in [0,1]). */
  public record Splits(String name, ProbeSet train, ProbeSet test) {}

  public static Splits load(Path dir, String name) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "dataset directory not found: " + INSTALL_HINT);
    }
    try {
      return new Splits(name, IdxReader.split(dir, "train", name + "-train"), IdxReader.split(dir, "t10k", name));
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(e.getFile(), null, "IDX file missing in " + dir + ": " + INSTALL_HINT);
    }
  }

  /** Features [n, d] (float, in the value range) and one-hot labels [n, classes]. */
  public static DataSet toDataSet(ProbeSet set) {
    int n = set.count();
    int d = set.dimension();
    float[] x = new float[n * d];
    if (set.uint8() != null) {
      float scale = (float) ((set.hi() - set.lo()) / 255.0);
      byte[] u = set.uint8();
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) set.lo() + scale * (u[i] & 0xff);
      }
    } else {
      System.arraycopy(set.float32(), 0, x, 0, x.length);
    }
    float[] y = new float[n * set.classes()];
    for (int i = 0; i < n; i++) {
      y[i * set.classes() + set.labels()[i]] = 1f;
    }
    INDArray features = Nd4j.create(x, new long[] {n, d}, 'c');
    INDArray labels = Nd4j.create(y, new long[] {n, set.classes()}, 'c');
    return new DataSet(features.castTo(DataType.FLOAT), labels.castTo(DataType.FLOAT));
  }

  /** Pre-batched minibatches (slicing in the training loop is the slow path in DL4J). */
  public static List<DataSet> batches(DataSet all, int batchSize, long seed) {
    DataSet copy = all.copy();
    copy.shuffle(seed);
    return copy.batchBy(batchSize);
  }
}
