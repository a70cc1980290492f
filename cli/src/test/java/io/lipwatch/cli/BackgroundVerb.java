package io.lipwatch.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;

/**
 * A long-running verb (estimator, monitor) parsed from real command-line arguments and run on its own thread, as
 * {@code lipwatch <verb> …} would run it. Closing interrupts its wait, which closes its services the way Ctrl-C does.
 */
final class BackgroundVerb implements AutoCloseable {
  private final String name;
  private final Thread thread;
  private final AtomicReference<Object> outcome = new AtomicReference<>();

  BackgroundVerb(String name, Callable<Integer> command, String... args) {
    this.name = name;
    new CommandLine(command).parseArgs(args);
    thread = new Thread(() -> {
      try {
        outcome.set("exited with code " + command.call());
      } catch (InterruptedException e) {
        outcome.set("stopped");
      } catch (Throwable t) {
        outcome.set(t);
      }
    }, "it-" + name);
    thread.start();
  }

  /** Fails if the verb has stopped on its own (a refused connection, a bad flag): waiting on it would only time out. */
  void assertRunning() {
    Object o = outcome.get();
    if (o instanceof Throwable t) {
      throw new AssertionError(name + " failed", t);
    }
    if (o != null) {
      throw new AssertionError(name + " " + o);
    }
  }

  @Override
  public void close() throws InterruptedException {
    thread.interrupt();
    thread.join(Duration.ofSeconds(60).toMillis());
    if (thread.isAlive()) {
      throw new AssertionError(name + " did not stop within 60 s");
    }
    if (outcome.get() instanceof Throwable t) {
      throw new AssertionError(name + " failed", t);
    }
  }
}
