package io.lipwatch.estimator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Waits until a process's threads stop using the CPU, so that one side of a comparison is not timed while the other
 * side's idle threads still spin: PyTorch's OpenMP workers keep a core busy for ~100 ms after each parallel region
 * (measured: 109 ms of CPU during a 100 ms sleep right after some ops, 0.1 ms later on), which on a 2-core machine
 * halves the cores of whatever is timed next. Reads each thread's time on the CPU from
 * {@code /proc/<pid>/task/<tid>/schedstat} (nanoseconds); where that is missing (not Linux) it returns at once.
 */
final class QuietCores {
  /** Quiet: less than this share of one core used over a window. */
  private static final double BUSY_SHARE = 0.1;
  private static final long WINDOW_NANOS = 20_000_000L;
  private static final long MAX_WAIT_NANOS = 2_000_000_000L;

  private QuietCores() {}

  /** Returns once process {@code pid} used under 10 % of a core over 20 ms, or after 2 s. */
  static void await(long pid) {
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    long end = System.nanoTime() + MAX_WAIT_NANOS;
    long before = cpuNanos(tasks);
    if (before < 0) {
      return;
    }
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      try {
        Thread.sleep(WINDOW_NANOS / 1_000_000L);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long after = cpuNanos(tasks);
      if (after < 0 || after - before < BUSY_SHARE * (System.nanoTime() - t0)) {
        return;
      }
      before = after;
    }
  }

  /** Sum over the process's threads of their time on the CPU, or -1 when it cannot be read. */
  private static long cpuNanos(Path tasks) {
    long sum = 0;
    try (Stream<Path> ts = Files.list(tasks)) {
      for (Path t : (Iterable<Path>) ts::iterator) {
        try {
          String s = Files.readString(t.resolve("schedstat"));
          sum += Long.parseLong(s.substring(0, s.indexOf(' ')).trim());
        } catch (IOException | RuntimeException e) {
          // a thread that ended meanwhile
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return sum;
  }
}
