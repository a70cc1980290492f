package io.lipwatch.estimator.format;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.probes.Classifier;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.RestoredModel;
import java.util.List;

/** A model read from a snapshot: the engine's network (bounds) and the classifier the probes run on. */
public interface LoadedModel {

  /** Name of the format it was read from. */
  String format();

  /** The engine's representation (computed once). */
  ExtractedNetwork network();

  /** The probe path for this model; notes about it (e.g. training-mode gradients) are added to {@code warnings}. */
  Classifier classifier(ProbeSet set, List<String> warnings);

  /** The DL4J model, when the snapshot is a DL4J zip; null otherwise. */
  default RestoredModel dl4j() {
    return null;
  }
}
