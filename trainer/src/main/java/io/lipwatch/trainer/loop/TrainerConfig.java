package io.lipwatch.trainer.loop;

import io.lipwatch.trainer.regularize.AdmmSettings;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.Regularizer;
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
 * @param arch              "mlp" (hidden, activation) or "cnn" (the small CNN of {@code Architectures.cnn}, 28×28×1)
 * @param regularization    regulariser, its weight and its discrepancy principle
 * @param admm              ADMM settings with regularizer admm-lipsdp (null: penalise with µ = the regulariser's weight)
 */
public record TrainerConfig(String model, Path dataDir, String dataset, int[] hidden, String activation, int batchSize,
    double learningRate, int epochsPerSnapshot, int maxSnapshots, Duration every, int trainSamples, int probeSamples, long seed,
    String arch, Regularization regularization, AdmmSettings admm) {

  public TrainerConfig {
    if (batchSize <= 0 || epochsPerSnapshot <= 0 || maxSnapshots < 0 || trainSamples < 0 || probeSamples < 0) {
      throw new IllegalArgumentException("batch size and epochs per snapshot must be positive; counts non-negative");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be positive");
    }
    arch = arch == null ? "mlp" : arch;
    if (!arch.equals("mlp") && !arch.equals("cnn")) {
      throw new IllegalArgumentException("architecture must be mlp or cnn, got " + arch);
    }
    regularization = regularization == null ? Regularization.none() : regularization;
    if (regularization.regularizer() == io.lipwatch.trainer.regularize.Regularizer.LIPBOUND && arch.equals("mlp")) {
      // the MLP has no convolution: fail before any data is loaded or a broker is contacted
      throw new IllegalArgumentException("lipbound regularises convolution layers; this network has none: use --arch cnn");
    }
    if (regularization.regularizer() == Regularizer.ADMM_LIPSDP && admm == null) {
      admm = AdmmSettings.penalize(regularization.weight() > 0 ? regularization.weight() : AdmmSettings.DEFAULT_MU);
    }
    if (regularization.pairs() * 2 > batchSize) {
      // more pairs than half a minibatch makes a CLIP epoch cost more than 2 plain ones; allowed, but say so
      org.slf4j.LoggerFactory.getLogger(TrainerConfig.class).warn(
          "{} CLIP pairs exceed half the batch size {}: an epoch will cost more than twice a plain one",
          regularization.pairs(), batchSize);
    }
  }

  /** Without ADMM settings (defaults apply if the regulariser is admm-lipsdp). */
  public TrainerConfig(String model, Path dataDir, String dataset, int[] hidden, String activation, int batchSize,
      double learningRate, int epochsPerSnapshot, int maxSnapshots, Duration every, int trainSamples, int probeSamples,
      long seed, String arch, Regularization regularization) {
    this(model, dataDir, dataset, hidden, activation, batchSize, learningRate, epochsPerSnapshot, maxSnapshots, every,
        trainSamples, probeSamples, seed, arch, regularization, null);
  }

  /** Without a regulariser, MLP (the signature before regularisers existed). */
  public TrainerConfig(String model, Path dataDir, String dataset, int[] hidden, String activation, int batchSize,
      double learningRate, int epochsPerSnapshot, int maxSnapshots, Duration every, int trainSamples, int probeSamples, long seed) {
    this(model, dataDir, dataset, hidden, activation, batchSize, learningRate, epochsPerSnapshot, maxSnapshots, every,
        trainSamples, probeSamples, seed, "mlp", Regularization.none(), null);
  }

  public static TrainerConfig demo(String model, Path dataDir) {
    return new TrainerConfig(model, dataDir, "fashion-mnist", new int[] {256, 256}, "relu", 128, 1e-3, 1, 0,
        Duration.ZERO, 0, 1000, 7L);
  }

  /** The demo settings with CLIP (λ₀ 1, dλ 0.5, target 85 % train accuracy, 64 pairs: the reproduce-clip settings). */
  public static TrainerConfig demoClip(String model, Path dataDir) {
    return demo(model, dataDir).withRegularization(Regularization.clip(1.0, 0.5, 0.85, 64));
  }

  public TrainerConfig withRegularization(Regularization r) {
    return new TrainerConfig(model, dataDir, dataset, hidden, activation, batchSize, learningRate, epochsPerSnapshot,
        maxSnapshots, every, trainSamples, probeSamples, seed, arch, r, admm);
  }

  public TrainerConfig withArch(String a) {
    return new TrainerConfig(model, dataDir, dataset, hidden, activation, batchSize, learningRate, epochsPerSnapshot,
        maxSnapshots, every, trainSamples, probeSamples, seed, a, regularization, admm);
  }

  public TrainerConfig withAdmm(AdmmSettings a) {
    return new TrainerConfig(model, dataDir, dataset, hidden, activation, batchSize, learningRate, epochsPerSnapshot,
        maxSnapshots, every, trainSamples, probeSamples, seed, arch, regularization, a);
  }
}
