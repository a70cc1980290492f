package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.lipwatch.estimator.testing.Required;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The default PGD against ground truth on Fashion-MNIST: a linear softmax classifier trained here (exact box-constrained
 * minimal L2 perturbations of every test image by {@link LinearTruth}), and an MLP against plain cross-entropy PGD.
 * Pixels sit on the box faces (most are 0), which is where ball-then-box projection and cross-entropy alone lose.
 */
class AttackStrengthTest {
  static ProbeSet train;
  static ProbeSet test;

  @BeforeAll
  static void load() throws Exception {
    Path fm = Required.dataset(Path.of("/usr/share/datasets/fashion-mnist"), "dataset-fashion-mnist");
    train = flat(IdxReader.split(fm, "train", "fmnist-train").head(5000));
    test = flat(IdxReader.split(fm, "t10k", "fmnist").head(1000));
  }

  static ProbeSet flat(ProbeSet s) {
    return new ProbeSet(s.name(), List.of(s.dimension()), s.classes(), s.lo(), s.hi(), s.labels(), s.uint8(), s.float32());
  }

  /** Multinomial logistic regression by full-batch gradient descent (deterministic): weights [784][10], bias [10]. */
  static MultiLayerNetwork trainLinear() {
    Attacks.Batch all = ProbeRunner.batches(train, train.count()).get(0);
    INDArray x = all.x().castTo(DataType.DOUBLE);
    INDArray y = all.onehot().castTo(DataType.DOUBLE);
    INDArray w = Nd4j.zeros(DataType.DOUBLE, 784, 10);
    INDArray b = Nd4j.zeros(DataType.DOUBLE, 1, 10);
    double lr = 1.0;
    for (int it = 0; it < 150; it++) {
      INDArray p = Transforms.softmax(x.mmul(w).addiRowVector(b), true).subi(y).divi(train.count());
      w.subi(x.transpose().mmul(p).muli(lr));
      b.subi(p.sum(true, 0).muli(lr));
    }
    return Fixtures.linear(w.toDoubleMatrix(), b.toDoubleVector(), Activation.SOFTMAX);
  }

