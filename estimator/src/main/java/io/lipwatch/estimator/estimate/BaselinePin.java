package io.lipwatch.estimator.estimate;

/** Value of {@code lipwatch.baselines}: the version pinned as a model's baseline ({@code lipwatch pin}); a tombstone unpins. */
public record BaselinePin(String model, long version, String pinnedAt, String reason) {}
