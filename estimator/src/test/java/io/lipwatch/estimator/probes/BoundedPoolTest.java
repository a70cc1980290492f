package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool keeps at most its bound per key and its number of keys, and hands back what it kept. */
class BoundedPoolTest {
  @Test
  void keepsAtMostItsBounds() {
    BoundedPool<Integer, Object> pool = new BoundedPool<>(2, 3);
    Object a = new Object();
    pool.offer(1, a);
    assertSame(a, pool.poll(1));
    assertNull(pool.poll(1), "handed out once");
    for (int i = 0; i < 5; i++) {
      pool.offer(1, new Object());
    }
    Set<Object> back = new HashSet<>();
    for (Object o = pool.poll(1); o != null; o = pool.poll(1)) {
      back.add(o);
    }
    assertEquals(3, back.size(), "at most 3 per key");
    pool.offer(2, new Object());
    pool.offer(3, new Object());
    assertNull(pool.poll(3), "a third key is not kept");
    assertEquals(Object.class, pool.poll(2).getClass());
  }
}
