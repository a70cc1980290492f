package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A throwaway estimate of a small random MLP when the estimator starts, through the same pipeline and probe suite as a
 * snapshot: the first real snapshot then finds the attack loops, projections, bound methods and native kernels compiled
 * and loaded (a cold JVM estimated the demo MLP's first snapshot 1.5–2× slower than the next ones). Bound methods get a
 * short budget (warming needs iterations, not answers); hidden width 2×96 keeps LipSDP, which runs by default only up
 * to 160 hidden neurons, out. A failure is logged, never fatal.
 */
final class EstimatorWarmup {
  private static final Logger LOG = LoggerFactory.getLogger(EstimatorWarmup.class);
  static final int INPUTS = 784;
  static final int HIDDEN = 96;
  static final int CLASSES = 10;
  static final int SAMPLES = 64;

  private EstimatorWarmup() {}

  /** Runs the warm-up estimate when the settings probe (else there is little to warm); returns its seconds, or -1. */
  static double run(EstimatorSettings settings) {
    if (settings.probes() == null) {
      return -1;
    }
    long t0 = System.nanoTime();
    try {
      MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
          .weightInit(WeightInit.XAVIER).list()
          .layer(new DenseLayer.Builder().nIn(INPUTS).nOut(HIDDEN).activation(Activation.RELU).build())
          .layer(new DenseLayer.Builder().nIn(HIDDEN).nOut(HIDDEN).activation(Activation.RELU).build())
          .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(HIDDEN).nOut(CLASSES)
              .activation(Activation.SOFTMAX).build())
          .build());
      net.init();
      ByteArrayOutputStream zip = new ByteArrayOutputStream();
      ModelSerializer.writeModel(net, zip, false);
      byte[] bytes = zip.toByteArray();
      SplittableRandom r = new SplittableRandom(2);
      byte[] codes = new byte[SAMPLES * INPUTS];
      float[] x = new float[codes.length];
      for (int k = 0; k < codes.length; k++) {
        codes[k] = (byte) r.nextInt(256);
        x[k] = (codes[k] & 0xff) / 255f;
      }
      // labelled by the model: correct samples, so the attacks and the bisection have work
      int[] labels = net.output(Nd4j.createFromArray(x).reshape(SAMPLES, INPUTS)).argMax(1).toIntVector();
      ProbeSet set = new ProbeSet("warm-up", List.of(INPUTS), CLASSES, 0, 1, labels, codes, null);
      EstimatePipeline pipeline = new EstimatePipeline(settings.limits(), null, null,
          new LipschitzEngine(settings.engine().withBudget(Duration.ofMillis(300))),
          settings.probes().withSamples(SAMPLES).withTimeBudget(Duration.ofSeconds(20)));
      pipeline.run(SnapshotMetadata.of("lipwatch-warm-up", 1, Sha256.hex(bytes)), Map.of(), bytes, null, set, null);
      double secs = (System.nanoTime() - t0) / 1e9;
      LOG.info("warm-up estimate in {} s", String.format(java.util.Locale.ROOT, "%.2f", secs));
      return secs;
    } catch (VirtualMachineError vm) {
      throw vm; // out of memory at start-up is the JVM's to report, not a cold first snapshot
    } catch (Throwable t) {
      LOG.warn("warm-up estimate failed ({}); the first snapshot runs cold", t.toString());
      return -1;
    }
  }
}
