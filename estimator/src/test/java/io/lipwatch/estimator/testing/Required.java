package io.lipwatch.estimator.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A tool or dataset a test needs. Under {@code CI=true} its absence fails the test, so a green CI run never hides a
 * check that did not run; elsewhere the test is skipped. Either way the message names the Debian package to install.
 * Lives in the estimator's test-jar, which every other module's tests already use.
 */
public final class Required {
  private Required() {}

  /** True when the environment variable CI is "true" (set by .ci/run and by most CI services). */
  public static boolean ci() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The executable {@code name} on the PATH; if absent, fails (CI) or skips, naming {@code debianPackage}. */
  public static Path tool(String name, String debianPackage) {
    Path found = onPath(name, System.getenv().getOrDefault("PATH", ""));
    check(found != null, "`" + name + "` is not on the PATH", debianPackage, ci());
    return found;
  }

  /** The dataset directory {@code dir}; if absent, fails (CI) or skips, naming {@code debianPackage}. */
  public static Path dataset(Path dir, String debianPackage) {
    check(Files.isDirectory(dir), "dataset directory " + dir + " does not exist", debianPackage, ci());
    return dir;
  }

  /** A Python 3 module importable by /usr/bin/python3; if absent, fails (CI) or skips, naming {@code debianPackage}. */
  public static void pythonModule(String module, String debianPackage) {
    boolean present;
    try {
      Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import " + module).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      present = p.waitFor() == 0;
    } catch (java.io.IOException e) {
      present = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      present = false;
    }
    check(present, "python3 cannot import " + module, debianPackage, ci());
  }

  /** The decision itself: nothing when present; else an assertion failure under CI, a skip (aborted test) otherwise. */
  static void check(boolean present, String what, String debianPackage, boolean ci) {
    if (present) {
      return;
    }
    String msg = what + " — install it: apt-get install -y " + debianPackage + " (`./lipwatch test` does)";
    if (ci) {
      Assertions.fail(msg + "; CI=true, so a missing requirement fails instead of skipping");
    }
    Assumptions.abort(msg + "; skipped (set CI=true to make this a failure)");
  }

  static Path onPath(String name, String path) {
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
