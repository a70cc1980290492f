package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.certify.CertifiedSets;
import io.lipwatch.estimator.certify.Certifier;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The measured table of the README's certificate figures; not a test (the name keeps it out of the suite, so CI
 * never reports it skipped), run only when asked for:
 * {@code mvn -pl estimator test -Dtest=CertifyFigures -Dlipwatch.figures=[LABEL=]FILE.zip[,…]} with trained model zips
 * (e.g. {@code lipwatch train --epochs 2 --seed 1 --out FILE.zip}, or {@code --arch cnn}); prints global, pairwise and local certified accuracy
 * and PGD robust accuracy at ε = 0.1 and 0.25 on the first 1000 Fashion-MNIST test images, and the same on the linear
 * ground truth of {@link LinearGroundTruthTest}.
 */
class CertifyFigures {
  static final List<Double> EPS = List.of(0.1, 0.25);

  @Test
  void table() throws Exception {
    String zips = System.getProperty("lipwatch.figures");
    assumeTrue(zips != null && !zips.isBlank(), "set -Dlipwatch.figures=[LABEL=]FILE.zip[,…] to measure");
    ProbeSet fm = IdxReader.split(Path.of("/usr/share/datasets/fashion-mnist"), "t10k", "fashion-mnist").head(1000);
    System.out.println("network | ε | global | pairwise | local | PGD-L2 (APGD CE+DLR, 50 steps) | bestUpper | pairwise s | local s");
    // several models in one run: LABEL=FILE.zip, comma-separated (a bare FILE.zip is labelled by its file name)
    for (String item : zips.split(",")) {
      int eq = item.indexOf('=');
      Path zip = Path.of(item.substring(eq + 1).trim());
      String label = eq > 0 ? item.substring(0, eq).trim() : zip.getFileName().toString();
      row(label, ModelSerializer.restoreMultiLayerNetwork(zip.toFile(), false), fm);
    }
    LinearGroundTruthTest.setUp();
    row("linear ground truth (20→5)", Fixtures.linear(LinearGroundTruthTest.w, LinearGroundTruthTest.b, Activation.SOFTMAX),
        LinearGroundTruthTest.set);
  }

  static void row(String name, MultiLayerNetwork model, ProbeSet set) {
    ExtractedNetwork net = NetworkExtractor.extract(model);
    double best = new LipschitzEngine(EngineConfig.defaults()).compute(net, WarmStart.EMPTY, null).bounds().bestUpper();
    double[][] x = new double[set.count()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = set.input(i);
    }
    List<String> w = new ArrayList<>();
    Classifier c = ProbeRunner.classifierFor(model, set, true, w);
    List<AttackSpec> attacks = new ArrayList<>();
    for (double e : EPS) {
      if (!Boolean.getBoolean("lipwatch.figures.noattacks")) {
        attacks.add(AttackSpec.pgd(Norm.L2, e, 50, e / 8));
      }
    }
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(attacks).withNoiseSigmas(List.of()).withCertifiedEps(List.of())
        .withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(30));
    ProbeResult pr = ProbeRunner.run(c, set, cfg, null, null, w, null);
    CertifiedSets cs = Certifier.run(net, x, set.labels(), pr.detail().correct(), EPS, best, 0);
    int broken = 0;
    for (int e = 0; e < EPS.size() && !attacks.isEmpty(); e++) {
      // a certified sample that the PGD of the same radius broke would be a bug: counted and printed, never expected
      boolean[] robust = pr.detail().attacks().get(e).robust();
      boolean[] local = cs.perEps().get(e).local();
      for (int i = 0; i < local.length; i++) {
        broken += local[i] && !robust[i] ? 1 : 0;
      }
    }
    for (int e = 0; e < EPS.size(); e++) {
      CertifiedSets.PerEps pe = cs.perEps().get(e);
      System.out.printf(Locale.ROOT, "%s | %.2f | %.3f | %.3f | %.3f | %.3f | %.4g | %.2f | %.2f%n", name, EPS.get(e),
          CertifiedSets.fraction(pe.global()), CertifiedSets.fraction(pe.pairwise()), CertifiedSets.fraction(pe.local()),
          attacks.isEmpty() ? Double.NaN : pr.probes().attacks().get(e).robustAccuracy(), best, cs.pairwiseSeconds(), cs.localSeconds());
    }
    System.out.println("  clean " + pr.probes().cleanAccuracy() + "; certified but broken by PGD: " + broken + "; local reached " + cs.localSamples() + " samples; pairwise: "
        + cs.pairwise().note() + "; warnings " + cs.warnings());
  }
}
