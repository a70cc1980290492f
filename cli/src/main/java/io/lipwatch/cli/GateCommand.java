package io.lipwatch.cli;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lipwatch gate}: the release gate of a CD pipeline. Optionally publishes the snapshot, waits for its verdict
 * (or its rejection) and turns it into the exit code.
 */
@Command(name = "gate", exitCodeOnInvalidInput = GateCommand.ERROR,
    description = "Wait for a model version's verdict on lipwatch.verdicts (or its rejection on lipwatch.snapshots.dlq), "
        + "print its checks, and exit with its outcome. With --publish it publishes the snapshot first and only counts "
        + "records written after that.",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:PASS", "1:FAIL (and WARN with --fail-on warn)", "2:WARN (0 with --fail-on fail)",
        "3:no verdict before --timeout, or the estimator rejected the snapshot (the DLQ reason is printed)",
        "4:usage or other error"})
public final class GateCommand implements Callable<Integer> {
  static final int PASS = 0;
  static final int FAIL = 1;
  static final int WARN = 2;
  static final int TIMEOUT_OR_REJECTED = 3;
  static final int ERROR = 4;

  /** What a WARN verdict does to the exit code. */
  enum FailOn { warn, fail }

  @Mixin
  HelpOption help;

  @Spec
  CommandSpec spec;

  @Mixin
  KafkaOptions kafka;

  @Option(names = "--model", required = true, paramLabel = "NAME", description = "Model name.")
  String model;

  @Option(names = "--version", required = true, paramLabel = "V", description = "The version to gate.")
  long version;

  @Option(names = "--timeout", converter = DurationConverter.class, defaultValue = "10m", paramLabel = "DURATION",
      description = "How long to wait for the verdict (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--publish", paramLabel = "FILE.zip",
      description = "Publish this model zip as --model/--version first (as `lipwatch publish` does, without the local check: "
          + "the estimator decides, and a rejection exits 3 with its reason).")
  Path publish;

  @Option(names = "--dataset", paramLabel = "NAME", description = "With --publish: the probe set name (lipwatch.dataset).")
  String dataset;

  @Option(names = "--input-range", defaultValue = "0,1", paramLabel = "LO,HI",
      description = "With --publish: input value range (default: ${DEFAULT-VALUE}).")
  String inputRange;

  @Option(names = "--snapshot-store", paramLabel = "DIR",
      description = "With --publish: directory for snapshots above the inline limit (claim check).")
  Path store;

