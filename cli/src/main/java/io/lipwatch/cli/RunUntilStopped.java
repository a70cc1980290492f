package io.lipwatch.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a long-running verb alive until Ctrl-C (SIGINT/SIGTERM), a duration, or {@link #stop()}, then closes what was
 * registered in reverse order.
 */
final class RunUntilStopped implements AutoCloseable {
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Closer resources = new Closer();
  private final Thread hook;

  RunUntilStopped() {
    hook = new Thread(() -> {
      stop.countDown();
      try {
        closed.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "lipwatch-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  <T extends AutoCloseable> T register(T resource) {
    return resources.register(resource);
  }

  void stop() {
    stop.countDown();
  }

  /** Blocks until stopped or the duration (null: forever) has passed. */
  void await(Duration duration) throws InterruptedException {
    if (duration == null) {
      stop.await();
    } else {
      stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    resources.close();
    closed.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }
}
