package io.lipwatch.trainer.loop;

import io.lipwatch.estimator.lifecycle.Service;
import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import io.lipwatch.trainer.regularize.Regularizer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic retraining service: trains, and after every {@code epochsPerSnapshot} epochs publishes a snapshot with
 * a new version and its provenance headers; warm-starts each cycle from the last weights. Publishes the held-out
 * split as the probe set first.
 */
public final class RetrainingLoop implements Runnable, Service {
  private static final Logger LOG = LoggerFactory.getLogger(RetrainingLoop.class);

  private final TrainerConfig cfg;
  private final KafkaConnection kafka;
  private final SnapshotPublisher publisher;
  private final MeterRegistry registry;
  private volatile boolean stopped;
  private final AtomicReference<double[]> last = new AtomicReference<>(new double[] {Double.NaN, Double.NaN, 0, 0});
  private final String runId = UUID.randomUUID().toString();
  private final java.util.concurrent.atomic.AtomicLong publishedCount = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong publishFailures = new java.util.concurrent.atomic.AtomicLong();

  public RetrainingLoop(TrainerConfig cfg, KafkaConnection kafka, SnapshotPublisher publisher, MeterRegistry registry) {
    this.cfg = cfg;
    this.kafka = kafka;
    this.publisher = publisher;
    this.registry = registry;
    if (registry != null) {
      Gauge.builder(MeterNames.TRAINER_LOSS, last, a -> a.get()[0]).description("Training loss of the last epoch")
          .tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
      Gauge.builder(MeterNames.TRAINER_ACCURACY, last, a -> a.get()[1]).description("Training accuracy of the last epoch")
          .tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
      Gauge.builder(MeterNames.TRAINER_LAMBDA, last, a -> a.get()[2]).description("Regularisation weight (CLIP λ, weight-decay µ or LipBound C)")
          .tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
      Gauge.builder(MeterNames.TRAINER_PENALTY, last, a -> a.get()[3]).description("Lipschitz penalty of the last epoch")
          .tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
      Gauge.builder(MeterNames.TRAINER_CLIP_ESTIMATE, clipEstimate, a -> a.get())
          .description("CLIP: the trainer's running Lipschitz estimate (best quotient of its pairs) at the last snapshot; "
              + "compare with the engine's clip-pairs lower bound of the same version")
          .tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
    }
  }

  private final AtomicReference<Double> clipEstimate = new AtomicReference<>(Double.NaN);

  private volatile int dropRegularizationAfter;
  private volatile int warmupEpochs;
  private volatile double fineTuneLearningRate;

  /**
   * Production-style retraining: {@code epochs} of training before the first snapshot, then each cycle fine-tunes at
   * {@code learningRate} (0: keep the configured rate), so consecutive versions differ as retrained models do.
   */
  public RetrainingLoop warmup(int epochs, double learningRate) {
    this.warmupEpochs = epochs;
    this.fineTuneLearningRate = learningRate;
    return this;
  }

  /** The regression scenario: after this many snapshots keep training without the regulariser (0: never). */
  public RetrainingLoop dropRegularizationAfter(int snapshots) {
    this.dropRegularizationAfter = snapshots;
    return this;
  }

  /** Snapshots published so far (acknowledged by Kafka). */
  public long publishedSnapshots() {
    return publishedCount.get();
  }

  /** Publish attempts that failed so far; each failed snapshot is retried, first, at the next cycle. */
  public long failedPublishes() {
    return publishFailures.get();
  }

  public synchronized void stop() {
    stopped = true;
    notifyAll();
  }

  private volatile Thread thread;
  private volatile State state = State.NEW;

  @Override
  public String name() {
    return "trainer";
  }

