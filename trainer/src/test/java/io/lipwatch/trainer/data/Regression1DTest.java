package io.lipwatch.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

class Regression1DTest {
  @Test
  void hundredSamplesOnTheThreeIntervalsDeterministically() {
    DataSet d = Regression1D.generate(7);
    assertEquals(100, d.numExamples());
    double[] x = d.getFeatures().toDoubleVector();
    double[] y = d.getLabels().toDoubleVector();
    int[] per = new int[3];
    for (int i = 0; i < x.length; i++) {
      boolean inside = false;
      for (int k = 0; k < 3; k++) {
        double[] iv = Regression1D.INTERVALS[k];
        if (x[i] >= iv[0] - 1e-6 && x[i] <= iv[1] + 1e-6) {
          inside = true;
          per[k]++;
        }
      }
      assertTrue(inside, "x = " + x[i] + " outside the intervals");
      assertEquals(Regression1D.target(x[i]), y[i], 5 * Regression1D.NOISE, "noise is small");
    }
    for (int k = 0; k < 3; k++) {
      assertTrue(per[k] >= 10, "every interval is sampled: " + java.util.Arrays.toString(per));
    }
    assertEquals(d.getFeatures(), Regression1D.generate(7).getFeatures(), "same seed, same data");
    assertEquals(0.5, Regression1D.target(4), 1e-12);
    assertEquals(0.0, Regression1D.target(0.2), 1e-12);
  }
}
