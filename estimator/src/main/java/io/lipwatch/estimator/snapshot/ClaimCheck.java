package io.lipwatch.estimator.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The value of a snapshot record whose zip lives in a snapshot store: {@code {"uri":…,"sha256":…,"bytes":…}}. */
public record ClaimCheck(String uri, String sha256, long bytes) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static ClaimCheck parse(byte[] value) {
    if (value == null || value.length > 64 * 1024) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK, "claim-check value is missing or over 64 KiB");
    }
    try {
      JsonNode n = JSON.readTree(new String(value, StandardCharsets.UTF_8));
      if (n == null || !n.hasNonNull("uri") || !n.hasNonNull("sha256") || !n.hasNonNull("bytes") || !n.get("bytes").canConvertToLong()) {
        throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK,
            "claim-check value must be {\"uri\":…,\"sha256\":…,\"bytes\":…}");
      }
      return new ClaimCheck(n.get("uri").asText(), n.get("sha256").asText(), n.get("bytes").asLong());
    } catch (IOException e) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK, "claim-check value is not JSON: " + e.getMessage());
    }
  }
}
