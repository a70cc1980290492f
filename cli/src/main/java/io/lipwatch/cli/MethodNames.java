package io.lipwatch.cli;

import io.lipwatch.estimator.bounds.BoundMethods;
import java.util.Iterator;
import java.util.List;

/**
 * The names {@code --methods} accepts, read from the engine's registry (so a new bound method appears in the help
 * without touching the CLI), and the check that every given name is one of them.
 */
final class MethodNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return BoundMethods.standard().names().iterator();
  }

  /** Throws a usage error naming the unknown methods and the known ones. */
  static void check(List<String> given, picocli.CommandLine.Model.CommandSpec spec) {
    if (given == null) {
      return;
    }
    var known = BoundMethods.standard().names();
    List<String> unknown = given.stream().filter(m -> !known.contains(m)).toList();
    if (!unknown.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "unknown method(s) " + unknown + " in --methods; known: " + String.join(", ", known));
    }
  }
}
