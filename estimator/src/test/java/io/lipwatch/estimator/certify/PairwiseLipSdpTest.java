package io.lipwatch.estimator.certify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.eclipse.EclipseFastBound;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.testing.Required;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * LipSDP-Neuron per class pair: verified, never below what the margin's gradient reaches at sampled points (a lower
 * bound of its Lipschitz constant), at least as tight as ECLipsE-Fast on the same margin network, and used by
 * {@link PairwiseBounds}.
 */
class PairwiseLipSdpTest {
  @Test
  void marginSdpsAreSoundTighterThanEclipseAndUsed() {
    Required.tool("csdp", "coinor-csdp");
    ExtractedNetwork net = NetworkExtractor.extract(LocalCertifierTest.mlp(7, Activation.RELU, 12, 20, 20, 4));
    DenseChain chain = DenseChain.of(net).orElseThrow();
    assertTrue(PairwiseLipSdp.applies(chain));
    int k = 4;
    double[][] sdp = new double[k][k];
    for (double[] row : sdp) {
      java.util.Arrays.fill(row, Double.POSITIVE_INFINITY);
    }
    String note = PairwiseLipSdp.tighten(chain, sdp, 1e3, 0);
    assertTrue(note != null && note.contains("tighter on 6"), note);
    PairwiseBounds pw = PairwiseBounds.compute(net, null, 0);
    assertTrue(pw.note().contains("lipsdp per pair"), pw.note());
    double[] lo = new double[chain.activations().size()];
    double[] hi = new double[lo.length];
    java.util.Arrays.fill(hi, 1.0);
    SplittableRandom r = new SplittableRandom(1);
    for (int y = 0; y < k; y++) {
      for (int j = y + 1; j < k; j++) {
        double[] d = PairwiseBounds.difference(chain.last(), y, j);
        List<DenseMatrix> w = new ArrayList<>(chain.weights().subList(0, chain.layers() - 1));
        w.add(new DenseMatrix(1, d.length, d));
        EclipseFastBound.Result e = EclipseFastBound.bound(w, lo, hi, 0);
        assertTrue(sdp[y][j] <= e.value() * (1 + 1e-3), "lipsdp " + sdp[y][j] + " vs eclipse-fast " + e.value());
        assertTrue(pw.lip()[y][j] <= sdp[y][j], "the pairwise bound keeps the least");
        double reached = 0;
        for (int t = 0; t < 3000; t++) {
          double[] x = new double[12];
          for (int i = 0; i < x.length; i++) {
            x[i] = 4 * r.nextGaussian();
          }
          reached = Math.max(reached, GraphLocalCertifierTest.norm(GraphLocalCertifierTest.marginGradient(net, x, y, j)));
        }
        assertTrue(sdp[y][j] >= reached, "lipsdp " + sdp[y][j] + " below a gradient norm " + reached);
        System.out.printf(java.util.Locale.ROOT, "pair %d,%d: lipsdp %.4f, eclipse-fast %.4f, sampled gradient %.4f%n",
            y, j, sdp[y][j], e.value(), reached);
      }
    }
  }
}