  static ProbeConfig attacksOnly(List<AttackSpec> a) {
    return ProbeConfig.defaults().withAttacks(a).withNoiseSigmas(List.of()).withCertifiedEps(List.of())
        .withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(30)); // figures, not speed, are checked here
  }

  /** The default PGD-L2 attacks (ε 0.5, 1, 2): never below exact robust accuracy, at most 0.5 point above. */
  @Test
  void defaultPgdL2IsWithinHalfAPointOfExactOnALinearClassifier() {
    MultiLayerNetwork net = trainLinear();
    LinearTruth truth = LinearTruth.of(net, test);
    List<AttackSpec> pgd = ProbeConfig.defaultAttacks().stream()
        .filter(a -> a.kind() == Kind.PGD && a.norm() == Norm.L2).toList();
    assertEquals(3, pgd.size());
    ProbeResult r = ProbeRunner.run(net, test, attacksOnly(pgd), null);
    assertEquals(LinearTruth.fraction(truth.correct()), r.probes().cleanAccuracy(), 1e-12);
    for (int a = 0; a < pgd.size(); a++) {
      double eps = pgd.get(a).eps();
      double exact = truth.robust(truth.l2(), eps);
      double got = r.probes().attacks().get(a).robustAccuracy();
      System.out.printf(Locale.ROOT, "linear fmnist ε=%.1f: exact %.4f, default pgd %.4f (%s)%n", eps, exact, got,
          r.probes().attacks().get(a).losses());
      assertEquals(List.of("ce", "dlr"), r.probes().attacks().get(a).losses());
      assertEquals("apgd", r.probes().attacks().get(a).schedule());
      assertTrue(got >= exact, "PGD claims less robustness than exists at ε=" + eps);
      assertTrue(got - exact <= 0.005, "default PGD " + got + " more than 0.5 point above exact " + exact + " at ε=" + eps);
      boolean[] robust = r.detail().attacks().get(a).robust();
      for (int i = 0; i < test.count(); i++) {
        if (truth.correct()[i] && !robust[i]) {
          assertTrue(truth.l2()[i] <= eps * (1 + 1e-5), "sample " + i + " broken at ε=" + eps + ", exact " + truth.l2()[i]);
        }
      }
    }
  }

  /** On a trained MLP the default PGD is never weaker than plain cross-entropy PGD with the same steps. */
  @Test
  void defaultPgdIsNeverWeakerThanPlainCrossEntropyOnAnMlp() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).updater(new Adam(2e-3)).list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(64).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(64).nOut(64).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(64).nOut(10).activation(Activation.SOFTMAX)
            .build())
        .build());
    net.init();
    for (int epoch = 0; epoch < 3; epoch++) {
      for (Attacks.Batch mb : ProbeRunner.batches(train, 100)) {
        net.fit(new DataSet(mb.x(), mb.onehot()));
      }
    }
    List<AttackSpec> strong = List.of(AttackSpec.pgd(Norm.L2, 0.5, 20, 0.5 * 2.5 / 20),
        AttackSpec.pgd(Norm.L2, 1.0, 20, 1.0 * 2.5 / 20), AttackSpec.pgd(Norm.LINF, 0.03, 20, 2.5 * 0.03 / 20));
    List<AttackSpec> all2 = new java.util.ArrayList<>(strong);
    strong.forEach(a -> all2.add(a.plain()));
    ProbeResult r = ProbeRunner.run(net, test.head(500), attacksOnly(all2), null);
    for (int a = 0; a < strong.size(); a++) {
      double s = r.probes().attacks().get(a).robustAccuracy();
      double p = r.probes().attacks().get(a + strong.size()).robustAccuracy();
      System.out.printf(Locale.ROOT, "mlp %s: default %.4f, plain ce %.4f (clean %.4f)%n", strong.get(a), s, p,
          r.probes().cleanAccuracy());
      assertTrue(s <= p, "default PGD weaker than plain CE PGD: " + s + " > " + p + " for " + strong.get(a));
    }
  }

  /**
   * The L2 projection against its KKT form solved by bisection in double, δ = clip(t*·d) with ‖δ‖ = ε, on 784-wide
   * image-like rows (background pixels at 0, some at 1), steps from far inside the ball to far outside it, and steps
   * concentrated on a few pixels: every path of the search (inside the box and ball, the search from below, the sorted
   * fallback) lands within float rounding of the bisection.
   */
  @Test
  void l2ProjectionMatchesBisectionOnImageRows() {
    int n = 300;
    int d = 784;
    SplittableRandom r = new SplittableRandom(17);
    float[] xs = new float[n * d];
    float[] ds = new float[n * d];
    double[] eps = new double[n];
    for (int i = 0; i < n; i++) {
      double scale = Math.exp(r.nextDouble(-3, 2));
      boolean sparse = i % 5 == 0;
      for (int j = i * d; j < (i + 1) * d; j++) {
        double u = r.nextDouble();
        xs[j] = u < 0.5 ? 0f : u < 0.6 ? 1f : (float) r.nextDouble();
        ds[j] = sparse && r.nextDouble() < 0.95 ? 0f : (float) (scale * r.nextGaussian());
      }
      eps[i] = 0.1 + r.nextDouble() * 3;
    }
    float[] got = ds.clone();
    Attacks.project(xs, got, new float[n * d], n, d, eps, Norm.L2, 0, 1, new Attacks.Scratch[] {new Attacks.Scratch(d)});
    for (int i = 0; i < n; i++) {
      int off = i * d;
      double lo = 0;
      double hi = 1;
      for (int k = 0; k < 200; k++) {
        double t = (lo + hi) / 2;
        if (clippedNorm2(xs, ds, off, d, t) > eps[i] * eps[i]) {
          hi = t;
        } else {
          lo = t;
        }
      }
      double t = clippedNorm2(xs, ds, off, d, 1) <= eps[i] * eps[i] ? 1 : lo;
      for (int j = off; j < off + d; j++) {
        double want = Math.max(-xs[j], Math.min(1 - xs[j], t * ds[j]));
        assertEquals(want, got[j], 1e-6 * (1 + Math.abs(want)), "row " + i + " coordinate " + (j - off));
      }
    }
  }

  private static double clippedNorm2(float[] xs, float[] ds, int off, int d, double t) {
    double s = 0;
    for (int j = off; j < off + d; j++) {
      double c = Math.max(-xs[j], Math.min(1 - xs[j], t * ds[j]));
      s += c * c;
    }
    return s;
  }

  /** The L2 projection is the nearest point of ball ∩ box: no random feasible point is closer. */
  @Test
  void l2ProjectionIsExact() {
    int n = 40;
    int d = 30;
    SplittableRandom r = new SplittableRandom(5);
    float[] xs = new float[n * d];
    float[] ds = new float[n * d];
    for (int k = 0; k < xs.length; k++) {
      xs[k] = r.nextDouble() < 0.4 ? 0f : (float) r.nextDouble();
      ds[k] = (float) (2 * r.nextGaussian());
    }
    INDArray x = Nd4j.createFromArray(xs).reshape(n, d);
    INDArray d0 = Nd4j.createFromArray(ds).reshape(n, d);
    INDArray delta = d0.dup();
    double[] eps = new double[n];
    for (int i = 0; i < n; i++) {
      eps[i] = 0.2 + r.nextDouble() * 3;
    }
    Attacks.project(x, delta, eps, Norm.L2, 0, 1);
    double[][] p = delta.toDoubleMatrix();
    double[][] dd = d0.toDoubleMatrix();
    double[][] xx = x.toDoubleMatrix();
    for (int i = 0; i < n; i++) {
      double norm = norm(p[i]);
      assertTrue(norm <= eps[i] * (1 + 1e-6), "outside the ball");
      double best = dist(p[i], dd[i]);
      // any feasible point: the projection must be at least as close (within float rounding)
      for (int t = 0; t < 2000; t++) {
        double[] q = new double[d];
        double s = r.nextDouble();
        for (int j = 0; j < d; j++) {
          q[j] = Math.max(-xx[i][j], Math.min(1 - xx[i][j], p[i][j] + 0.05 * s * r.nextGaussian()));
        }
        double qn = norm(q);
        if (qn > eps[i]) {
          for (int j = 0; j < d; j++) {
            q[j] *= eps[i] / qn; // still in the box (it contains 0)
          }
        }
        assertTrue(dist(q, dd[i]) >= best - 1e-5, "a feasible point closer than the projection for row " + i);
      }
    }
  }

  static double norm(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  static double dist(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return Math.sqrt(s);
  }
}
