package io.lipwatch.trainer.loop;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Immutable settings of the retraining loop.
 *
 * @param model             model name (Kafka key and lipwatch.model)
 * @param dataDir           IDX directory
 * @param dataset           dataset / probe set name
 * @param hidden            hidden layer sizes of the MLP
 * @param activation        hidden activation (relu, tanh, sigmoid, …)
 * @param batchSize         minibatch size
 * @param learningRate      Adam learning rate
 * @param epochsPerSnapshot epochs trained between snapshots
 * @param maxSnapshots      stop after this many snapshots (0: run until stopped)
 * @param every             minimum time between the starts of two cycles (zero: back to back)
 * @param trainSamples      use the first N training samples (0: all)
 * @param probeSamples      publish the first N held-out samples as the probe set (0: all)
 * @param seed              seed of initialisation and shuffling
 */
public record TrainerConfig(String model, Path dataDir, String dataset, int[] hidden, String activation, int batchSize,
    double learningRate, int epochsPerSnapshot, int maxSnapshots, Duration every, int trainSamples, int probeSamples, long seed) {

  public TrainerConfig {
    if (batchSize <= 0 || epochsPerSnapshot <= 0 || maxSnapshots < 0 || trainSamples < 0 || probeSamples < 0) {
      throw new IllegalArgumentException("batch size and epochs per snapshot must be positive; counts non-negative");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be positive");
    }
  }

  public static TrainerConfig demo(String model, Path dataDir) {
    return new TrainerConfig(model, dataDir, "fashion-mnist", new int[] {256, 256}, "relu", 128, 1e-3, 1, 0,
        Duration.ZERO, 0, 1000, 7L);
  }
}
