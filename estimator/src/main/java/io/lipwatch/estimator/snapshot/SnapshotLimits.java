package io.lipwatch.estimator.snapshot;

/**
 * Size limits applied to an untrusted snapshot before anything is allocated for it.
 *
 * @param maxRecordBytes      largest model zip accepted (inline or through a claim check)
 * @param inlineBytes         zips up to this size travel inline in the record; larger ones by claim check
 * @param maxZipEntries       entries in the zip
 * @param maxEntryBytes       uncompressed size of any one entry
 * @param maxTotalBytes       uncompressed size of all entries together
 * @param maxConfigBytes      size of configuration.json
 * @param maxParameters       parameters of the whole network
 * @param maxLayerParameters  parameters of any one layer
 * @param memoryBudgetBytes   memory one snapshot may need, estimated from its declared parameter count before anything
 *                            is allocated ({@link #BYTES_PER_PARAMETER} per parameter); larger snapshots are too-large
 */
public record SnapshotLimits(
    long maxRecordBytes,
    long inlineBytes,
    int maxZipEntries,
    long maxEntryBytes,
    long maxTotalBytes,
    long maxConfigBytes,
    long maxParameters,
    long maxLayerParameters,
    long memoryBudgetBytes) {

  public static final long MIB = 1024L * 1024L;
  /**
   * Peak bytes per declared parameter while one snapshot is estimated: the float weights in the record, in ND4J and
   * in the DL4J network (4 + 4 + 4), the engine's double copies and work arrays (8 × 3), rounded up.
   */
  public static final long BYTES_PER_PARAMETER = 40;

  public SnapshotLimits {
    if (maxRecordBytes <= 0 || inlineBytes <= 0 || maxZipEntries <= 0 || maxEntryBytes <= 0 || maxTotalBytes <= 0
        || maxConfigBytes <= 0 || maxParameters <= 0 || maxLayerParameters <= 0 || memoryBudgetBytes <= 0) {
      throw new IllegalArgumentException("snapshot limits must be positive");
    }
  }

  /**
   * Defaults: 8 MiB inline, 512 MiB per snapshot, 64 M parameters (256 MiB of floats), and a memory budget of half the
   * heap (or 8 GiB when the heap is unbounded).
   */
  public static SnapshotLimits defaults() {
    long heap = Runtime.getRuntime().maxMemory();
    long budget = heap == Long.MAX_VALUE ? 8192 * MIB : heap / 2;
    return new SnapshotLimits(512 * MIB, 8 * MIB, 16, 512 * MIB, 1024 * MIB, 4 * MIB, 64_000_000L, 32_000_000L, budget);
  }

  public SnapshotLimits withMemoryBudget(long bytes) {
    return new SnapshotLimits(maxRecordBytes, inlineBytes, maxZipEntries, maxEntryBytes, maxTotalBytes, maxConfigBytes,
        maxParameters, maxLayerParameters, bytes);
  }

  public SnapshotLimits withInlineBytes(long bytes) {
    return new SnapshotLimits(maxRecordBytes, bytes, maxZipEntries, maxEntryBytes, maxTotalBytes, maxConfigBytes,
        maxParameters, maxLayerParameters, memoryBudgetBytes);
  }

  public SnapshotLimits withMaxParameters(long total, long perLayer) {
    return new SnapshotLimits(maxRecordBytes, inlineBytes, maxZipEntries, maxEntryBytes, maxTotalBytes, maxConfigBytes,
        total, perLayer, memoryBudgetBytes);
  }
}
