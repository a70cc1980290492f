package io.lipwatch.estimator.probes;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Finished runs' buffers kept by key for the next runs, bounded: at most {@code perKey} per key and {@code keys} keys
 * (a run with a new shape after that allocates its own, and its buffers are dropped). The attack loops' batch-sized
 * arrays (by length) and the row kernels' off-heap buffers (by layer widths) each keep one; thread-safe.
 */
final class BoundedPool<K, V> {
  private final ConcurrentHashMap<K, ConcurrentLinkedQueue<V>> idle = new ConcurrentHashMap<>();
  private final int keys;
  private final int perKey;

  BoundedPool(int keys, int perKey) {
    this.keys = keys;
    this.perKey = perKey;
  }

  /** A kept value for this key, or null. */
  V poll(K key) {
    ConcurrentLinkedQueue<V> q = idle.get(key);
    return q == null ? null : q.poll();
  }

  /** Keeps the value when there is room for it. */
  void offer(K key, V value) {
    ConcurrentLinkedQueue<V> q = idle.get(key);
    if (q == null && idle.size() < keys) {
      q = idle.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
    }
    if (q != null && q.size() < perKey) {
      q.add(value);
    }
  }
}
