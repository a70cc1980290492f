package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The scope's kept setter really changes OpenBLAS's thread count, nested scopes hold it until the last one closes, and
 * the setting comes back after. Seen from the CPU time the process spends beside the calling thread during a large
 * sgemm: OpenBLAS's workers do half of it when it runs on two threads, none on one.
 */
class SingleThreadBlasTest {
  private static final int N = 768;

  @Test
  void setsOneThreadInsideNestedScopesAndRestoresAfter() {
    Nd4j.create(1); // ND4J's start sets OpenBLAS's thread count
    int before = openblas_nolapack.blas_get_num_threads();
    assumeTrue(before > 1, "OpenBLAS runs on one thread here: nothing to switch");
    try (FloatPointer a = random(1); FloatPointer b = random(2); FloatPointer c = new FloatPointer((long) N * N)) {
      sgemm(a, b, c, 3); // warm: OpenBLAS starts its workers
      double outsideBefore = besideShare(a, b, c);
      double inside;
      double nestedInside;
      try (SingleThreadBlas outer = SingleThreadBlas.enter()) {
        try (SingleThreadBlas inner = SingleThreadBlas.enter()) {
          nestedInside = besideShare(a, b, c);
        }
        inside = besideShare(a, b, c); // the inner scope closed: still one thread
      }
      double outsideAfter = besideShare(a, b, c);
      String seen = String.format("CPU beside the caller: before %.2f, nested %.2f, inside %.2f, after %.2f",
          outsideBefore, nestedInside, inside, outsideAfter);
      assertTrue(outsideBefore > 0.3, seen);
      assertTrue(nestedInside < 0.15, seen);
      assertTrue(inside < 0.15, seen);
      assertTrue(outsideAfter > 0.3, seen);
      assertEquals(before, openblas_nolapack.blas_get_num_threads(), "the presets' record of the setting is unchanged");
    }
  }

  /**
   * The process's CPU time outside the calling thread during a few sgemm calls, as a share of the caller's; measured
   * once OpenBLAS's workers stopped spinning after the calls before (they spin ~0.1 s after their last job).
   */
  private static double besideShare(FloatPointer a, FloatPointer b, FloatPointer c) {
    var threads = ManagementFactory.getThreadMXBean();
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    awaitQuiet(threads, os);
    long self0 = threads.getCurrentThreadCpuTime();
    long all0 = os.getProcessCpuTime();
    sgemm(a, b, c, 12);
    long self = threads.getCurrentThreadCpuTime() - self0;
    long all = os.getProcessCpuTime() - all0;
    return (double) (all - self) / self;
  }

  /** Until a 20 ms window passes with under 2 ms of CPU outside this thread (at most 5 s). */
  private static void awaitQuiet(java.lang.management.ThreadMXBean threads,
      com.sun.management.OperatingSystemMXBean os) {
    long end = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < end) {
      long beside0 = os.getProcessCpuTime() - threads.getCurrentThreadCpuTime();
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      if (os.getProcessCpuTime() - threads.getCurrentThreadCpuTime() - beside0 < 2_000_000L) {
        return;
      }
    }
  }

  private static void sgemm(FloatPointer a, FloatPointer b, FloatPointer c, int times) {
    for (int i = 0; i < times; i++) {
      openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
          openblas_nolapack.CblasNoTrans, N, N, N, 1f, a, N, b, N, 0f, c, N);
    }
  }

  private static FloatPointer random(long seed) {
    Random r = new Random(seed);
    float[] v = new float[N * N];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat();
    }
    return new FloatPointer(v);
  }
}
