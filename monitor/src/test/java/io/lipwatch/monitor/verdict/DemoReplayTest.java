package io.lipwatch.monitor.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lipwatch.estimator.estimate.Verdict;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The figures of a recorded demo run ({@code demo --scenario normal --every 5s}, 24 versions, resource
 * drift/demo-normal.jsonl) replayed through the policy. As recorded, CLIP did not hold the bound: bestUpper 71.6 → 131.5
 * (+2.5–3 % a version) and FGSM-L2 robust accuracy 0.277 → 0.195, each step within the step thresholds: the reference
 * check must catch it. With the drift taken out (every series minus its least-squares line, the real residual noise
 * kept), no reference or trend check may fire.
 */
class DemoReplayTest {
  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  static List<VersionSummary> recorded() throws Exception {
    List<VersionSummary> out = new ArrayList<>();
    var in = DemoReplayTest.class.getResourceAsStream("/drift/demo-normal.jsonl");
    assertNotNull(in, "drift/demo-normal.jsonl");
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        out.add(JSON.readValue(line, VersionSummary.class));
      }
    }
    return out;
  }

  static List<Verdict> judge(List<VersionSummary> versions, Policy p) {
    DriftNoiseTest.Judge j = new DriftNoiseTest.Judge(p);
    return versions.stream().map(j::next).toList();
  }

  static boolean fired(Verdict v, String prefix) {
    return v.checks().stream().anyMatch(c -> c.name().startsWith(prefix) && !Verdict.PASS.equals(c.status()));
  }

  static String table(List<Verdict> vs) {
    StringBuilder b = new StringBuilder();
    for (Verdict v : vs) {
      b.append(String.format(Locale.ROOT, "v%-3d %-4s ref v%s %s%n", v.version(), v.verdict(), v.referenceVersion(),
          v.checks().stream().filter(c -> !Verdict.PASS.equals(c.status())).map(c -> c.name() + "=" + c.status()).toList()));
    }
    return b.toString();
  }

  @Test
  void theRecordedDemoDriftWarnsAtV7AgainstItsReference() throws Exception {
    List<VersionSummary> rec = recorded();
    assertEquals(24, rec.size());
    List<Verdict> v = judge(rec, Policy.defaults());
    System.out.println("[demo-replay] recorded demo, default policy\n" + table(v));
    int first = v.stream().filter(x -> fired(x, "reference-")).mapToInt(x -> (int) x.version()).min().orElse(-1);
    assertEquals(7, first, table(v));
    Verdict v7 = v.get(6);
    assertEquals(88.24 / 71.62, v7.checks().stream().filter(c -> c.name().equals("reference-best-upper-growth"))
        .findFirst().orElseThrow().value(), 1e-3);
    assertTrue(v.subList(6, 24).stream().allMatch(x -> fired(x, "reference-best-upper-growth")), table(v));
    assertTrue(v.subList(1, 21).stream().allMatch(x -> x.referenceVersion() == 1L), "v1 has the smallest bound");
    // v22: v1 left the 20-version window; v2–v6 are the only PASS versions left in it, v2 the smallest bound
    assertEquals(List.of(2L, 3L, 4L), v.subList(21, 24).stream().map(Verdict::referenceVersion).toList());
    // what the step checks alone say: every version within ×1.10 of the last PASS
    List<Verdict> stepOnly = judge(rec, Policy.defaults().withReference(
        new ReferencePolicy(null, null, null, null, null, null, null, null, 20, 30.0)));
    assertTrue(stepOnly.stream().noneMatch(x -> fired(x, "best-upper-growth")), table(stepOnly));
  }

  @Test
  void theDemoWithoutItsDriftFiresNoReferenceOrTrendCheck() throws Exception {
    List<VersionSummary> flat = detrended(recorded());
    List<Verdict> v = judge(flat, Policy.defaults().withTrend(new TrendPolicy(true, 8, 5)));
    String t = table(v);
    System.out.println("[demo-replay] demo with the drift removed (residual noise kept), trend on\n" + t);
    assertTrue(v.stream().noneMatch(x -> fired(x, "reference-") || fired(x, "trend-")), t);
  }

  /** Each series minus its least-squares line over all versions, back at the line's first value (bounds: ratio). */
  static List<VersionSummary> detrended(List<VersionSummary> rec) {
    int n = rec.size();
    Function<List<Double>, double[]> line = ys -> {
      TrendLine l = TrendLine.fit(ys, 2);
      double[] fit = new double[n];
      for (int i = 0; i < n; i++) {
        fit[i] = l.atLast() - l.slope() * (n - 1 - i);
      }
      return fit;
    };
    double[] upper = line.apply(rec.stream().map(VersionSummary::bestUpper).toList());
    double[] clean = line.apply(rec.stream().map(VersionSummary::cleanAccuracy).toList());
    Map<String, double[]> robust = new TreeMap<>();
    rec.get(0).robustAccuracy().keySet().forEach(k -> robust.put(k, line.apply(rec.stream().map(s -> s.robustAccuracy().get(k)).toList())));
    Map<String, double[]> certified = new TreeMap<>();
    rec.get(0).certifiedAccuracy().keySet().forEach(k -> certified.put(k,
        line.apply(rec.stream().map(s -> s.certifiedAccuracy().get(k)).toList())));
    List<VersionSummary> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      VersionSummary s = rec.get(i);
      int at = i;
      Map<String, Double> r = new TreeMap<>();
      s.robustAccuracy().forEach((k, y) -> r.put(k, y - robust.get(k)[at] + robust.get(k)[0]));
      Map<String, Double> c = new TreeMap<>();
      s.certifiedAccuracy().forEach((k, y) -> c.put(k, y - certified.get(k)[at] + certified.get(k)[0]));
      double u = s.bestUpper() * upper[0] / upper[i];
      out.add(new VersionSummary(s.version(), null, s.estimatedAt(), u, s.bestLower() * upper[0] / upper[i],
          s.cleanAccuracy() - clean[i] + clean[0], r, c, null, null, null, null, null, null, null, null));
    }
    return out;
  }
}
