package io.lipwatch.estimator.network;

/**
 * A layer, vertex, operator or activation the engine cannot represent; the message names it and its type. The model
 * readers turn it into the snapshot rejection {@code unsupported-layer}.
 */
public class UnsupportedLayerException extends RuntimeException {
  public UnsupportedLayerException(String layerName, String type, String why) {
    super("layer '" + layerName + "' of type " + type + " is not supported: " + why);
  }
}
