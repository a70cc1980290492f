package io.lipwatch.estimator.probes;

import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * OpenBLAS on the calling thread only, while row blocks ({@link RowBlocks}) call sgemm from several threads at once:
 * OpenBLAS's thread count is one process-wide setting, and a multi-threaded call from each block thread would queue on
 * OpenBLAS's one set of workers (and their spin-waiting competes with the block threads for the cores). Nested and
 * concurrent scopes are counted; the last one out restores the previous setting (other BLAS users of the process run
 * single-threaded meanwhile: slower, same results). The row kernels' results are those of single-threaded calls on
 * blocks cut by the row count alone, whichever thread runs a block.
 */
final class SingleThreadBlas implements AutoCloseable {
  private static final SingleThreadBlas SCOPE = new SingleThreadBlas();
  private static int users;
  private static int saved;

  private SingleThreadBlas() {}

  static SingleThreadBlas enter() {
    synchronized (SingleThreadBlas.class) {
      // counted only once the native calls returned: a scope whose entry threw is never closed, and a count left
      // behind by it would keep every later scope from setting (and restoring) the thread count
      if (users == 0) {
        saved = openblas_nolapack.blas_get_num_threads();
        if (saved > 1) {
          openblas_nolapack.blas_set_num_threads(1);
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
        openblas_nolapack.blas_set_num_threads(saved);
      }
    }
  }
}
