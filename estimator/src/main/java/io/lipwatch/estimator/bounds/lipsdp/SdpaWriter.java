package io.lipwatch.estimator.bounds.lipsdp;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes an {@link SdpData} in SDPA sparse format ({@code .dat-s}): a comment line, m, the number of blocks, the block
 * sizes (negative = diagonal block), c, then one line {@code matno block i j value} per upper-triangular nonzero
 * (matno 0 is F₀). Numbers use {@link Double#toString}, which round-trips exactly through C's strtod.
 */
final class SdpaWriter {
  private SdpaWriter() {}

  /** Writes the file; returns the number of entry lines. */
  static long write(SdpData sdp, Path file, String comment) {
    long[] count = {0};
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      out.write("\"" + comment.replace('"', '\'').replace('\n', ' ') + "\n");
      int m = sdp.numVariables();
      int[] blocks = sdp.blockSizes();
      out.write(m + "\n" + blocks.length + "\n");
      StringBuilder sb = new StringBuilder();
      for (int b : blocks) {
        if (b == 0) {
          throw new IllegalArgumentException("empty SDP block");
        }
        sb.append(b).append(' ');
      }
      out.write(sb.toString().trim() + "\n");
      sb.setLength(0);
      for (int v = 1; v <= m; v++) {
        sb.append(num(sdp.objective(v))).append(' ');
      }
      out.write(sb.toString().trim() + "\n");
      StringBuilder line = new StringBuilder(64);
      sdp.entries((matrix, block, row, col, value) -> {
        if (value == 0.0) {
          return;
        }
        if (row > col || matrix < 0 || matrix > m || block < 1 || block > blocks.length) {
          throw new IllegalArgumentException("bad SDPA entry " + matrix + " " + block + " " + row + " " + col);
        }
        line.setLength(0);
        line.append(matrix).append(' ').append(block).append(' ').append(row).append(' ').append(col).append(' ')
            .append(num(value)).append('\n');
        try {
          out.write(line.toString());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        count[0]++;
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return count[0];
  }

  private static String num(double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException("non-finite SDP coefficient " + v);
    }
    return Double.toString(v);
  }
}
