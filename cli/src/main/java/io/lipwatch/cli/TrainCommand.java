package io.lipwatch.cli;

import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.monitor.http.MonitorHttpServer;
import io.lipwatch.monitor.http.ModelApi;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.AdmmSettings;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import io.lipwatch.trainer.regularize.Regularizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch train}: the periodic retraining service, or one offline training run with --out. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a model and publish a snapshot every cycle (periodic retraining service),",
        "or with --out train once offline and write the model zip."})
public final class TrainCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--model", defaultValue = "fmnist-mlp", description = "Model name (default: ${DEFAULT-VALUE}).")
  String model;

  @Mixin
  DataOptions data;

  @Option(names = "--dataset", defaultValue = "fashion-mnist", description = "Dataset / probe set name (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(names = "--hidden", defaultValue = "256,256", description = "Hidden layer sizes (default: ${DEFAULT-VALUE}).")
  String hidden;

  @Option(names = "--activation", defaultValue = "relu", description = "Hidden activation: relu, tanh, sigmoid, leakyrelu, elu (default: ${DEFAULT-VALUE}).")
  String activation;

  @Option(names = "--batch-size", defaultValue = "128", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--learning-rate", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = {"--epochs-per-snapshot"}, defaultValue = "1", description = "Epochs between snapshots (default: ${DEFAULT-VALUE}).")
  int epochsPerSnapshot;

  @Option(names = "--snapshots", defaultValue = "0", description = "Stop after N snapshots (default: 0, run until stopped).")
  int snapshots;

  @Option(names = "--every", converter = DurationConverter.class, paramLabel = "INTERVAL",
      description = "Start a retraining cycle at most this often (default: back to back).")
  Duration every;


  @Option(names = "--probe-samples", defaultValue = "1000", description = "Held-out samples published as the probe set (default: ${DEFAULT-VALUE}; 0: all).")
  int probeSamples;

  @Option(names = "--seed", defaultValue = "7", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--snapshot-store", paramLabel = "DIR", description = "Directory for snapshots above the inline limit.")
  Path store;

  @Option(names = "--epochs", description = "Offline: train this many epochs and write --out.")
  Integer epochs;

  @Option(names = "--out", paramLabel = "FILE.zip", description = "Offline: write the trained model here (no Kafka).")
  Path out;

  @Option(names = "--arch", defaultValue = "mlp", description = "Architecture: mlp (--hidden, --activation) or cnn (small CNN for 28×28×1; default: ${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--regularizer", defaultValue = "none", description = "none, weight-decay, clip, lipbound (conv layers: --arch cnn) or admm-lipsdp (--arch mlp) (default: ${DEFAULT-VALUE}).")
  String regularizer;

  @Option(names = "--lambda", description = "Initial λ (clip; default 1), µ (weight-decay; default 0.0005) or C (lipbound; default 0.008, the paper's).")
  Double lambda;

  @Option(names = "--dlambda", description = "Step of λ / µ / C in the discrepancy principle after each epoch (default: half the initial value; 0 keeps it fixed).")
  Double dLambda;

  @Option(names = "--target-accuracy", paramLabel = "α", description = "Discrepancy principle: train accuracy above α raises λ/µ/C, below lowers it (required with a regulariser unless --dlambda 0).")
  Double target;

  @Option(names = "--lipbound-grid", defaultValue = "10", paramLabel = "S", description = "LipBound: maximise over an S×S frequency grid (default: ${DEFAULT-VALUE}, the paper's training).")
  int lipBoundGrid;

  @Option(names = "--pairs", defaultValue = "64", description = "CLIP input pairs; ≤ half the batch keeps an epoch ≤ 2× plain (default: ${DEFAULT-VALUE}).")
  int pairs;

  @Option(names = "--clip-form", defaultValue = "lipschitz", description = "Penalty λ·L (lipschitz, the paper) or λ·L² (squared, their code) (default: ${DEFAULT-VALUE}).")
  String clipForm;

  @Option(names = "--clip-aggregate", defaultValue = "mean", description = "Penalise the mean pair ratio (mean) or the worst pair only (max, their code) (default: ${DEFAULT-VALUE}).")
  String clipAggregate;

  @Option(names = "--pair-reset", defaultValue = "2000", description = "Re-draw the CLIP pairs from data every N minibatches; 0 never (default: ${DEFAULT-VALUE}).")
  int pairReset;

  @Option(names = "--fixed-ascent-step", description = "Fixed pair ascent step instead of the per-pair ×1.3/÷1.3 adaptation.")
  boolean fixedStep;

  @Mixin
  ClipOptions clip;

  @Option(names = "--lipschitz-target", paramLabel = "L_des", description = "admm-lipsdp: enforce a verified LipSDP bound ≤ L_des (published snapshots are the certified weights); without it the bound is penalised with µ = --lambda (default 0.02).")
  Double lipschitzTarget;

  @Option(names = "--admm-rho", defaultValue = "2", description = "admm-lipsdp: coupling ρ of the W-step (default: ${DEFAULT-VALUE}, Pauli et al.'s MNIST setting).")
  double admmRho;

  @Option(names = "--admm-epochs", defaultValue = "1", description = "admm-lipsdp: epochs per W-step between two W̄-steps (default: ${DEFAULT-VALUE}).")
  int admmEpochs;

  @Option(names = "--metrics-port", defaultValue = "9466", description = "Port of the trainer's /metrics (default: ${DEFAULT-VALUE}; -1 disables).")
  int metricsPort;

  @Override
  public Integer call() throws Exception {
    if (!data.present()) {
      return 2;
    }
    Activation act = parseActivation(activation);
    int[] sizes = Architectures.parseHidden(hidden);
    Regularization reg = regularization(regularizer, lambda, dLambda, target, pairs, clipForm, clipAggregate, pairReset, !fixedStep)
        .withLipBoundGrid(lipBoundGrid);
    reg = clip.apply(reg);
    AdmmSettings admm = admmSettings(reg);
    if (out != null || epochs != null) {
      if (out == null || epochs == null || epochs < 1) {
        System.err.println("error: offline training needs both --epochs N (N ≥ 1) and --out FILE.zip");
        return 2;
      }
      return offline(act, sizes, reg, admm);
    }
    if (kafka.bootstrap == null) {
      System.err.println("error: --bootstrap is required (or use --epochs N --out FILE.zip to train offline)");
      return 2;
    }
    TrainerConfig cfg = new TrainerConfig(model, data.dir, dataset, sizes, act.name().toLowerCase(), batchSize, learningRate,
        epochsPerSnapshot, snapshots, every == null ? Duration.ZERO : every, data.trainSamples, probeSamples, seed, arch, reg,
        admm);
    var registry = MonitorService.newRegistry();
    try (RunUntilStopped run = new RunUntilStopped()) {
      if (metricsPort >= 0) {
        MonitorHttpServer http = run.register(new MonitorHttpServer("0.0.0.0", metricsPort, registry, ModelApi.NONE, () -> true));
        System.out.println("trainer metrics: http://localhost:" + http.port() + "/metrics");
      }
      SnapshotPublisher pub = run.register(new SnapshotPublisher(kafka.connection(), SnapshotLimits.defaults(),
          store == null ? null : new DirectorySnapshotStore(store), null));
      RetrainingLoop loop = new RetrainingLoop(cfg, kafka.connection(), pub, registry);
      run.register(loop::stop);
      Thread t = new Thread(() -> {
        try {
          loop.run();
        } finally {
          run.stop();
        }
      }, "lipwatch-trainer");
      t.start();
      run.await(null);
      loop.stop();
      t.join(120_000);
    }
    return 0;
  }

  private int offline(Activation act, int[] sizes, Regularization reg, AdmmSettings admm) throws Exception {
    System.out.println("ND4J backend: " + org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName());
    Datasets.Splits splits = Datasets.load(data.dir, dataset);
    DataSet train = Datasets.toDataSet(splits.train().head(data.trainSamples));
    TrainerConfig cfg = new TrainerConfig(model, data.dir, dataset, sizes, act.name().toLowerCase(), batchSize, learningRate,
        1, 1, Duration.ZERO, data.trainSamples, probeSamples, seed, arch, reg, admm);
    MultiLayerNetwork net = RetrainingLoop.buildNetwork(cfg, train.numInputs(), splits.train().classes());
    RegularizedTrainer trainer = new RegularizedTrainer(net, reg, splits.train().lo(), splits.train().hi(), seed);
    if (admm != null) {
      trainer.withAdmm(admm);
      System.out.println("admm-lipsdp: " + admm.describe());
    }
    // pre-batched once: slicing minibatches in the loop is DL4J's slow path
    java.util.List<DataSet> batches = new java.util.ArrayList<>(Datasets.batches(train, batchSize, seed));
    for (int e = 1; e <= epochs; e++) {
      java.util.Collections.shuffle(batches, new java.util.Random(seed + e));
      RegularizedTrainer.EpochStats s;
      try (var bar = RetrainingLoop.progressBar("epoch " + e, batches.size())) {
        s = trainer.epoch(batches, bar);
      }
      System.out.printf(java.util.Locale.ROOT, "epoch %d: loss %.4f, penalty %.4f, train accuracy %.4f, %s %.4g → %.4g (%.1f s)%n",
          e, s.loss(), s.penalty(), s.trainAccuracy(), RetrainingLoop.weightName(reg.regularizer()),
          s.weightBefore(), s.weightAfter(), s.seconds());
    }
    DataSet test = Datasets.toDataSet(splits.test());
    MultiLayerNetwork result = trainer.publishedNetwork();
    if (trainer.admm() != null) {
      System.out.println(trainer.admm().lastReport() + (result != net ? "; writing the certified weights W̄" : ""));
    }
    Evaluation eval = result.evaluate(new ListDataSetIterator<>(test.batchBy(1000), 1));
    Files.write(out, RetrainingLoop.serialize(result));
    System.out.printf("test accuracy %.4f; wrote %s%n", eval.accuracy(), out);
    return 0;
  }

  /** The regulariser from the command-line flags; the discrepancy principle needs a target unless dλ is 0. */
  static Regularization regularization(String name, Double lambda, Double dLambda, Double target, int pairs, String form,
      String aggregate, int reset, boolean adaptive) {
    Regularizer r = Regularizer.parse(name);
    if (r == Regularizer.NONE) {
      return Regularization.none();
    }
    if (r == Regularizer.ADMM_LIPSDP) {
      return Regularization.admmLipSdp(lambda != null ? lambda : AdmmSettings.DEFAULT_MU);
    }
    double w = lambda != null ? lambda : switch (r) {
      case CLIP -> 1.0;
      case LIPBOUND -> 0.008;
      default -> 5e-4;
    };
    double step = dLambda != null ? dLambda : w / 2;
    if (step > 0 && target == null) {
      // their code silently fell back to 0.9 on a misspelt option; here the target is explicit
      throw new IllegalArgumentException("--target-accuracy α is required with --regularizer " + r.label()
          + " (or --dlambda 0 for a fixed weight)");
    }
    double alpha = target == null ? Double.NaN : target;
    Regularization base = switch (r) {
      case CLIP -> Regularization.clip(w, step, alpha, pairs);
      case LIPBOUND -> Regularization.lipBound(w, step, alpha);
      default -> Regularization.weightDecay(w, step, alpha);
    };
    return base.withForm(Regularization.Form.valueOf(form.trim().toUpperCase()))
        .withAggregate(Regularization.Aggregate.valueOf(aggregate.trim().toUpperCase()))
        .withResetEvery(reset).withAdaptiveStep(adaptive);
  }

  /** ADMM settings from the flags, or null for other regularisers; a Lipschitz target selects the enforce mode. */
  AdmmSettings admmSettings(Regularization reg) {
    if (reg.regularizer() != Regularizer.ADMM_LIPSDP) {
      if (lipschitzTarget != null) {
        throw new IllegalArgumentException("--lipschitz-target applies to --regularizer admm-lipsdp only");
      }
      return null;
    }
    if (lipschitzTarget != null && !(lipschitzTarget > 0 && Double.isFinite(lipschitzTarget))) {
      throw new IllegalArgumentException("--lipschitz-target must be a positive number, got " + lipschitzTarget);
    }
    if (!"mlp".equals(arch)) {
      throw new IllegalArgumentException("--regularizer admm-lipsdp trains MLPs (LipSDP); use --arch mlp");
    }
    AdmmSettings s = lipschitzTarget != null ? AdmmSettings.enforce(lipschitzTarget) : AdmmSettings.penalize(reg.weight());
    return s.withRho(admmRho).withWStepEpochs(admmEpochs);
  }

  static Activation parseActivation(String a) {
    try {
      return Activation.valueOf(a.trim().toUpperCase());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown activation '" + a + "' (try relu, tanh, sigmoid, leakyrelu, elu)");
    }
  }
}
