package io.lipwatch.estimator.snapshot;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Refuses weights that hold NaN or ±Inf. A diverged training run publishes exactly that, and it must reach the DLQ as
 * its own reason ({@code non-finite-weights}) rather than crash native linear algebra (LAPACK's dgesvd fails on NaN
 * input with an {@code Error}) or turn every bound into NaN.
 */
public final class FiniteCheck {
  private FiniteCheck() {}

  /** Throws {@code non-finite-weights} naming how many values are not finite and where the first one is. */
  public static void requireFinite(INDArray params) {
    if (params == null || params.isEmpty()) {
      return;
    }
    long bad = Nd4j.getExecutioner().exec(new MatchCondition(params, Conditions.notFinite())).getLong(0);
    if (bad == 0) {
      return;
    }
    long first = firstNonFinite(params);
    throw new SnapshotRejectedException(RejectReason.NON_FINITE_WEIGHTS, SafeModelRestorer.COEFFICIENTS + " holds " + bad
        + " non-finite value(s) (NaN or ±Inf) among " + params.length() + " parameters, the first at index " + first
        + " (" + params.getDouble(first) + "): a diverged training run?");
  }

  private static long firstNonFinite(INDArray params) {
    INDArray flat = params.reshape(params.length());
    for (long i = 0; i < flat.length(); i++) {
      if (!Double.isFinite(flat.getDouble(i))) {
        return i;
      }
    }
    return -1;
  }
}
