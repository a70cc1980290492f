package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import io.lipwatch.estimator.probes.ProbeConfig.MinPerturbationSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs the probe suite of {@link ProbeConfig} on a model and a probe set. Pure library code: no Kafka, no I/O.
 *
 * <p>Order of work, cheapest first, so a tight time budget still yields the basic figures: clean accuracy and margins,
 * noise, certified accuracy, the attacks in the configured order, then the minimal-perturbation search.
 */
public final class ProbeRunner {
  private ProbeRunner() {}

  /**
   * @param model               a MultiLayerNetwork or a ComputationGraph with one input and one output
   * @param set                 labelled probe inputs in the model's input units
   * @param cfg                 what to measure
   * @param bestSoundUpperBound the smallest SOUND L2 Lipschitz upper bound of the logit map, or null (no certified
   *                            accuracy then, and a warning)
   */
  public static ProbeResult run(Model model, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound) {
    return run(model, set, cfg, bestSoundUpperBound, true, null);
  }

  /** As above; {@code fastPath=false} forces the DL4J gradient path, {@code obs} sees every attack iterate (tests). */
  static ProbeResult run(Model model, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound, boolean fastPath,
      Attacks.Observer obs) {
    List<String> warnings = new ArrayList<>();
    Classifier c = classifierFor(model, set.head(cfg.samples()), fastPath, warnings);
    return run(c, set, cfg, bestSoundUpperBound, warnings, obs);
  }