  @Option(names = "--fail-on", paramLabel = "warn|fail",
      description = "warn: a WARN verdict exits 1 like FAIL; fail: a WARN verdict exits 0 (only FAIL blocks). "
          + "Default: WARN exits 2, for the pipeline to decide.")
  FailOn failOn;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    KafkaConnection connection;
    try {
      connection = kafka.connection();
    } catch (picocli.CommandLine.ParameterException e) {
      throw e;
    } catch (Exception e) {
      err.println("error: " + Errors.describe(e));
      return ERROR;
    }
    try (VerdictWaiter waiter = new VerdictWaiter(connection, model, version)) {
      if (publish != null) {
        waiter.mark(Duration.ofSeconds(60));
        publish(connection, out);
      }
      out.printf("waiting up to %s for the verdict of %s v%d…%n", timeout, model, version);
      out.flush();
      VerdictWaiter.Outcome o = waiter.await(timeout);
      int code = exitCode(o);
      print(o, out);
      out.printf("exit %d%n", code);
      out.flush();
      return code;
    } catch (Exception e) {
      // not 1 (that is FAIL) nor 2 (WARN): a gate that could not decide says so distinctly
      err.println("error: " + Errors.describe(e));
      return ERROR;
    }
  }

  private void publish(KafkaConnection connection, PrintWriter out) throws Exception {
    if (!Files.isRegularFile(publish)) {
      throw new NoSuchFileException(publish.toString(), null, "no such model file");
    }
    byte[] zip = Files.readAllBytes(publish);
    String[] r = inputRange.split(",");
    double[] range;
    try {
      range = new double[] {Double.parseDouble(r[0].trim()), Double.parseDouble(r[1].trim())};
    } catch (RuntimeException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--input-range must be LO,HI, got '" + inputRange + "'");
    }
    SnapshotMetadata meta = SnapshotMetadata.of(model, version, Sha256.hex(zip)).withProvenance(dataset, range, null, null, null, null, null);
    try (SnapshotPublisher p = new SnapshotPublisher(connection, SnapshotLimits.defaults(),
        store == null ? null : new DirectorySnapshotStore(store), null)) {
      RecordMetadata md = p.publish(meta, zip);
      out.printf("published %s v%d (%d bytes, sha256 %s) to %s partition %d offset %d%n", model, version, zip.length,
          meta.sha256(), md.topic(), md.partition(), md.offset());
    }
  }

  int exitCode(VerdictWaiter.Outcome o) {
    if (o.timedOut() || o.rejection() != null || rejectedCheck(o.verdict()) != null) {
      return TIMEOUT_OR_REJECTED;
    }
    return switch (o.verdict().verdict()) {
      case PASS -> PASS;
      case WARN -> failOn == null ? WARN : failOn == FailOn.warn ? FAIL : PASS;
      case FAIL -> FAIL;
    };
  }

  private void print(VerdictWaiter.Outcome o, PrintWriter out) {
    if (o.timedOut()) {
      out.printf("TIMEOUT: no verdict for %s v%d within %s (is the estimator and monitor running, and was this version "
          + "published?)%n", model, version, timeout);
      return;
    }
    if (o.rejection() != null) {
      DlqRecord d = o.rejection();
      out.printf("REJECTED: %s v%d: the estimator rejected this version (%s)%s%n", model, version, d.reason(),
          d.detail() == null ? "" : ": " + oneLine(d.detail()));
      return;
    }
    Verdict v = o.verdict();
    Verdict.Check rejected = rejectedCheck(v);
    if (rejected != null) {
      // the monitor's FAIL verdict for a DLQ record: its message names the reason and the detail
      out.printf("REJECTED: %s v%d: %s%n", model, version, rejected.message() == null ? rejected.reason() : oneLine(rejected.message()));
      return;
    }
    out.printf("%s: %s v%d%s%n", v.verdict(), model, version,
        v.baselineVersion() == null ? " (no baseline)" : " against " + v.baselineKind() + " baseline v" + v.baselineVersion());
    if (v.checks() != null) {
      int width = v.checks().stream().mapToInt(c -> c.name().length()).max().orElse(0);
      for (Verdict.Check c : v.checks()) {
        // the policy's message already states the values compared; the raw figures only when it has none
        out.printf("  %-4s %-" + width + "s  %s%n", c.status(), c.name(), c.message() == null ? figures(c).trim() : oneLine(c.message()));
      }
    }
  }

  private static Verdict.Check rejectedCheck(Verdict v) {
    if (v == null || v.checks() == null) {
      return null;
    }
    return v.checks().stream().filter(c -> VerdictPolicy.REJECTED_CHECK.equals(c.name())).findFirst().orElse(null);
  }

  private static String figures(Verdict.Check c) {
    StringBuilder b = new StringBuilder();
    append(b, "value", c.value());
    append(b, "baseline", c.baseline());
    append(b, "warn at", c.warnAt());
    append(b, "fail at", c.failAt());
    return b.toString();
  }

  private static void append(StringBuilder b, String name, Double x) {
    if (x != null) {
      b.append(' ').append(name).append(' ').append(String.format(Locale.ROOT, "%.4g", x));
    }
  }

  /** Untrusted text (a DLQ detail) on one printable line. */
  private static String oneLine(String s) {
    String t = s.replaceAll("\\p{Cntrl}", " ");
    return t.length() > 300 ? t.substring(0, 300) + "…" : t;
  }
}
