package io.lipwatch.estimator.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rows of lipwatch vs PyTorch on the same work: times (median and min–max of interleaved repeats), the per-repeat
 * ratio, GFLOP/s of each side beside the measured sgemm peaks, and both sides' computed values.
 */
public final class CompareTable {
  /**
   * One row; torch and torchValues are null without PyTorch; flop is 0 when not counted; target is the wanted ratio
   * (NaN: none); values are what each side computed (robust accuracies, norms), named by valueLabel.
   */
  public record Row(String work, Repeats lipwatch, Repeats torch, double flop, double target, String valueLabel,
      double[] lipwatchValues, double[] torchValues) {
    public Repeats ratio() {
      return torch == null ? null : lipwatch.over(torch);
    }

    static String values(double[] v) {
      if (v == null) {
        return "-";
      }
      StringBuilder sb = new StringBuilder();
      for (double d : v) {
        sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.4g", d));
      }
      return sb.toString();
    }
  }

  private final String title;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  public CompareTable(String title) {
    this.title = title;
  }

  public void add(Row r) {
    rows.add(r);
  }

  public void note(String n) {
    notes.add(n);
  }

  public List<Row> rows() {
    return List.copyOf(rows);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(title).append(System.lineSeparator());
    String fmt = "%-30s %-26s %-26s %-22s %-13s %s%n";
    sb.append(String.format(Locale.ROOT, fmt, "work", "lipwatch", "PyTorch", "ratio (≤ 1 is faster)", "GFLOP/s lw/pt",
        "values lipwatch | PyTorch"));
    for (Row r : rows) {
      String gf = "";
      if (r.flop > 0) {
        gf = String.format(Locale.ROOT, "%.1f/%s", r.flop / r.lipwatch.median() / 1e9,
            r.torch == null ? "-" : String.format(Locale.ROOT, "%.1f", r.flop / r.torch.median() / 1e9));
      }
      String ratio = r.torch == null ? "-" : r.ratio().ratio();
      if (r.torch != null && !Double.isNaN(r.target)) {
        ratio += r.ratio().median() <= r.target ? " ok" : " MISS";
      }
      sb.append(String.format(Locale.ROOT, fmt, r.work, r.lipwatch.seconds(), r.torch == null ? "-" : r.torch.seconds(),
          ratio, gf, r.valueLabel + " " + Row.values(r.lipwatchValues)
              + (r.torchValues == null ? "" : " | " + Row.values(r.torchValues))));
    }
    for (String n : notes) {
      sb.append(n).append(System.lineSeparator());
    }
    return sb.toString();
  }
}
