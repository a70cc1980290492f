package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Helpers run their copy off the core the caller was on when the section started (the kernel enforces the mask, so
 * this holds on every run, not just usually), a busy helper never holds up another caller, and a copy's failure
 * reaches the caller; concurrent callers each get every block run exactly once.
 */
class CoreHelpersTest {

  @Test
  void aHelperRunsOffTheCallersCore() {
    assumeTrue(CpuAffinity.available() && CpuAffinity.allowedCount() >= 2 && CoreHelpers.count() >= 1,
        "needs Linux affinity calls and two usable cores");
    assertTrue(CoreHelpers.AFFINITY, "-Dlipwatch.helpers.affinity=false turns placement off");
    for (int r = 0; r < 50; r++) {
      AtomicInteger helperCpu = new AtomicInteger(-2);
      AtomicInteger helperTid = new AtomicInteger();
      CountDownLatch ran = new CountDownLatch(1);
      Thread caller = Thread.currentThread();
      CoreHelpers.Section s = CoreHelpers.start(1, () -> {
        if (Thread.currentThread() != caller) {
          helperCpu.set(CpuAffinity.currentCpu());
          helperTid.set(CpuAffinity.threadId());
          ran.countDown();
        }
      });
      await(ran); // the caller has no share here: wait for the helper's copy so that it is not withdrawn
      assertNull(s.finish());
      assertTrue(s.callerCpu() >= 0);
      assertNotEquals(s.callerCpu(), helperCpu.get(), "section " + r);
      assertFalse(CpuAffinity.mayRunOn(helperTid.get(), s.callerCpu()), "section " + r);
    }
  }

  @Test
  void aBusyHelperDoesNotHoldUpAnotherCaller() throws InterruptedException {
    assumeTrue(CoreHelpers.count() >= 1, "needs a helper");
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Throwable> first = new AtomicReference<>();
    Thread other = new Thread(() -> {
      Thread me = Thread.currentThread();
      CoreHelpers.Section s = CoreHelpers.start(1, () -> {
        if (Thread.currentThread() != me) {
          inside.countDown();
          await(release);
        }
      });
      await(inside);
      first.set(s.finish());
    });
    other.start();
    await(inside);
    AtomicInteger shares = new AtomicInteger();
    CoreHelpers.Section mine = CoreHelpers.start(1, shares::incrementAndGet);
    shares.incrementAndGet(); // the caller's own share
    assertNull(mine.finish()); // returns although the helper is still busy with the other section
    assertEquals(1, shares.get(), "the withdrawn copy never ran");
    assertEquals(1, release.getCount());
    release.countDown();
    other.join(TimeUnit.SECONDS.toMillis(30));
    assertFalse(other.isAlive());
    assertNull(first.get());
  }

  @Test
  void aCopysFailureReachesTheCallerAndTheHelperLivesOn() {
    assumeTrue(CoreHelpers.count() >= 1, "needs a helper");
    for (Throwable failure : new Throwable[] {new IllegalStateException("block failed"), new StackOverflowError()}) {
      CountDownLatch entered = new CountDownLatch(1);
      Thread caller = Thread.currentThread();
      CoreHelpers.Section s = CoreHelpers.start(1, () -> {
        if (Thread.currentThread() != caller) {
          entered.countDown();
          if (failure instanceof Error e) {
            throw e;
          }
          throw (RuntimeException) failure;
        }
      });
      await(entered);
      assertSame(failure, s.finish());
    }
  }

  @Test
  void concurrentCallersEachRunEveryBlockOnce() throws InterruptedException {
    int callers = 4;
    int sections = 300;
    int blocks = 6;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] ts = new Thread[callers];
    for (int c = 0; c < callers; c++) {
      ts[c] = new Thread(() -> {
        try {
          for (int r = 0; r < sections; r++) {
            AtomicIntegerArray ran = new AtomicIntegerArray(blocks);
            CoreHelpers.forEachBlock(blocks, b -> {
              ran.incrementAndGet(b);
              double acc = 0;
              for (int i = 0; i < 2000; i++) {
                acc += Math.sqrt(i + b);
              }
              if (acc < 0) {
                throw new AssertionError();
              }
            });
            for (int b = 0; b < blocks; b++) {
              assertEquals(1, ran.get(b), "section " + r + " block " + b);
            }
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      });
      ts[c].start();
    }
    for (Thread t : ts) {
      t.join(TimeUnit.SECONDS.toMillis(60));
      assertFalse(t.isAlive(), "a caller did not finish: lost or stuck blocks");
    }
    assertNull(failure.get(), () -> String.valueOf(failure.get()));
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, TimeUnit.SECONDS), "timed out");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
