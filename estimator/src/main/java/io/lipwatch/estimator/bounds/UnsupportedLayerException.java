package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;

/** A layer, vertex or activation the engine cannot bound; the message names it and its type. */
public class UnsupportedLayerException extends SnapshotRejectedException {
  public UnsupportedLayerException(String layerName, String type, String why) {
    super(RejectReason.UNSUPPORTED_LAYER, "layer '" + layerName + "' of type " + type + " is not supported: " + why);
  }
}
