package io.lipwatch.estimator.bounds.lipsdp;

import io.lipwatch.estimator.bounds.lipsdp.LipSdpException.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the CSDP command-line solver ({@code csdp in.dat-s out.sol}) as a child process in a private working directory
 * (so no stray {@code param.csdp} changes its settings), with a wall-clock budget: past it the process and its
 * descendants are killed. Only the y vector (first line of the solution file) is read back; it is checked for shape
 * and finiteness here and for meaning by {@link LmiCertificate}.
 */
final class CsdpRunner {
  private static final Pattern ITER = Pattern.compile("Iter:\\s*(\\d+)");

  private CsdpRunner() {}

  /** What CSDP returned: its exit code, y (null when there is no usable solution file), iterations and log tail. */
  record Result(int exitCode, double[] y, int iterations, double seconds, String logTail) {}

  /** CSDP's documented exit codes. */
  static String describe(int code) {
    return switch (code) {
      case 0 -> "success";
      case 1 -> "primal infeasible";
      case 2 -> "dual infeasible";
      case 3 -> "partial success (full accuracy not reached)";
      case 4 -> "maximum iterations reached";
      case 5 -> "stuck at edge of primal feasibility";
      case 6 -> "stuck at edge of dual feasibility";
      case 7 -> "lack of progress";
      case 8 -> "X, Z or O singular";
      case 9 -> "NaN or Inf detected";
      default -> "unknown exit code";
    };
  }

  /**
   * Runs the solver on {@code problem} inside {@code workDir}; the solution goes to {@code workDir/out.sol}.
   *
   * @param m the expected length of y
   */
  static Result run(Path executable, Path workDir, Path problem, int m, Duration timeout, int threads) {
    Path sol = workDir.resolve("out.sol");
    Path log = workDir.resolve("csdp.log");
    ProcessBuilder pb = new ProcessBuilder(executable.toString(), problem.toAbsolutePath().toString(),
        sol.toAbsolutePath().toString());
    pb.directory(workDir.toFile());
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(Math.max(1, threads)));
    long t0 = System.nanoTime();
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new LipSdpException(Reason.SOLVER_FAILED, "cannot start " + executable + ": " + e.getMessage(), e);
    }
    boolean finished;
    try {
      finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new LipSdpException(Reason.SOLVER_FAILED, "interrupted while waiting for csdp", e);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (!finished) {
      kill(p);
      throw new LipSdpException(Reason.TIMEOUT,
          String.format("csdp did not finish within %.1f s and was killed", timeout.toMillis() / 1000.0));
    }
    int code = p.exitValue();
    String tail = tail(log);
    int iterations = lastIteration(log);
    double[] y = Files.isRegularFile(sol) ? readY(sol, m) : null;
    return new Result(code, y, iterations, seconds, tail);
  }

  /**
   * The first line of a CSDP solution file: exactly m finite numbers, or a {@link Reason#GARBAGE} exception.
   */
  static double[] readY(Path sol, int m) {
    String first;
    try (BufferedReader r = Files.newBufferedReader(sol, StandardCharsets.US_ASCII)) {
      first = r.readLine();
    } catch (IOException e) {
      throw new LipSdpException(Reason.GARBAGE, "cannot read solution file: " + e.getMessage(), e);
    }
    if (first == null || first.isBlank()) {
      throw new LipSdpException(Reason.GARBAGE, "empty solution file");
    }
    String[] tok = first.trim().split("\\s+");
    if (tok.length != m) {
      throw new LipSdpException(Reason.GARBAGE, "solution has " + tok.length + " values for y, expected " + m);
    }
    double[] y = new double[m];
    for (int i = 0; i < m; i++) {
      try {
        y[i] = Double.parseDouble(tok[i]);
      } catch (NumberFormatException e) {
        throw new LipSdpException(Reason.GARBAGE, "y[" + i + "] is not a number: '" + abbreviate(tok[i]) + "'");
      }
      if (!Double.isFinite(y[i])) {
        throw new LipSdpException(Reason.GARBAGE, "y[" + i + "] is " + y[i]);
      }
    }
    return y;
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.io.File nullDevice() {
    return new java.io.File("/dev/null");
  }

  private static String tail(Path log) {
    try {
      if (!Files.isRegularFile(log)) {
        return "";
      }
      String s = Files.readString(log, StandardCharsets.ISO_8859_1);
      return s.length() > 600 ? s.substring(s.length() - 600) : s;
    } catch (IOException e) {
      return "";
    }
  }

  private static int lastIteration(Path log) {
    try {
      if (!Files.isRegularFile(log) || Files.size(log) > 10_000_000) {
        return -1;
      }
      Matcher m = ITER.matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
      int last = -1;
      while (m.find()) {
        last = Integer.parseInt(m.group(1));
      }
      return last;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
