package io.lipwatch.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes what was registered, last first (a service before the broker it talks to), logging rather than stopping on
 * a failure so every resource gets its close. Shared by the demo and the long-running verbs.
 */
final class Closer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Closer.class);
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  synchronized <T extends AutoCloseable> T register(T resource) {
    resources.push(resource);
    return resource;
  }

  @Override
  public synchronized void close() {
    while (!resources.isEmpty()) {
      AutoCloseable r = resources.pop();
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("error while closing {}: {}", r.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
