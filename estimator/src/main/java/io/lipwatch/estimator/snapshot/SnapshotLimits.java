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
 */
public record SnapshotLimits(
    long maxRecordBytes,
    long inlineBytes,
    int maxZipEntries,
    long maxEntryBytes,
    long maxTotalBytes,
    long maxConfigBytes,
    long maxParameters,
    long maxLayerParameters) {

  public static final long MIB = 1024L * 1024L;

  public SnapshotLimits {
    if (maxRecordBytes <= 0 || inlineBytes <= 0 || maxZipEntries <= 0 || maxEntryBytes <= 0 || maxTotalBytes <= 0
        || maxConfigBytes <= 0 || maxParameters <= 0 || maxLayerParameters <= 0) {
      throw new IllegalArgumentException("snapshot limits must be positive");
    }
  }

  /** Defaults: 8 MiB inline, 512 MiB per snapshot, 64 M parameters (256 MiB of floats). */
  public static SnapshotLimits defaults() {
    return new SnapshotLimits(512 * MIB, 8 * MIB, 16, 512 * MIB, 1024 * MIB, 4 * MIB, 64_000_000L, 32_000_000L);
  }

  public SnapshotLimits withInlineBytes(long bytes) {
    return new SnapshotLimits(maxRecordBytes, bytes, maxZipEntries, maxEntryBytes, maxTotalBytes, maxConfigBytes,
        maxParameters, maxLayerParameters);
  }

  public SnapshotLimits withMaxParameters(long total, long perLayer) {
    return new SnapshotLimits(maxRecordBytes, inlineBytes, maxZipEntries, maxEntryBytes, maxTotalBytes, maxConfigBytes,
        total, perLayer);
  }
}
