package io.lipwatch.estimator.estimate;

import java.util.Base64;

/**
 * The compact form of per-sample outcomes in an estimate: a little-endian bit array (sample i is bit {@code i % 8} of
 * byte {@code i / 8}), base64 with padding. 256 samples take 44 characters.
 */
public final class OutcomeBits {
  private OutcomeBits() {}

  public static String encode(boolean[] outcomes) {
    byte[] bytes = new byte[(outcomes.length + 7) / 8];
    for (int i = 0; i < outcomes.length; i++) {
      if (outcomes[i]) {
        bytes[i >> 3] |= (byte) (1 << (i & 7));
      }
    }
    return Base64.getEncoder().encodeToString(bytes);
  }

  /**
   * The outcomes of {@code samples} samples.
   *
   * @throws IllegalArgumentException when the text is not base64 of exactly {@code ceil(samples / 8)} bytes, or sets a
   *                                  bit past the last sample (a record that cannot be what the estimator wrote)
   */
  public static boolean[] decode(String bits, int samples) {
    if (bits == null || samples < 0) {
      throw new IllegalArgumentException("no outcome bits");
    }
    byte[] bytes = Base64.getDecoder().decode(bits);
    if (bytes.length != (samples + 7) / 8) {
      throw new IllegalArgumentException("outcome bits hold " + bytes.length + " bytes, expected " + (samples + 7) / 8
          + " for " + samples + " samples");
    }
    boolean[] out = new boolean[samples];
    for (int i = 0; i < bytes.length * 8; i++) {
      boolean set = (bytes[i >> 3] >> (i & 7) & 1) == 1;
      if (i < samples) {
        out[i] = set;
      } else if (set) {
        throw new IllegalArgumentException("outcome bits set a bit past sample " + samples);
      }
    }
    return out;
  }
}
