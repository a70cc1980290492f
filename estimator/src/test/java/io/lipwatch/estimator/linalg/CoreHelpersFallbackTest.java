package io.lipwatch.estimator.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where JNA's native part cannot be unpacked (no writable temporary directory, as in a locked-down container), the
 * affinity calls are unavailable and the helpers still run every block: placement is an optimisation, never a
 * requirement. Checked in a child JVM, since the affinity binding is made once per process.
 */
class CoreHelpersFallbackTest {

  /** The child: runs blocks through the helpers and prints what it saw. */
  public static void main(String[] args) {
    AtomicLong sum = new AtomicLong();
    for (int r = 0; r < 20; r++) {
      CoreHelpers.forEachBlock(6, b -> sum.addAndGet(b + 1));
    }
    System.out.println("available=" + CpuAffinity.available() + " cpu=" + CpuAffinity.currentCpu() + " sum=" + sum.get()
        + " helpers=" + CoreHelpers.count());
  }

  @Test
  void withoutAWritableTempDirTheHelpersStillRunEveryBlock(@TempDir Path dir) throws Exception {
    // under a plain file: no directory can be made there (root's permissions would not stop it)
    Path missing = Files.writeString(dir.resolve("a-file"), "").resolve("tmp");
    Path out = dir.resolve("child.out");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + missing, "-Djna.tmpdir=" + missing, "-cp", System.getProperty("java.class.path"),
        CoreHelpersFallbackTest.class.getName()))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not finish");
    String text = read(out);
    assertEquals(0, p.exitValue(), text);
    assertTrue(text.contains("available=false cpu=-1 sum=420 "), text);
  }

  @Test
  void anyFailureOfTheBindingButTheJvmsOwnMeansUnavailable() {
    long[] mask = {3};
    assertSame(mask, CpuAffinity.load(() -> mask));
    // JNA throws plain Errors (an incompatible native part installed), besides LinkageErrors and RuntimeExceptions
    for (Throwable t : new Throwable[] {new Error("There is an incompatible JNA native library installed"),
        new UnsatisfiedLinkError("libc"), new ExceptionInInitializerError("jna"), new IllegalStateException("x")}) {
      assertNull(CpuAffinity.load(() -> {
        throwUnchecked(t);
        return mask;
      }), t.toString());
    }
    for (VirtualMachineError t : new VirtualMachineError[] {new OutOfMemoryError("heap"), new StackOverflowError()}) {
      assertSame(t, assertThrows(VirtualMachineError.class, () -> CpuAffinity.load(() -> {
        throw t;
      })));
    }
  }

  private static void throwUnchecked(Throwable t) {
    if (t instanceof Error e) {
      throw e;
    }
    throw (RuntimeException) t;
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