  /** Probes through any {@link Classifier}, e.g. {@link NetworkClassifier} for ONNX models and ComputationGraphs. */
  public static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound) {
    return run(c, set, cfg, bestSoundUpperBound, new ArrayList<>(), null);
  }

  static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound, List<String> warnings,
      Attacks.Observer obs) {
    long t0 = System.nanoTime();
    Deadline deadline = new Deadline(t0 + cfg.timeBudget().toNanos());
    ProbeSet s = set.head(cfg.samples());
    int n = s.count();
    if (n == 0) {
      throw new IllegalArgumentException("probe set " + set.name() + " is empty");
    }
    // dropout in DL4J's gradient path draws from ND4J's global generator
    Nd4j.getRandom().setSeed(cfg.seed());
    List<Batch> batches = batches(s, cfg.batchSize());
    double lo = s.lo();
    double hi = s.hi();

    // clean accuracy, and margins of the logits in double precision
    boolean[] correct = new boolean[n];
    double[] margins = new double[n];
    int outputs = -1;
    for (Batch b : batches) {
      INDArray z = c.logits(b.x());
      outputs = (int) z.size(1);
      int[] pred = Attacks.predictions(z);
      double[][] zd = c.logitsDouble(b.x()).toDoubleMatrix();
      for (int i = 0; i < b.n(); i++) {
        correct[b.offset() + i] = pred[i] == b.labels()[i];
        margins[b.offset() + i] = margin(zd[i]);
      }
    }
    if (outputs != s.classes()) {
      throw new IllegalArgumentException("model has " + outputs + " outputs but probe set " + s.name() + " has "
          + s.classes() + " classes");
    }
    double clean = fraction(correct);
    long badMargins = Arrays.stream(margins).filter(m -> !Double.isFinite(m)).count();
    if (badMargins > 0) {
      warnings.add("model outputs NaN or infinite logits for " + badMargins + " of " + n + " samples");
    }

    List<Probes.NoiseAccuracy> noise = new ArrayList<>();
    for (int k = 0; k < cfg.noiseSigmas().size(); k++) {
      double sigma = cfg.noiseSigmas().get(k);
      int ok = 0;
      for (int bi = 0; bi < batches.size(); bi++) {
        Batch b = batches.get(bi);
        int[] pred = Attacks.predictions(c.logits(Attacks.noisy(b.x(), sigma, lo, hi, mix(cfg.seed(), 1, k, bi))));
        for (int i = 0; i < b.n(); i++) {
          ok += pred[i] == b.labels()[i] ? 1 : 0;
        }
      }
      noise.add(new Probes.NoiseAccuracy(sigma, (double) ok / n));
    }

    List<Probes.CertifiedAccuracy> certified = new ArrayList<>();
    List<ProbeResult.CertifiedDetail> certDetail = new ArrayList<>();
    if (!cfg.certifiedEps().isEmpty()) {
      if (bestSoundUpperBound == null || !Double.isFinite(bestSoundUpperBound) || bestSoundUpperBound <= 0) {
        warnings.add("certified accuracy skipped: no sound Lipschitz upper bound"
            + (bestSoundUpperBound == null ? "" : " (got " + bestSoundUpperBound + ")"));
      } else {
        for (double eps : cfg.certifiedEps()) {
          // margin > √2·L·ε: every logit difference z_y − z_k is √2·L-Lipschitz in L2
          double need = Math.sqrt(2.0) * bestSoundUpperBound * eps;
          boolean[] cert = new boolean[n];
          for (int i = 0; i < n; i++) {
            cert[i] = correct[i] && margins[i] > need;
          }
          certified.add(new Probes.CertifiedAccuracy("l2", eps, fraction(cert)));
          certDetail.add(new ProbeResult.CertifiedDetail(eps, cert));
        }
      }
    }

    List<Probes.AttackResult> attacks = new ArrayList<>();
    List<ProbeResult.AttackDetail> attackDetail = new ArrayList<>();
    GradientHealth health = new GradientHealth();
    List<String> skipped = new ArrayList<>();
    boolean gradients = c.hasGradients();
    if (!gradients && (!cfg.attacks().isEmpty() || cfg.minPerturbation() != null)) {
      warnings.add("attacks and minimal perturbation skipped: " + Dl4jClassifier.GRAPH_NO_GRADIENT);
    }
    for (int a = 0; a < (gradients ? cfg.attacks().size() : 0); a++) {
      AttackSpec spec = cfg.attacks().get(a);
      if (deadline.passed()) {
        skipped.add(spec.toString());
        continue;
      }
      long ta = System.nanoTime();
      boolean[] robust = correct.clone();
      boolean aborted = false;
      // the losses this classifier can backpropagate; a sample broken by any loss or restart counts as broken
      List<LogitLoss> losses = spec.kind() == Kind.FGSM ? List.of(LogitLoss.CE)
          : spec.losses().stream().filter(c::supports).toList();
      if (losses.size() < (spec.kind() == Kind.FGSM ? 1 : spec.losses().size())) {
        warnings.add("attack " + spec + ": the " + c.path() + " gradient path carries cross-entropy only; ran "
            + losses.stream().map(LogitLoss::label).toList());
      }
      for (int bi = 0; bi < batches.size() && !aborted; bi++) {
        Batch b = batches.get(bi);
        for (int li = 0; li < losses.size() && !aborted; li++) {
          LogitLoss loss = losses.get(li);
          for (int r = 0; r < (spec.kind() == Kind.PGD ? spec.restarts() : 1) && !aborted; r++) {
            Outcome o;
            long seed = mix(cfg.seed(), 2, a, bi * 1000L + r);
            if (spec.kind() == Kind.FGSM) {
              o = Attacks.fgsm(c, b, spec.norm(), spec.eps(), lo, hi, obs);
            } else if (spec.schedule() == ProbeConfig.Schedule.APGD) {
              o = Apgd.run(c, b, spec.norm(), spec.eps(), spec.steps(), loss, seed, lo, hi, deadline, obs);
            } else {
              o = Attacks.pgd(c, b, spec.norm(), filled(b.n(), spec.eps()), filled(b.n(), spec.stepSize()), spec.steps(),
                  spec.randomStart(), seed, lo, hi, false, deadline, obs, null, loss);
            }
            aborted = o.aborted;
            health.add(o, spec, b.n());
            for (int i = 0; i < b.n(); i++) {
              robust[b.offset() + i] &= !o.fooled[i];
            }
          }
        }
      }
      if (aborted) {
        warnings.add("attack " + spec + " stopped by the time budget (" + cfg.timeBudget().toSeconds()
            + " s): not reported");
        continue;
      }
      double secs = (System.nanoTime() - ta) / 1e9;
      attacks.add(new Probes.AttackResult(spec.kind().label(), spec.norm().label(), spec.eps(),
          spec.kind() == Kind.PGD ? spec.steps() : null,
          spec.kind() == Kind.PGD && spec.schedule() == ProbeConfig.Schedule.FIXED ? spec.stepSize() : null,
          fraction(robust), round(secs), losses.stream().map(LogitLoss::label).toList(),
          spec.kind() == Kind.PGD ? spec.schedule().label() : null));
      attackDetail.add(new ProbeResult.AttackDetail(spec, robust));
    }
    if (!skipped.isEmpty()) {
      warnings.add("time budget of " + cfg.timeBudget().toSeconds() + " s reached: skipped " + String.join(", ", skipped));
    }

    Probes.MinPerturbation minPert = null;
    double[] minPerSample = null;
    MinPerturbationSpec mp = gradients ? cfg.minPerturbation() : null;
    if (mp != null) {
      if (deadline.passed()) {
        warnings.add("time budget reached: minimal-perturbation search skipped");
      } else {
        minPerSample = minPerturbation(c, batches, correct, mp, cfg.seed(), lo, hi, deadline, health, obs);
        if (minPerSample == null) {
          warnings.add("minimal-perturbation search stopped by the time budget: not reported");
        } else {
          double med = median(minPerSample);
          long unbroken = Arrays.stream(minPerSample).filter(Double::isInfinite).count();
          if (Double.isInfinite(med)) {
            warnings.add("median minimal L2 perturbation not reported: no adversarial found up to ε=" + mp.maxEps()
                + " for " + unbroken + " of " + n + " samples");
          } else {
            minPert = new Probes.MinPerturbation("l2", med);
            if (unbroken > 0) {
              warnings.add(unbroken + " of " + n + " samples had no adversarial up to ε=" + mp.maxEps()
                  + " (counted as infinite in the median)");
            }
          }
        }
      }
    }
    warnings.addAll(health.warnings(n));

    double seconds = round((System.nanoTime() - t0) / 1e9);
    Probes probes = new Probes(s.name(), n, clean, noise, attacks, certified, minPert, seconds);
    return new ProbeResult(probes, List.copyOf(warnings),
        new ProbeResult.Detail(correct, margins, attackDetail, certDetail, minPerSample));
  }

  /**
   * Per sample: PGD-L2 at maxEps, then bisection on ε. The bracket's upper end is always the norm of an adversarial
   * actually found, so the value is an upper bound of the true minimal perturbation.
   */
  private static double[] minPerturbation(Classifier c, List<Batch> batches, boolean[] correct, MinPerturbationSpec mp,
      long seed, double lo, double hi, Deadline deadline, GradientHealth health, Attacks.Observer obs) {
    int total = correct.length;
    double[] value = new double[total];
    AttackSpec label = new AttackSpec(Kind.PGD, Norm.L2, mp.maxEps(), mp.pgdSteps(), 2.5 * mp.maxEps() / mp.pgdSteps(),
        true, 1);
    for (int bi = 0; bi < batches.size(); bi++) {
      Batch b = batches.get(bi);
      int n = b.n();
      double[] low = new double[n];
      double[] up = new double[n];
      Arrays.fill(up, Double.POSITIVE_INFINITY);
      double[] eps = new double[n];
      double[] alpha = new double[n];
      INDArray best = null;
      for (int round = 0; round <= mp.bisectionSteps(); round++) {
        for (int i = 0; i < n; i++) {
          boolean active = correct[b.offset() + i] && (round == 0 || Double.isFinite(up[i]));
          eps[i] = !active ? 0.0 : round == 0 ? mp.maxEps() : 0.5 * (low[i] + up[i]);
          alpha[i] = 2.5 * eps[i] / mp.pgdSteps();
        }
        // warm start: the smallest adversarial found so far, shrunk onto the new radius (projection does it)
        Outcome o = Attacks.pgd(c, b, Norm.L2, eps, alpha, mp.pgdSteps(), true, mix(seed, 3, round, bi), lo, hi, true,
            deadline, obs, best);
        if (o.aborted) {
          return null;
        }
        health.add(o, label, n);
        best = mergeBest(best, o, up, n);
        for (int i = 0; i < n; i++) {
          if (eps[i] == 0.0) {
            continue;
          }
          if (o.fooled[i]) {
            up[i] = Math.min(up[i], o.foolNorm[i]);
          } else {
            low[i] = Math.max(low[i], eps[i]);
          }
        }
      }
      for (int i = 0; i < n; i++) {
        value[b.offset() + i] = correct[b.offset() + i] ? up[i] : 0.0;
      }
    }
    return value;
  }

  /** Rows of this round's smallest adversarials that beat the best so far (compared before {@code up} is updated). */
  private static INDArray mergeBest(INDArray best, Outcome o, double[] up, int n) {
    if (o.bestDelta == null) {
      return best;
    }
    if (best == null) {
      return o.bestDelta;
    }
    float[] take = new float[n];
    float[] keep = new float[n];
    for (int i = 0; i < n; i++) {
      take[i] = o.fooled[i] && o.foolNorm[i] < up[i] ? 1f : 0f;
      keep[i] = 1f - take[i];
    }
    INDArray t = Nd4j.createFromArray(take).reshape(n, 1);
    return best.muliColumnVector(Nd4j.createFromArray(keep).reshape(n, 1)).addi(o.bestDelta.mulColumnVector(t));
  }

  /** Collects non-finite and all-zero input gradients across attacks into at most two warnings. */
  private static final class GradientHealth {
    int nonFinite;
    String nonFiniteWhere;
    int zero;
    String zeroWhere;

    void add(Outcome o, AttackSpec spec, int n) {
      if (o.nonFiniteRows > nonFinite) {
        nonFinite = o.nonFiniteRows;
        nonFiniteWhere = spec.toString();
      }
      if (o.zeroRowsFirstStep > zero) {
        zero = o.zeroRowsFirstStep;
        zeroWhere = spec.toString();
      }
    }

    List<String> warnings(int n) {
      List<String> w = new ArrayList<>();
      if (nonFinite > 0) {
        w.add("input gradient is NaN or infinite for up to " + nonFinite + " samples per batch (" + nonFiniteWhere
            + "): those steps were skipped; attack figures may overstate robustness");
      }
      if (zero > 0) {
        w.add("input gradient is exactly zero for up to " + zero + " samples per batch (" + zeroWhere
            + "): gradient masking or a saturated softmax; attack figures overstate robustness for them");
      }
      return w;
    }
  }

  static Classifier classifierFor(Model model, ProbeSet s, boolean fastPath, List<String> warnings) {
    if (model instanceof MultiLayerNetwork mln && fastPath) {
      DenseClassifier d = DenseClassifier.tryOf(mln);
      if (d != null) {
        if (s.shape().size() != 1 && mln.layerInputSize(0) != s.dimension()) {
          throw new IllegalArgumentException("model input size " + mln.layerInputSize(0) + " does not match probe set "
              + s.name() + " dimension " + s.dimension());
        }
        return d;
      }
    }
    Dl4jClassifier d = new Dl4jClassifier(model, sampleShape(model, s));
    if (!d.crossEntropyLoss) {
      warnings.add("attacks ascend the output layer's own loss (not softmax cross-entropy): DL4J gradient path");
    }
    if (hasTrainingOnlyLayers(model)) {
      warnings.add("DL4J computes input gradients in training mode: dropout / batch normalisation make attack "
          + "gradients stochastic or batch-dependent");
    }
    return d;
  }

  /** Per-sample input shape the network wants: flat for dense inputs, [c, h, w] for convolutional ones. */
  static long[] sampleShape(Model model, ProbeSet s) {
    boolean cnn = false;
    if (model instanceof MultiLayerNetwork mln) {
      var pre = mln.getLayerWiseConfigurations().getInputPreProcess(0);
      var conf = mln.getLayer(0).conf().getLayer();
      cnn = !(pre instanceof FeedForwardToCnnPreProcessor) && isCnnLayer(conf);
    } else if (model instanceof ComputationGraph g) {
      String in = g.getConfiguration().getNetworkInputs().get(0);
      for (var e : g.getConfiguration().getVertexInputs().entrySet()) {
        if (e.getValue().contains(in) && g.getLayer(e.getKey()) != null) {
          var vconf = g.getConfiguration().getVertices().get(e.getKey());
          var pre = vconf instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv ? lv.getPreProcessor() : null;
          cnn |= !(pre instanceof FeedForwardToCnnPreProcessor) && isCnnLayer(g.getLayer(e.getKey()).conf().getLayer());
        }
      }
    }
    List<Integer> shape = s.shape();
    if (!cnn) {
      return new long[] {s.dimension()};
    }
    if (shape.size() == 3) {
      return new long[] {shape.get(0), shape.get(1), shape.get(2)};
    }
    if (shape.size() == 2) {
      return new long[] {1, shape.get(0), shape.get(1)};
    }
    long side = Math.round(Math.sqrt(s.dimension()));
    if (shape.size() == 1 && side * side == s.dimension()) {
      return new long[] {1, side, side};
    }
    throw new IllegalArgumentException("convolutional model, but probe set shape " + shape + " is not [h,w] or [c,h,w]");
  }

  private static boolean isCnnLayer(org.deeplearning4j.nn.conf.layers.Layer conf) {
    return conf instanceof ConvolutionLayer || conf instanceof SubsamplingLayer;
  }

  private static boolean hasTrainingOnlyLayers(Model model) {
    List<org.deeplearning4j.nn.api.Layer> layers = new ArrayList<>();
    if (model instanceof MultiLayerNetwork m) {
      layers.addAll(Arrays.asList(m.getLayers()));
    } else if (model instanceof ComputationGraph g) {
      layers.addAll(Arrays.asList(g.getLayers()));
    }
    for (var l : layers) {
      var conf = l.conf().getLayer();
      if (conf instanceof BatchNormalization || conf instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer
          || conf.getIDropout() != null) {
        return true;
      }
    }
    return false;
  }

  /** Builds every batch once: flat float32 inputs, labels and one-hot labels. */
  static List<Batch> batches(ProbeSet s, int batchSize) {
    int n = s.count();
    int d = s.dimension();
    List<Batch> out = new ArrayList<>();
    for (int off = 0; off < n; off += batchSize) {
      int m = Math.min(batchSize, n - off);
      float[] x = new float[m * d];
      if (s.uint8() != null) {
        double scale = (s.hi() - s.lo()) / 255.0;
        byte[] u = s.uint8();
        for (int k = 0; k < m * d; k++) {
          x[k] = (float) (s.lo() + scale * (u[off * d + k] & 0xff));
        }
      } else {
        System.arraycopy(s.float32(), off * d, x, 0, m * d);
      }
      int[] labels = Arrays.copyOfRange(s.labels(), off, off + m);
      float[] oh = new float[m * s.classes()];
      for (int i = 0; i < m; i++) {
        oh[i * s.classes() + labels[i]] = 1f;
      }
      out.add(new Batch(off, Nd4j.createFromArray(x).reshape(m, d), labels,
          Nd4j.createFromArray(oh).reshape(m, s.classes())));
    }
    return out;
  }

  static double margin(double[] z) {
    double top = Double.NEGATIVE_INFINITY;
    double second = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      if (v > top) {
        second = top;
        top = v;
      } else if (v > second) {
        second = v;
      }
    }
    return top - second;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
  }

  private static double fraction(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return (double) k / b.length;
  }

  private static double[] filled(int n, double v) {
    double[] a = new double[n];
    Arrays.fill(a, v);
    return a;
  }

  private static double round(double secs) {
    return Math.round(secs * 1000.0) / 1000.0;
  }

  /** Independent seed per (purpose, item, batch): results do not depend on what else ran. */
  static long mix(long seed, long purpose, long item, long batch) {
    long h = seed * 0x9E3779B97F4A7C15L + purpose;
    h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + item;
    h = (h ^ (h >>> 29)) * 0x94D049BB133111EBL + batch;
    return h ^ (h >>> 32);
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