  /** Runs the loop on its own daemon thread ({@link #run()} runs it on the caller's). */
  @Override
  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("trainer for " + cfg.model() + " already started");
    }
    thread = new Thread(() -> {
      try {
        run();
      } catch (RuntimeException e) {
        // run() has logged it; the state says it
      }
    }, "lipwatch-trainer");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public State state() {
    return state;
  }

  /** Stops the loop and waits (up to 10 s) for the current epoch or publish to end. */
  @Override
  public void close() {
    stop();
    Thread t = thread;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void run() {
    state = State.RUNNING;
    try {
      loop();
      state = State.STOPPED;
    } catch (InterruptedException e) {
      state = State.STOPPED;
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      state = State.FAILED;
      LOG.error("trainer for {} stopped: {}", cfg.model(), e.getMessage());
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    } catch (Error e) {
      // ND4J's native failures (e.g. BlasException) are Errors: the loop is over, and its state must say so
      state = State.FAILED;
      LOG.error("trainer for {} stopped: {}", cfg.model(), e.toString());
      throw e;
    }
  }

  public void loop() throws IOException, InterruptedException {
    LOG.info("trainer {} on ND4J backend {}", cfg.model(), Nd4j.getBackend().getClass().getSimpleName());
    Datasets.Splits data = Datasets.load(cfg.dataDir(), cfg.dataset());
    ProbeSet probe = data.test().head(cfg.probeSamples());
    ProbeSetPublisher.publish(kafka, new ProbeSet(cfg.dataset(), probe.shape(), probe.classes(), probe.lo(), probe.hi(),
        probe.labels(), probe.uint8(), probe.float32()));
    LOG.info("published probe set {} ({} samples)", cfg.dataset(), probe.count());
    DataSet train = Datasets.toDataSet(data.train().head(cfg.trainSamples()));
    MultiLayerNetwork net = buildNetwork(cfg, train.numInputs(), data.train().classes());
    RegularizedTrainer trainer = new RegularizedTrainer(net, cfg.regularization(), data.train().lo(), data.train().hi(), cfg.seed());
    if (cfg.regularization().regularizer() == Regularizer.ADMM_LIPSDP) {
      trainer.withAdmm(cfg.admm());
      LOG.info("{}: ADMM-LipSDP, {}", cfg.model(), cfg.admm().describe());
      if (registry != null) {
        io.lipwatch.trainer.regularize.AdmmLipSdp admm = trainer.admm();
        boolean enforce = cfg.admm().mode() == io.lipwatch.trainer.regularize.AdmmSettings.Mode.ENFORCE;
        Gauge.builder(MeterNames.TRAINER_LIPSDP_BOUND, admm, a -> a.lastReport() == null ? Double.NaN
                : enforce ? a.lastReport().boundOfWBar() : a.lastReport().boundOfW())
            .description("admm-lipsdp: verified LipSDP bound at the last W̄-step (W̄ in enforce mode, W otherwise)")
            .tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
      }
    }
    LOG.info("{}: {}, regularizer {} (weight {}, step {}, target {})", cfg.model(), cfg.arch(),
        cfg.regularization().regularizer().label(), cfg.regularization().weight(), cfg.regularization().step(),
        cfg.regularization().targetAccuracy());
    if (cfg.regularization().regularizer() == Regularizer.CLIP) {
      LOG.info("{}: CLIP {} aggregate, {}; λ {}", cfg.model(), cfg.regularization().aggregate(),
          cfg.regularization().tracking().describe(), cfg.regularization().schedule().describe());
    }
    Timer epochTimer = registry == null ? null : Timer.builder(MeterNames.TRAINER_EPOCH_DURATION)
        .description("Wall time of one training epoch").tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
    Counter published = registry == null ? null : Counter.builder(MeterNames.TRAINER_SNAPSHOTS)
        .description("Snapshots published by the trainer").tag(MeterNames.TAG_MODEL, cfg.model()).register(registry);
    Counter failed = registry == null ? null : Counter.builder(MeterNames.TRAINER_PUBLISH_FAILURES)
        .description("Snapshot publish attempts that failed (retried next cycle)").tag(MeterNames.TAG_MODEL, cfg.model())
        .register(registry);
    int epoch = 0;
    List<DataSet> batches = new java.util.ArrayList<>(Datasets.batches(train, cfg.batchSize(), cfg.seed()));
    List<DataSet> evalBatches = List.copyOf(batches.subList(0, Math.min(batches.size(), Math.max(1, 10_000 / cfg.batchSize()))));
    java.util.ArrayDeque<Pending> unpublished = new java.util.ArrayDeque<>();
    for (int w = 0; w < warmupEpochs && !stopped; w++) {
      java.util.Collections.shuffle(batches, new java.util.Random(cfg.seed() + epoch));
      try (ProgressBar bar = progressBar(cfg.model() + " warm-up epoch " + (epoch + 1), batches.size())) {
        RegularizedTrainer.EpochStats ws = trainer.epoch(batches, bar);
        LOG.info("{} warm-up epoch {} in {} s: loss {}, running train accuracy {}", cfg.model(), epoch + 1,
            String.format("%.1f", ws.seconds()), String.format("%.4f", ws.loss()), String.format("%.4f", ws.trainAccuracy()));
      }
      epoch++;
    }
    if (fineTuneLearningRate > 0) {
      net.setLearningRate(fineTuneLearningRate);
      Regularization r = trainer.regularization();
      if (warmupEpochs > 0 && r.regularizer() != Regularizer.NONE && r.regularizer() != Regularizer.ADMM_LIPSDP) {
        // fine-tuning keeps the λ (or µ) the warm-up's discrepancy principle reached: versions then differ by the
        // retraining, not by a regularisation weight still swinging around the target accuracy; and the pairs are
        // never re-initialised (a reset spikes the penalty and costs points of accuracy for an epoch)
        trainer = new RegularizedTrainer(net, r.withWeight(trainer.weight()).withStep(0).withResetEvery(0),
            data.train().lo(), data.train().hi(), cfg.seed());
      }
    }
    for (long version = 1; !stopped && (cfg.maxSnapshots() == 0 || version <= cfg.maxSnapshots()); version++) {
      Instant cycleStart = Instant.now();
      if (dropRegularizationAfter > 0 && version == dropRegularizationAfter + 1
          && trainer.regularization().regularizer() != Regularizer.NONE) {
        // the regression scenario: the same model keeps training, without its Lipschitz regulariser from here on
        LOG.warn("{}: regression scenario: {} regularisation dropped after v{}", cfg.model(),
            trainer.regularization().regularizer().label(), dropRegularizationAfter);
        trainer = new RegularizedTrainer(net, Regularization.none(), data.train().lo(), data.train().hi(), cfg.seed());
        // and back at the configured (warm-up) learning rate: an unregularised, aggressive retraining run
        net.setLearningRate(cfg.learningRate());
      }
      RegularizedTrainer.EpochStats stats = null;
      for (int e = 0; e < cfg.epochsPerSnapshot() && !stopped; e++) {
        // batches are cut once; each epoch visits them in a new order (re-cutting copies the whole set off-heap)
        java.util.Collections.shuffle(batches, new java.util.Random(cfg.seed() + epoch));
        try (ProgressBar bar = progressBar(cfg.model() + " v" + version + " epoch " + (epoch + 1), batches.size())) {
          stats = trainer.epoch(batches, bar);
        }
        epoch++;
        if (epochTimer != null) {
          epochTimer.record(Duration.ofNanos((long) (stats.seconds() * 1e9)));
        }
        last.set(new double[] {stats.loss(), stats.trainAccuracy(), trainer.weight(), stats.penalty()});
        LOG.info("{} epoch {} in {} s: loss {}, penalty {}, running train accuracy {}, {} {} → {}", cfg.model(), epoch,
            String.format("%.1f", stats.seconds()), String.format("%.4f", stats.loss()), String.format("%.4f", stats.penalty()),
            String.format("%.4f", stats.trainAccuracy()), weightName(cfg), stats.weightBefore(), stats.weightAfter());
      }
      if (stopped) {
        break;
      }
      // train accuracy on a fixed 10000-sample subset: a full pass over 60000 costs as much as a third of an epoch
      // enforce-mode ADMM publishes its certified copy W̄, whose LipSDP bound is at most the target
      MultiLayerNetwork publishedNet;
      try {
        publishedNet = trainer.publishedNetwork();
      } catch (IllegalStateException e) {
        LOG.error("{} v{} not published: {}", cfg.model(), version, e.getMessage());
        version--; // the version number goes to the next snapshot that is published
        continue;
      }
      Evaluation eval = publishedNet.evaluate(new ListDataSetIterator<>(evalBatches, 1));
      last.set(new double[] {stats == null ? Double.NaN : stats.loss(), eval.accuracy(), trainer.weight(),
          stats == null ? 0 : stats.penalty()});
      byte[] zip = serialize(publishedNet);
      double estimate = trainer.clipEstimate();
      clipEstimate.set(estimate);
      // beside the engine's clip-pairs lower bound of the same version: does the penalty measure what it controls?
      java.util.Map<String, String> extra = Double.isFinite(estimate)
          ? java.util.Map.of(SnapshotHeaders.CLIP_ESTIMATE, Double.toString(estimate)) : java.util.Map.of();
      unpublished.add(new Pending(metadata(cfg, trainer.regularization().regularizer().label(), version, zip, trainer.weight(),
          epoch, eval.accuracy(), runId), zip, extra));
      // a snapshot that could not be published (broker down) is retried first, next cycle, with its own version
      while (!unpublished.isEmpty() && !stopped) {
        Pending p = unpublished.peek();
        try {
          publisher.publish(p.meta(), p.zip(), p.extraHeaders());
        } catch (IOException | org.apache.kafka.common.KafkaException e) {
          publishFailures.incrementAndGet();
          if (failed != null) {
            failed.increment();
          }
          LOG.warn("could not publish {} v{} ({}); retrying next cycle", cfg.model(), p.meta().version(), e.getMessage());
          break;
        }
        unpublished.poll();
        publishedCount.incrementAndGet();
        if (published != null) {
          published.increment();
        }
        LOG.info("published {} v{} ({} bytes, train accuracy {}, {} {}{})", cfg.model(), p.meta().version(), p.zip().length,
            String.format("%.4f", p.meta().trainAccuracy()), weightName(cfg), p.meta().lambda(),
            p.extraHeaders().containsKey(SnapshotHeaders.CLIP_ESTIMATE)
                ? ", trainer's Lipschitz estimate " + p.extraHeaders().get(SnapshotHeaders.CLIP_ESTIMATE) : "");
      }
      Duration rest = cfg.every().minus(Duration.between(cycleStart, Instant.now()));
      if (!rest.isNegative() && !rest.isZero()) {
        synchronized (this) {
          long until = System.currentTimeMillis() + rest.toMillis();
          while (!stopped && System.currentTimeMillis() < until) {
            wait(Math.max(1, until - System.currentTimeMillis()));
          }
        }
      }
    }
  }

  private record Pending(SnapshotMetadata meta, byte[] zip, java.util.Map<String, String> extraHeaders) {}

  private static String weightName(TrainerConfig cfg) {
    return weightName(cfg.regularization().regularizer());
  }

  /** How logs name a regulariser's weight: λ (CLIP), µ (weight decay), C (LipBound). */
  public static String weightName(Regularizer r) {
    return switch (r) {
      case WEIGHT_DECAY -> "µ";
      case LIPBOUND -> "C";
      default -> "λ";
    };
  }

  /** The snapshot headers of one cycle: identity, and the provenance of training (regulariser, its weight, epoch). */
  public static SnapshotMetadata metadata(TrainerConfig cfg, long version, byte[] zip, double weight, int epoch,
      double trainAccuracy, String runId) {
    return metadata(cfg, cfg.regularization().regularizer().label(), version, zip, weight, epoch, trainAccuracy, runId);
  }

  /** Snapshot headers with the regulariser actually in use ({@code regularizer} label). */
  public static SnapshotMetadata metadata(TrainerConfig cfg, String regularizer, long version, byte[] zip, double weight, int epoch,
      double trainAccuracy, String runId) {
    return SnapshotMetadata.of(cfg.model(), version, Sha256.hex(zip)).withProvenance(cfg.dataset(), new double[] {0, 1},
        regularizer, weight, epoch, trainAccuracy, runId);
  }

  /** The network of a configuration: the MLP or the small CNN (28×28×1 inputs). */
  public static MultiLayerNetwork buildNetwork(TrainerConfig cfg, int inputs, int classes) {
    if (cfg.arch().equals("cnn")) {
      if (inputs != 28 * 28) {
        throw new IllegalArgumentException("the cnn architecture takes 28×28×1 inputs, the data has " + inputs + " values");
      }
      return Architectures.cnn(28, 28, 1, classes, cfg.learningRate(), cfg.seed());
    }
    return Architectures.mlp(inputs, cfg.hidden(), classes, Activation.valueOf(cfg.activation().toUpperCase()),
        cfg.learningRate(), cfg.seed());
  }

  /** A progress bar on a terminal; null (no bar) when output is redirected. */
  public static ProgressBar progressBar(String task, long max) {
    if (System.console() == null) {
      return null;
    }
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUpdateIntervalMillis(500).build();
  }

  /** ModelSerializer zip without updater state (smaller, and the estimator never reads it). */
  public static byte[] serialize(MultiLayerNetwork net) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, bos, false);
    return bos.toByteArray();
  }
}
