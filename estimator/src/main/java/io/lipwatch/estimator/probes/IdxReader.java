package io.lipwatch.estimator.probes;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), plain or gzipped, checking the magic number, the dimensions and
 * the length before trusting any of it.
 */
public final class IdxReader {
  /** Largest number of values accepted from one file (guards against hostile headers). */
  public static final long MAX_VALUES = 256L * 1024 * 1024;

  private IdxReader() {}

  /** An unsigned-byte IDX array. */
  public record IdxArray(List<Integer> dims, byte[] data) {
    public int count() {
      return dims.get(0);
    }

    public List<Integer> itemShape() {
      return dims.subList(1, dims.size());
    }
  }

  /** Finds {@code base} or {@code base.gz} in {@code dir}. */
  public static Path locate(Path dir, String base) throws NoSuchFileException {
    Path plain = dir.resolve(base);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    Path gz = dir.resolve(base + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    throw new NoSuchFileException(plain + "[.gz]", null, "IDX file not found");
  }

  public static IdxArray read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "IDX file not found");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      boolean gz = b0 == 0x1f && b1 == 0x8b;
      try (DataInputStream in = new DataInputStream(gz ? new GZIPInputStream(raw, 1 << 16) : raw)) {
        return read(in, file.toString());
      } catch (java.util.zip.ZipException e) {
        throw new IOException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
      } catch (EOFException e) {
        // a gzip stream cut short fails inside GZIPInputStream (often with no message at all)
        throw new IOException(file + ": truncated " + (gz ? "gzip" : "IDX") + " file", e);
      }
    }
  }

  static IdxArray read(DataInputStream in, String what) throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      throw new IOException(what + ": empty or truncated IDX file");
    }
    if ((magic >>> 16) != 0) {
      throw new IOException(what + ": not an IDX file (bad magic 0x" + Integer.toHexString(magic) + ")");
    }
    int type = (magic >>> 8) & 0xff;
    int ndim = magic & 0xff;
    if (type != 0x08) {
      throw new IOException(what + ": IDX data type 0x" + Integer.toHexString(type) + " is not unsigned byte (0x08)");
    }
    if (ndim < 1 || ndim > 4) {
      throw new IOException(what + ": IDX has " + ndim + " dimensions, expected 1 to 4");
    }
    List<Integer> dims = new ArrayList<>();
    long total = 1;
    for (int i = 0; i < ndim; i++) {
      int d = in.readInt();
      if (d <= 0) {
        throw new IOException(what + ": IDX dimension " + i + " is " + d);
      }
      dims.add(d);
      total *= d;
      if (total > MAX_VALUES) {
        throw new IOException(what + ": IDX holds more than " + MAX_VALUES + " values (limit)");
      }
    }
    byte[] data = new byte[(int) total];
    try {
      in.readFully(data);
    } catch (EOFException e) {
      throw new IOException(what + ": truncated IDX file (header promises " + total + " values)");
    }
    if (in.read() != -1) {
      throw new IOException(what + ": IDX file has trailing bytes after " + total + " values");
    }
    return new IdxArray(List.copyOf(dims), data);
  }

  /** Reads an images file and its labels file into a uint8 probe set with values in [0,1]. */
  public static ProbeSet probeSet(String name, Path images, Path labels, int classes) throws IOException {
    IdxArray x = read(images);
    IdxArray y = read(labels);
    if (y.dims().size() != 1) {
      throw new IOException(labels + ": labels file must be one-dimensional, has dims " + y.dims());
    }
    if (x.count() != y.count()) {
      throw new IOException(images + " has " + x.count() + " images but " + labels + " has " + y.count() + " labels");
    }
    int[] lab = new int[y.count()];
    for (int i = 0; i < lab.length; i++) {
      lab[i] = y.data()[i] & 0xff;
      if (lab[i] >= classes) {
        throw new IOException(labels + ": label " + lab[i] + " at index " + i + " is not below the class count " + classes);
      }
    }
    List<Integer> shape = x.itemShape().isEmpty() ? List.of(1) : x.itemShape();
    return new ProbeSet(name, List.copyOf(shape), classes, 0.0, 1.0, lab, x.data(), null);
  }

  /** The standard split files of an MNIST-style directory: "train" or "t10k". */
  public static ProbeSet split(Path dir, String split, String name) throws IOException {
    return probeSet(name, locate(dir, split + "-images-idx3-ubyte"), locate(dir, split + "-labels-idx1-ubyte"), 10);
  }
}
