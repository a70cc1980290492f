package io.lipwatch.estimator.snapshot;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A snapshot store on a directory (local or any shared filesystem path). URIs are {@code file:} URIs inside it. */
public final class DirectorySnapshotStore implements SnapshotStore {
  private final Path root;

  public DirectorySnapshotStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  @Override
  public ClaimCheck put(String model, long version, byte[] zip) throws IOException {
    String sha = Sha256.hex(zip);
    Path dir = root.resolve(model);
    Files.createDirectories(dir);
    Path target = dir.resolve(version + "-" + sha + ".zip");
    Path tmp = Files.createTempFile(dir, ".upload-", ".tmp");
    Files.write(tmp, zip);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new ClaimCheck(target.toUri().toString(), sha, zip.length);
  }

  @Override
  public byte[] get(ClaimCheck claim, long maxBytes) {
    Path p;
    try {
      URI uri = URI.create(claim.uri());
      if (!"file".equals(uri.getScheme())) {
        throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK, "claim-check uri must be a file: uri, got " + SnapshotMetadata.quote(claim.uri()));
      }
      p = Path.of(uri).toAbsolutePath().normalize();
    } catch (IllegalArgumentException e) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK, "bad claim-check uri " + SnapshotMetadata.quote(claim.uri()));
    }
    if (!p.startsWith(root)) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK,
          "claim-check uri " + SnapshotMetadata.quote(claim.uri()) + " is outside the snapshot store " + root);
    }
    try {
      Path real = p.toRealPath();
      if (!real.startsWith(root.toRealPath())) {
        throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK, "claim-check path escapes the store through a link");
      }
      long size = Files.size(real);
      if (size > maxBytes || claim.bytes() > maxBytes) {
        throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "stored snapshot is " + size + " bytes, limit " + maxBytes);
      }
      if (size != claim.bytes()) {
        throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK,
            "stored snapshot is " + size + " bytes but the claim check says " + claim.bytes());
      }
      return Files.readAllBytes(real);
    } catch (IOException e) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK, "cannot read stored snapshot " + p + ": " + e.getMessage());
    }
  }
}
