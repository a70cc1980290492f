package io.lipwatch.monitor.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

/** McNemar's one-sided exact p-value against closed forms and exact rational arithmetic. */
class McNemarTest {
  /** P(X ≥ lost), X ~ Binomial(lost + gained, 1/2), in exact integers: Σ C(m, k) / 2^m. */
  static double exact(int lost, int gained) {
    int m = lost + gained;
    BigInteger sum = BigInteger.ZERO;
    BigInteger c = BigInteger.ONE; // C(m, 0)
    for (int k = 0; k <= m; k++) {
      if (k >= lost) {
        sum = sum.add(c);
      }
      c = c.multiply(BigInteger.valueOf(m - k)).divide(BigInteger.valueOf(k + 1));
    }
    return new BigDecimal(sum).divide(new BigDecimal(BigInteger.TWO.pow(m)), MathContext.DECIMAL128).doubleValue();
  }

  @Test
  void smallCasesByHand() {
    // all five discordant samples lost: (1/2)^5
    assertEquals(1.0 / 32, McNemar.pValue(5, 0), 1e-15);
    // nothing lost, or nothing discordant: no evidence of a drop
    assertEquals(1.0, McNemar.pValue(0, 7), 0);
    assertEquals(1.0, McNemar.pValue(0, 0), 0);
    // 3 lost, 3 gained: (C(6,3) + C(6,4) + C(6,5) + C(6,6)) / 64 = 42/64
    assertEquals(42.0 / 64, McNemar.pValue(3, 3), 1e-15);
    // 10 lost, 2 gained: (C(12,10) + C(12,11) + C(12,12)) / 4096 = 79/4096
    assertEquals(79.0 / 4096, McNemar.pValue(10, 2), 1e-15);
    // one lost of one: 1/2
    assertEquals(0.5, McNemar.pValue(1, 0), 0);
  }

  @Test
  void agreesWithExactArithmeticUpToThousandsOfDiscordantSamples() {
    int[][] cases = {{9, 2}, {14, 3}, {26, 6}, {40, 40}, {60, 30}, {150, 100}, {600, 400}, {1000, 0}, {1500, 1400}};
    for (int[] c : cases) {
      double want = exact(c[0], c[1]);
      double got = McNemar.pValue(c[0], c[1]);
      assertEquals(want, got, 1e-11 * want, "lost " + c[0] + ", gained " + c[1]);
    }
    // a tail far below double's normal range still comes out positive and right: 2^-1000
    assertEquals(Math.pow(2, -1000), McNemar.pValue(1000, 0), 1e-11 * Math.pow(2, -1000));
  }

  @Test
  void tailsOfTheSameBinomialAddUpToOne() {
    // P(X ≥ b) + P(X ≤ b − 1) = 1, and by symmetry P(X ≤ b − 1) = P(X ≥ m − b + 1)
    for (int m = 1; m <= 300; m += 7) {
      for (int b = 1; b <= m; b += 3) {
        double upper = McNemar.pValue(b, m - b);
        double lower = McNemar.pValue(m - b + 1, b - 1);
        assertEquals(1.0, upper + lower, 1e-12, "m " + m + ", b " + b);
        assertTrue(upper > 0 && upper <= 1);
      }
    }
  }

  @Test
  void negativeCountsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> McNemar.pValue(-1, 3));
  }
}
