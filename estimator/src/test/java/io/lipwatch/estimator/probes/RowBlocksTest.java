package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.blas.BlasException;

/**
 * A block's failure, RuntimeException or Error (ND4J's native failures are Errors), reaches the caller only after every
 * other block has ended: the attacks' buffers go back to their pools then, and a block still writing would corrupt
 * the next attack.
 */
class RowBlocksTest {

  @Test
  void anErrorOnTheCallersBlockWaitsForTheOtherBlocks() throws InterruptedException {
    assertFailureWaits(new BlasException("sgemm failed"));
  }

  @Test
  void aRuntimeExceptionOnTheCallersBlockWaitsForTheOtherBlocks() throws InterruptedException {
    assertFailureWaits(new IllegalStateException("block failed"));
  }

  private static void assertFailureWaits(Throwable failure) throws InterruptedException {
    Thread caller = Thread.currentThread();
    CountDownLatch helperInside = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger active = new AtomicInteger();
    RowBlocks blocks = new RowBlocks(RowBlocks.ROWS * 8);
    Throwable thrown = assertThrows(Throwable.class, () -> blocks.run((b, from, to) -> {
      if (Thread.currentThread() == caller) {
        // fail only once a helper is inside a block (a one-core pool has none: then nothing else runs anyway)
        awaitQuietly(helperInside, 2);
        if (failure instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) failure;
      }
      active.incrementAndGet();
      helperInside.countDown();
      awaitQuietly(never, 1); // a block that is still busy when the caller's fails
      active.decrementAndGet();
    }));
    assertEquals(failure, thrown);
    assertEquals(0, active.get(), "a block was still running when the failure reached the caller");
    assertTrue(never.getCount() == 1);
  }

  private static void awaitQuietly(CountDownLatch latch, int seconds) {
    try {
      latch.await(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
