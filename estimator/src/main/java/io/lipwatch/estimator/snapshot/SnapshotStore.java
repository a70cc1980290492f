package io.lipwatch.estimator.snapshot;

import java.io.IOException;

/** Where snapshots above the inline limit are kept; the Kafka record then carries a {@link ClaimCheck}. */
public interface SnapshotStore {
  /** Stores the zip and returns the claim check that fetches it back. */
  ClaimCheck put(String model, long version, byte[] zip) throws IOException;

  /** Fetches the bytes of a claim check, refusing anything outside this store or above {@code maxBytes}. */
  byte[] get(ClaimCheck claim, long maxBytes);
}
