package io.lipwatch.estimator.snapshot;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Optional HMAC-SHA256 signature of the model zip (header {@code lipwatch.signature}, hex), with a shared key. */
public final class SnapshotSignature {
  private final byte[] key;

  public SnapshotSignature(byte[] key) {
    if (key == null || key.length < 16) {
      throw new IllegalArgumentException("HMAC key must have at least 16 bytes");
    }
    this.key = key.clone();
  }

  public String sign(byte[] zip) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(zip));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Throws unless {@code signatureHex} is the HMAC of the zip (constant-time comparison). */
  public void verify(byte[] zip, String signatureHex) {
    if (signatureHex == null) {
      throw new SnapshotRejectedException(RejectReason.BAD_SIGNATURE, "header " + SnapshotHeaders.SIGNATURE + " is required (HMAC enforced)");
    }
    byte[] expected = sign(zip).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] given = signatureHex.trim().toLowerCase(java.util.Locale.ROOT).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, given)) {
      throw new SnapshotRejectedException(RejectReason.BAD_SIGNATURE, "header " + SnapshotHeaders.SIGNATURE + " does not match the zip");
    }
  }
}
