package io.lipwatch.estimator.bounds.lipsdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.bounds.lipsdp.LipSdp.Mode;
import io.lipwatch.estimator.bounds.lipsdp.LipSdpException.Reason;
import io.lipwatch.estimator.estimate.UpperBound;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The solver is never trusted: fake csdp executables that corrupt or withhold the answer. */
class LipSdpFailureTest {
  private static final String CSDP = "/usr/bin/csdp";

  @TempDir Path tmp;

  private final List<DenseMatrix> w = Nets.gaussian(new int[] {4, 12, 10, 3}, new Random(3));
  private final List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);

  /** A script run as "csdp in out": {@code body} sees the real solver as $CSDP. */
  private LipSdp.Limits fake(String body) throws IOException {
    Path script = tmp.resolve("fake-csdp-" + Integer.toHexString(body.hashCode()) + ".sh");
    Files.writeString(script, "#!/bin/sh\nCSDP=" + CSDP + "\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return LipSdp.Limits.defaults().withCsdpExecutable(script).withTimeout(Duration.ofSeconds(30));
  }

  private LipSdpException fails(LipSdp.Limits limits, Reason reason) {
    LipSdpException e = assertThrows(LipSdpException.class, () -> LipSdp.bound(w, acts, Mode.NEURON, limits));
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  @Test
  void realSolverPassesAndLeavesNoTemporaryFiles() throws IOException {
    long before = leftovers();
    UpperBound b = LipSdp.bound(w, acts, Mode.NEURON, fake("exec $CSDP \"$1\" \"$2\""));
    assertTrue(b.sound());
    assertEquals(before, leftovers());
  }

  private static long leftovers() throws IOException {
    try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("lipsdp")).count();
    }
  }

  @Test
  void slightlyLowRhoIsInflatedAndReported() throws IOException {
    UpperBound honest = LipSdp.bound(w, acts, Mode.NEURON, LipSdp.Limits.defaults());
    LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { $1 = sprintf(\"%.17g\", $1 * (1 - 1e-5)) } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"));
    assertTrue(s.bound().sound());
    assertTrue(s.inflation() > 1e-7 && s.inflation() < 1e-4, "inflation " + s.inflation());
    assertTrue(s.bound().note().contains("inflated by"), s.bound().note());
    assertEquals(honest.value(), s.bound().value(), 1e-4 * honest.value());
  }

  @Test
  void halvedRhoIsRejected() throws IOException {
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { $1 = $1 * 0.5 } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"),
        Reason.NOT_VERIFIED);
  }

  @Test
  void slightlyLowRhoIsRejectedBeyondTheAllowedInflation() throws IOException {
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { $1 = sprintf(\"%.17g\", $1 * 0.99) } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"),
        Reason.NOT_VERIFIED);
  }

  @Test
  void zeroedMultipliersAreRejected() throws IOException {
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { for (i = 2; i <= NF; i++) $i = 0 } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"),
        Reason.NOT_VERIFIED);
  }

  @Test
  void negativeMultipliersAreNotUsedAsIs() throws IOException {
    // flipping the sign of every t makes T ⪯ 0; clamped to 0 the answer cannot pass
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { for (i = 2; i <= NF; i++) $i = -$i } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"),
        Reason.NOT_VERIFIED);
  }

  @Test
  void truncatedSolutionIsGarbage() throws IOException {
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\nhead -c 30 \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"),
        Reason.GARBAGE);
  }

  @Test
  void nonNumbersAreGarbage() throws IOException {
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { $2 = \"nan\" } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"), Reason.GARBAGE);
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; rc=$?\n"
        + "awk 'NR==1 { $3 = \"x1\" } { print }' \"$2\" > \"$2.t\" && mv \"$2.t\" \"$2\"; exit $rc"), Reason.GARBAGE);
  }

  @Test
  void missingSolutionIsGarbage() throws IOException {
    fails(fake("exit 0"), Reason.GARBAGE);
  }

  @Test
  void infeasibleExitCodeIsReported() throws IOException {
    fails(fake("$CSDP \"$1\" \"$2\" >/dev/null; exit 2"), Reason.INFEASIBLE);
  }

  @Test
  void crashIsReported() throws IOException {
    LipSdpException e = fails(fake("echo 'segfault-ish' ; exit 139"), Reason.SOLVER_FAILED);
    assertTrue(e.getMessage().contains("139"), e.getMessage());
  }

  @Test
  void hangingSolverIsKilledAtTheTimeout() throws IOException {
    LipSdp.Limits limits = fake("sleep 60").withTimeout(Duration.ofMillis(700));
    long t0 = System.nanoTime();
    fails(limits, Reason.TIMEOUT);
    assertTrue((System.nanoTime() - t0) / 1e9 < 20, "killed promptly");
  }

  @Test
  void missingExecutableIsReported() {
    fails(LipSdp.Limits.defaults().withCsdpExecutable(tmp.resolve("no-such-csdp")), Reason.SOLVER_FAILED);
  }

  @Test
  void overTheSizeLimitIsAClearError() {
    List<DenseMatrix> big = Nets.gaussian(new int[] {10, 300, 150, 2}, new Random(1));
    LipSdpException e = assertThrows(LipSdpException.class,
        () -> LipSdp.bound(big, Nets.acts(2, Nets.RELU), Mode.NEURON, LipSdp.Limits.defaults()));
    assertEquals(Reason.TOO_LARGE, e.reason());
    assertTrue(e.getMessage().contains("450 hidden neurons") && e.getMessage().contains("400"), e.getMessage());
    LipSdpException e2 = assertThrows(LipSdpException.class,
        () -> LipSdp.bound(w, acts, Mode.NEURON, LipSdp.Limits.defaults().withMaxHiddenNeurons(10)));
    assertEquals(Reason.TOO_LARGE, e2.reason());
  }

  @Test
  void malformedInputsAreRejected() {
    assertEquals(Reason.UNSUPPORTED, assertThrows(LipSdpException.class,
        () -> LipSdp.bound(w, Nets.acts(1, Nets.RELU), Mode.NEURON, LipSdp.Limits.defaults())).reason());
    ActivationSpec softmax = new ActivationSpec("softmax", 0, 1, false);
    assertEquals(Reason.UNSUPPORTED, assertThrows(LipSdpException.class,
        () -> LipSdp.bound(w, List.of(Nets.RELU, softmax), Mode.NEURON, LipSdp.Limits.defaults())).reason());
    List<DenseMatrix> mismatched = List.of(w.get(0), w.get(2));
    assertEquals(Reason.UNSUPPORTED, assertThrows(LipSdpException.class,
        () -> LipSdp.bound(mismatched, List.of(Nets.RELU), Mode.NEURON, LipSdp.Limits.defaults())).reason());
  }
}
