package io.lipwatch.estimator.linalg;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * OpenBLAS on the calling thread only, while several Java threads make BLAS calls at once (the probes' row blocks,
 * the certificates' thread, the engine's searches): OpenBLAS's thread count is one process-wide setting, and a
 * multi-threaded call from each of them would queue on OpenBLAS's one set of workers (and their spin-waiting competes
 * with the Java threads for the cores). Nested and concurrent scopes are counted; the last one out restores the
 * previous setting (other BLAS users of the process run single-threaded meanwhile: slower, same results). The probes'
 * row kernels' results are those of single-threaded calls on blocks cut by the row count alone, whichever thread
 * runs a block.
 *
 * <p>The thread count is set through one kept pointer to {@code openblas_set_num_threads}: the presets'
 * {@code blas_set_num_threads} loads its class and looks up four symbols on every call (130–300 µs each, measured),
 * and a scope is entered for every attack and every batched forward pass. The presets' own record of the setting
 * ({@code blas_get_num_threads}) is left as it was, so it still reads the process-wide setting this scope restores.
 */
public final class SingleThreadBlas implements AutoCloseable {
  private static final SingleThreadBlas SCOPE = new SingleThreadBlas();
  private static int users;
  private static int saved;

  /** Null when the symbol is missing (then the presets' call is used). */
  private static final Setter SET = Setter.of();

  private SingleThreadBlas() {}

  /** OpenBLAS's own setter, looked up once (the presets' function-pointer type, made through its subclass). */
  private static final class Setter extends org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads {
    static Setter of() {
      Loader.load(openblas_nolapack.class);
      Pointer p = Loader.addressof("openblas_set_num_threads");
      if (p == null || p.isNull()) {
        return null;
      }
      Setter s = new Setter();
      s.put(p);
      return s;
    }
  }

  private static void setThreads(int n) {
    if (SET != null) {
      SET.call(n);
    } else {
      openblas_nolapack.blas_set_num_threads(n);
    }
  }

  public static SingleThreadBlas enter() {
    synchronized (SingleThreadBlas.class) {
      // counted only once the native calls returned: a scope whose entry threw is never closed, and a count left
      // behind by it would keep every later scope from setting (and restoring) the thread count
      if (users == 0) {
        saved = openblas_nolapack.blas_get_num_threads();
        if (saved > 1) {
          setThreads(1);
        }
      }
      users++;
    }
    return SCOPE;
  }

  @Override
  public void close() {
    synchronized (SingleThreadBlas.class) {
      if (--users == 0 && saved > 1) {
        setThreads(saved);
      }
    }
  }
}
