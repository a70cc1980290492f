package io.lipwatch.estimator.linalg;

import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux's per-thread CPU affinity, through glibc (JNA, which ND4J already brings). Used to keep a helper thread off
 * the core of the thread that wakes it: see {@link CoreHelpers}. Where the calls are missing (not Linux, no glibc,
 * JNA's native part cannot load), {@link #available()} is false and nothing is restricted.
 */
public final class CpuAffinity {
  private static final Logger LOG = LoggerFactory.getLogger(CpuAffinity.class);
  /** glibc's cpu_set_t: 1024 CPUs. */
  private static final int SET_LONGS = 16;
  private static final long SET_BYTES = SET_LONGS * 8L;

  /** The CPUs this process may use, read once (taskset, a container's cpuset); null when unavailable. */
  private static final long[] ALLOWED = load(CpuAffinity::bindAndRead);

  private CpuAffinity() {}

  /**
   * The allowed-CPU mask from {@code read}, or null when it fails. Any failure but the JVM's own (out of memory, stack
   * overflow) means "unavailable": JNA throws plain Errors too (an incompatible native part installed, a temporary
   * directory it cannot write), and a failure here must not take the helpers (and so the probes) down with this
   * class's initialisation.
   */
  static long[] load(java.util.function.Supplier<long[]> read) {
    try {
      return read.get();
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      LOG.debug("CPU affinity unavailable; helper threads go where the scheduler puts them", e);
      return null;
    }
  }

  private static long[] bindAndRead() {
    if (System.getProperty("jna.nosys") == null) {
      System.setProperty("jna.nosys", "true"); // JNA's own native part, not a system one of another version
    }
    Native.register(CpuAffinity.Libc.class, "c");
    long[] mask = new long[SET_LONGS];
    if (Libc.sched_getaffinity(0, SET_BYTES, mask) != 0 || Libc.sched_getcpu() < 0 || Libc.gettid() <= 0) {
      return null;
    }
    return mask;
  }

  /** glibc's calls, bound directly. */
  static final class Libc {
    static native int sched_getcpu();

    static native int gettid();

    static native int sched_setaffinity(int tid, long size, long[] mask);

    static native int sched_getaffinity(int tid, long size, long[] mask);

    private Libc() {}
  }

  public static boolean available() {
    return ALLOWED != null;
  }

  /** How many CPUs this process may use (0 when unavailable). */
  public static int allowedCount() {
    int n = 0;
    if (ALLOWED != null) {
      for (long w : ALLOWED) {
        n += Long.bitCount(w);
      }
    }
    return n;
  }

  /** The CPU the calling thread runs on now, or -1. */
  public static int currentCpu() {
    return ALLOWED == null ? -1 : Libc.sched_getcpu();
  }

  /** The calling thread's kernel id, or -1. */
  public static int threadId() {
    return ALLOWED == null ? -1 : Libc.gettid();
  }

  /**
   * Lets thread {@code tid} run on every allowed CPU but {@code cpu} (all of them when {@code cpu} is negative or
   * the only one); true when the kernel took the mask.
   */
  public static boolean keepOff(int tid, int cpu) {
    if (ALLOWED == null || tid <= 0) {
      return false;
    }
    long[] mask = ALLOWED.clone();
    if (cpu >= 0 && cpu < SET_LONGS * 64 && allowedCount() > 1) {
      mask[cpu >>> 6] &= ~(1L << (cpu & 63));
    }
    return Libc.sched_setaffinity(tid, SET_BYTES, mask) == 0;
  }

  /** Whether thread {@code tid} may run on {@code cpu} now (false when unavailable). */
  public static boolean mayRunOn(int tid, int cpu) {
    long[] mask = new long[SET_LONGS];
    if (ALLOWED == null || cpu < 0 || Libc.sched_getaffinity(tid, SET_BYTES, mask) != 0) {
      return false;
    }
    return (mask[cpu >>> 6] & (1L << (cpu & 63))) != 0;
  }
}
