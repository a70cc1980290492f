/**
 * The snapshot contract (docs/architecture.md, "Contracts"): {@code lipwatch.*} headers, claim checks and the snapshot store, the
 * publisher, and the safe restore of untrusted DL4J ModelSerializer zips (size limits before allocation, sha256, HMAC,
 * no Java deserialization). Every refusal is a {@link io.lipwatch.estimator.snapshot.SnapshotRejectedException} with a
 * {@link io.lipwatch.estimator.snapshot.RejectReason}.
 */
package io.lipwatch.estimator.snapshot;
