package io.lipwatch.estimator.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.AutoLip;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * A 784-1024-1024-10 MLP, whose per-layer Gram matrices (≈1.9·10⁹ multiply-adds) the local certificate skips: it still
 * runs on every sample, within a budget like the stream's, and never certifies less than the pairwise bound.
 */
class WideMlpCertifyTest {
  @Test
  void localCertificatesRunOnA784x1024x1024x10MlpWithoutGramMatrices() {
    ExtractedNetwork net = NetworkExtractor.extract(LocalCertifierTest.mlp(5, Activation.RELU, 784, 1024, 1024, 10));
    DenseChain chain = DenseChain.of(net).orElseThrow();
    assertTrue(LocalCertifier.setupMacs(chain) > Certifier.MAX_SETUP_MACS, "the wide case");
    double[][] x = LocalCertifierTest.inputs(3, 40, 784);
    int[] labels = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      labels[i] = Certifier.argmax(net.output(x[i]));
    }
    double global = AutoLip.sound(net).value();
    long t0 = System.nanoTime();
    // a budget like the stream's share of the probe budget: a quarter of it for the pairwise bounds, the rest is enough
    // for the local certificates of every sample
    CertifiedSets cs = Certifier.run(net, x, labels, null, List.of(0.005, 0.02), global, t0 + 12_000_000_000L);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(Locale.ROOT, "784-1024-1024-10: %.2f s (pairwise %.2f s, local %.2f s); warnings %s%n", secs,
        cs.pairwiseSeconds(), cs.localSeconds(), cs.warnings() + "; " + cs.pairwise().note());
    assertEquals(x.length, cs.localSamples(), cs.warnings().toString());
    assertTrue(cs.warnings().stream().noneMatch(w -> w.contains("local = pairwise")), cs.warnings().toString());
    int gain = 0;
    for (CertifiedSets.PerEps pe : cs.perEps()) {
      for (int i = 0; i < x.length; i++) {
        assertTrue(!pe.pairwise()[i] || pe.local()[i]);
      }
      gain += LocalCertifierTest.count(pe.local()) - LocalCertifierTest.count(pe.pairwise());
    }
    assertTrue(gain > 0, "the local certificate should certify more than the pairwise one somewhere");
    assertTrue(secs < 20, "within its budget (12 s, and one ECLipsE-Fast pair past it at most): " + secs + " s");
  }
}
