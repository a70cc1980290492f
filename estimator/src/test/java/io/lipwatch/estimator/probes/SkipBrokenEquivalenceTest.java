package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Leaving broken samples out of later attacks, and finished samples out of the minimal-perturbation bisection, changes
 * no sample's outcome. On a fixed-seed ReLU MLP (several batches, the last one partial), every sample's robust flag
 * under an attack must equal "not broken by this attack nor by an earlier one of the same norm and ε" of the run that
 * attacks every sample, and every sample's minimal perturbation must be the same number: exactly through a classifier
 * that computes row by row (a row's result does not depend on the batch), and up to float32 rounding through the dense
 * GEMM path (BLAS rounds a row's products differently in batches of other sizes, which can flip a borderline sample).
 */
class SkipBrokenEquivalenceTest {
  static MultiLayerNetwork net;
  static ProbeSet set;
  static ProbeConfig cfg;

  @BeforeAll
  static void setUp() {
    net = Fixtures.mlp(31, 64, 32, 10, Activation.RELU);
    set = Fixtures.labelledBy(net, Fixtures.uniformSet("skip", 150, List.of(64), 10, 0.0, 1.0, 32), 0.1, 33);
    double e2 = 0.25;
    double einf = 0.03;
    // the stream suite's shape: FGSM then APGD (CE + DLR) per norm, a short min-perturbation search
    cfg = ProbeConfig.defaults().withSamples(150).withBatchSize(64).withNoiseSigmas(List.of(0.1))
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, e2), AttackSpec.pgd(Norm.L2, e2, 20, e2 / 8),
            AttackSpec.fgsm(Norm.LINF, einf), AttackSpec.pgd(Norm.LINF, einf, 15, 2.5 * einf / 15),
            AttackSpec.pgd(Norm.L2, e2, 10, e2 / 4).plain()))
        .withCertifiedEps(List.of(0.05)).withMinPerturbation(new ProbeConfig.MinPerturbationSpec(2.0, 4, 6))
        .withTimeBudget(Duration.ofMinutes(5));
  }

  static ProbeResult run(Classifier c, boolean skip) {
    List<ProbePhase> phases = new ArrayList<>();
    for (ProbePhase p : ProbePhases.DEFAULT) {
      phases.add(p instanceof AttackPhase ? new AttackPhase(skip)
          : p instanceof MinPerturbationPhase ? new MinPerturbationPhase(skip) : p);
    }
    return ProbeRunner.run(c, set, cfg, 3.0, null, new ArrayList<>(), null, phases);
  }

  /** What the skipping run must report per attack: the unskipped flags, and-ed over earlier attacks of its norm and ε. */
  static List<boolean[]> expected(ProbeResult all) {
    Map<String, boolean[]> standing = new HashMap<>();
    List<boolean[]> out = new ArrayList<>();
    for (int a = 0; a < cfg.attacks().size(); a++) {
      AttackSpec spec = cfg.attacks().get(a);
      String key = spec.norm() + "/" + spec.eps();
      boolean[] own = all.detail().attacks().get(a).robust();
      boolean[] before = standing.getOrDefault(key, all.detail().correct());
      boolean[] e = new boolean[own.length];
      for (int i = 0; i < own.length; i++) {
        e[i] = own[i] && before[i];
      }
      standing.put(key, e);
      out.add(e);
    }
    return out;
  }

  @Test
  void rowByRowClassifierGivesIdenticalOutcomes() {
    Classifier c = new RowwiseMlp(net);
    ProbeResult all = run(c, false);
    ProbeResult skip = run(c, true);
    List<boolean[]> want = expected(all);
    int leftOut = 0;
    for (int a = 0; a < want.size(); a++) {
      assertArrayEquals(want.get(a), skip.detail().attacks().get(a).robust(), "per-sample outcomes of "
          + cfg.attacks().get(a));
      assertTrue(skip.probes().attacks().get(a).robustAccuracy() <= all.probes().attacks().get(a).robustAccuracy());
      leftOut += count(all.detail().attacks().get(a).robust()) - count(want.get(a));
    }
    assertArrayEquals(all.detail().minPerturbation(), skip.detail().minPerturbation(), "minimal perturbation per sample");
    assertEquals(all.probes().medianMinPerturbation(), skip.probes().medianMinPerturbation());
    sameRest(all, skip);
    // the comparison means something: an earlier attack broke samples a later one did not, PGD broke more than FGSM,
    // the bisection ran
    assertTrue(leftOut > 0, "no sample's outcome depended on an earlier attack");
    for (int a : new int[] {1, 3}) {
      double r = skip.probes().attacks().get(a).robustAccuracy();
      assertTrue(r > 0 && r < skip.probes().attacks().get(a - 1).robustAccuracy(), cfg.attacks().get(a) + " " + r);
    }
    long finite = java.util.Arrays.stream(skip.detail().minPerturbation()).filter(v -> v > 0 && Double.isFinite(v)).count();
    assertTrue(finite > 20, "the bisection ran on " + finite + " samples");
  }

  @Test
  void denseGemmPathAgreesUpToRounding() {
    Classifier c = ProbeRunner.classifierFor(net, set, true, new ArrayList<>());
    assertEquals("dense-fast", c.path());
    ProbeResult all = run(c, false);
    ProbeResult skip = run(c, true);
    List<boolean[]> want = expected(all);
    int n = set.count();
    for (int a = 0; a < want.size(); a++) {
      boolean[] got = skip.detail().attacks().get(a).robust();
      int differ = 0;
      for (int i = 0; i < n; i++) {
        differ += got[i] != want.get(a)[i] ? 1 : 0;
      }
      assertTrue(differ <= n / 50, differ + " samples differ under " + cfg.attacks().get(a));
      assertTrue(skip.probes().attacks().get(a).robustAccuracy() <= all.probes().attacks().get(a).robustAccuracy() + 0.02,
          "robust accuracy may only go down: " + cfg.attacks().get(a));
    }
    double[] mpAll = all.detail().minPerturbation();
    double[] mpSkip = skip.detail().minPerturbation();
    int same = 0;
    for (int i = 0; i < n; i++) {
      same += Math.abs(mpAll[i] - mpSkip[i]) <= 1e-5 * Math.max(1, mpAll[i]) || mpAll[i] == mpSkip[i] ? 1 : 0;
    }
    assertTrue(same >= n * 0.95, same + " of " + n + " minimal perturbations agree");
    assertEquals(all.probes().medianMinPerturbation().value(), skip.probes().medianMinPerturbation().value(),
        0.05 * all.probes().medianMinPerturbation().value());
    sameRest(all, skip);
  }

  static void sameRest(ProbeResult all, ProbeResult skip) {
    assertEquals(all.probes().cleanAccuracy(), skip.probes().cleanAccuracy());
    assertEquals(all.probes().noiseAccuracy(), skip.probes().noiseAccuracy());
    assertEquals(all.probes().certified(), skip.probes().certified());
  }

  static int count(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return k;
  }

  /**
   * The same ReLU MLP computed row by row in plain loops (float32, fixed order): a row's logits and input gradient
   * are the same numbers whatever else is in the batch.
   */
  static final class RowwiseMlp implements Classifier {
    private final float[][] w;
    private final float[][] b;
    private final int[] in;
    private final int[] out;

    RowwiseMlp(MultiLayerNetwork net) {
      int layers = net.getLayers().length;
      w = new float[layers][];
      b = new float[layers][];
      in = new int[layers];
      out = new int[layers];
      for (int l = 0; l < layers; l++) {
        INDArray wl = net.getLayer(l).getParam("W");
        in[l] = (int) wl.size(0);
        out[l] = (int) wl.size(1);
        w[l] = wl.castTo(DataType.FLOAT).dup('c').data().asFloat();
        b[l] = net.getLayer(l).getParam("b").castTo(DataType.FLOAT).dup('c').data().asFloat();
      }
    }

    /** Activations of one row: acts[0] the input, acts[l+1] layer l's output (ReLU but for the last: logits). */
    private float[][] forward(float[] x) {
      float[][] acts = new float[w.length + 1][];
      acts[0] = x;
      for (int l = 0; l < w.length; l++) {
        float[] y = new float[out[l]];
        for (int j = 0; j < out[l]; j++) {
          float s = b[l][j];
          for (int i = 0; i < in[l]; i++) {
            s += acts[l][i] * w[l][i * out[l] + j];
          }
          y[j] = l < w.length - 1 ? Math.max(s, 0f) : s;
        }
        acts[l + 1] = y;
      }
      return acts;
    }

    private float[] row(INDArray x, int r) {
      return x.getRow(r).castTo(DataType.FLOAT).dup().data().asFloat();
    }

    @Override
    public INDArray logits(INDArray x) {
      int n = (int) x.size(0);
      int k = out[w.length - 1];
      float[] z = new float[n * k];
      for (int r = 0; r < n; r++) {
        float[][] acts = forward(row(x, r));
        System.arraycopy(acts[w.length], 0, z, r * k, k);
      }
      return Nd4j.createFromArray(z).reshape('c', n, k);
    }

    @Override
    public INDArray logitsDouble(INDArray x) {
      return logits(x).castTo(DataType.DOUBLE);
    }

    @Override
    public Step step(INDArray x, INDArray onehot) {
      int[] labels = onehot.argMax(1).toIntVector();
      return step(x, onehot, labels, LogitLoss.CE);
    }

    @Override
    public boolean supports(LogitLoss loss) {
      return true;
    }

    @Override
    public Step step(INDArray x, INDArray onehot, int[] labels, LogitLoss loss) {
      int n = (int) x.size(0);
      int d = in[0];
      int k = out[w.length - 1];
      float[] z = new float[n * k];
      float[] g = new float[n * d];
      for (int r = 0; r < n; r++) {
        float[][] acts = forward(row(x, r));
        float[] zr = acts[w.length];
        float[] top = new float[k];
        loss.gradient(zr, k, new int[] {labels[r]}, top);
        float[] up = top;
        for (int l = w.length - 1; l >= 0; l--) {
          float[] down = new float[in[l]];
          for (int i = 0; i < in[l]; i++) {
            float s = 0;
            for (int j = 0; j < out[l]; j++) {
              s += up[j] * w[l][i * out[l] + j];
            }
            // ReLU' of the layer below, from its kept output
            down[i] = l > 0 && acts[l][i] <= 0 ? 0f : s;
          }
          up = down;
        }
        System.arraycopy(zr, 0, z, r * k, k);
        System.arraycopy(up, 0, g, r * d, d);
      }
      return new Step(Nd4j.createFromArray(z).reshape('c', n, k), Nd4j.createFromArray(g).reshape('c', n, d));
    }

    @Override
    public String path() {
      return "row-by-row";
    }
  }
}
