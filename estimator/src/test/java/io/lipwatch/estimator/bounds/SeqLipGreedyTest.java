package io.lipwatch.estimator.bounds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * seqlip-greedy: a local maximum over activation patterns found by single flips. Against the exact enumeration of one
 * bracket it can only be below (it visits a subset of the vertices) and at least the all-on pattern; on a demo-sized MLP
 * it must finish within a stream budget and give every bracket its turn (a cut-short bracket once left the product at a
 * one-step power iteration, below the network's own lower bounds).
 */
class SeqLipGreedyTest {

  private static double[][] gaussian(Random r, int rows, int cols) {
    double[][] m = new double[rows][cols];
    for (double[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = r.nextGaussian();
      }
    }
    return m;
  }

  @Test
  void betweenTheAllOnPatternAndTheExactMaximum() {
    for (long seed = 1; seed <= 6; seed++) {
      Random r = new Random(seed);
      double[][] a = gaussian(r, 5, 12);
      double[][] b = gaussian(r, 12, 4);
      double exact = SeqLip.enumerate(a, b, 0, 1, 0)[0];
      double allOn = SeqLip.greedy(a, b, 1, 1, 0);
      double greedy = SeqLip.greedy(a, b, 0, 1, 0);
      assertTrue(greedy <= exact * (1 + 1e-9), "seed " + seed + ": greedy " + greedy + " above the maximum " + exact);
      assertTrue(greedy >= allOn * (1 - 1e-12), "seed " + seed + ": greedy " + greedy + " below all-on " + allOn);
      assertTrue(greedy >= 0.8 * exact, "seed " + seed + ": greedy " + greedy + " far below the maximum " + exact);
    }
  }

  @Test
  void finishesOnADemoSizedMlpAndStaysAboveTheLowerBound() {
    ExtractedNetwork x = NetworkExtractor.extract(Nets.mlp(7, Activation.RELU, false, 784, 256, 256, 10));
    long t0 = System.nanoTime();
    UpperBound g = SeqLip.bound(x, false, System.nanoTime() + Duration.ofSeconds(30).toNanos());
    double secs = (System.nanoTime() - t0) / 1e9;
    assertEquals(Boolean.TRUE, g.converged(), g + " after " + secs + " s");
    double lower = LowerBounds.gradientNorm(x, LowerBounds.randomInputs(64, 784, 7), 30, 7, 0).bound().value();
    assertTrue(g.value() >= lower, "greedy " + g.value() + " below a gradient lower bound " + lower);
    System.out.printf("seqlip-greedy 784-256-256-10: %.4f in %.2f s (gradient lower bound %.4f)%n", g.value(), secs, lower);
  }

  @Test
  void aBracketStillBeingBuiltAtTheDeadlineGivesNoValue() {
    Random r = new Random(9);
    double[][] a = gaussian(r, 40, 60);
    double[][] b = gaussian(r, 60, 30);
    assertTrue(Double.isNaN(SeqLip.greedy(a, b, 0, 1, System.nanoTime() - 1)));
  }
}
