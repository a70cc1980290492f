package io.lipwatch.monitor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The monitor's label rules agree with the estimator's: the same model names, every reject reason, nothing else. */
class MetricLabelsTest {
  private static boolean estimatorAccepts(String name) {
    try {
      SnapshotMetadata.of(name, 1, "c".repeat(64));
      return true;
    } catch (SnapshotRejectedException e) {
      return false;
    }
  }

  @Test
  void modelNamesAreExactlyTheOnesTheEstimatorAccepts() {
    List<String> names = new ArrayList<>(List.of("m", "mnist-mlp_v2.1", "A", "9", "a".repeat(128), "a".repeat(129), "",
        "-m", ".m", "_m", "m/x", "m x", "m\n", "\nm", "mé", "１２", "m:1", "_invalid", "_unknown"));
    Random rnd = new Random(5);
    String alphabet = "aZ09._-/ \n\té:";
    for (int i = 0; i < 2000; i++) {
      StringBuilder b = new StringBuilder();
      int len = rnd.nextInt(5) == 0 ? 120 + rnd.nextInt(20) : rnd.nextInt(8);
      for (int j = 0; j < len; j++) {
        b.append(rnd.nextInt(4) == 0 ? alphabet.charAt(rnd.nextInt(alphabet.length())) : (char) ('a' + rnd.nextInt(26)));
      }
      names.add(b.toString());
    }
    for (String n : names) {
      assertEquals(estimatorAccepts(n), MetricLabels.validModelName(n), "'" + n + "'");
      assertEquals(estimatorAccepts(n) ? n : MetricLabels.INVALID_MODEL, MetricLabels.model(n));
    }
    assertEquals(MetricLabels.INVALID_MODEL, MetricLabels.model(null));
  }

  @Test
  void everyRejectReasonIsItsOwnLabelAndAnythingElseIsOther() {
    for (RejectReason r : RejectReason.values()) {
      assertEquals(r.label(), MetricLabels.reason(r.label()));
    }
    for (String s : new String[] {null, "", "NON-FINITE-WEIGHTS", "x".repeat(5000), "too-large ", "other"}) {
      assertEquals(MetricLabels.OTHER_REASON, MetricLabels.reason(s), String.valueOf(s));
    }
  }
}
