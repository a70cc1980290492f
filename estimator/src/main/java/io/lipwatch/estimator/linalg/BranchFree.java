package io.lipwatch.estimator.linalg;

/**
 * ReLU and its backward mask without a branch, for the attack and training kernels' Java passes. About half of a
 * layer's units are inactive, in no pattern a branch predictor follows, and the branchy forms ({@code a > 0 ? g : 0})
 * mispredicted on that half: those passes took longer than the products around them.
 */
public final class BranchFree {
  private BranchFree() {}

  /**
   * {@code a > 0 ? g : 0}, bit for bit, for every float a (NaN, −0 and negatives mask): a > 0 exactly when a's bits,
   * read as an int, lie in [1, bits of +∞]; both ends are tested by the sign of a difference.
   */
  public static float reluMask(float a, float g) {
    int ab = Float.floatToRawIntBits(a);
    int keep = ((-ab) & (ab - 0x7f800001)) >> 31;
    return Float.intBitsToFloat(Float.floatToRawIntBits(g) & keep);
  }

  /** {@code x > 0 ? x : 0}, bit for bit (NaN and −0 become +0). */
  public static float relu(float x) {
    return reluMask(x, x);
  }
}
