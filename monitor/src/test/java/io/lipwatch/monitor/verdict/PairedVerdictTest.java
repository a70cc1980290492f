package io.lipwatch.monitor.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.OutcomeBits;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.SampleOutcomes;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.estimate.Verdict.Check;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accuracy checks on hand-built estimates of 256 samples: paired by McNemar's exact test when both versions carry
 * outcomes on the same samples, unpaired (the thresholds alone, as before) otherwise, with the reason in the check.
 */
class PairedVerdictTest {
  static final int N = 256;
  static final String PGD = "pgd/l2/2.0";
  @TempDir
  Path tmp;

  /** Outcomes of a stable version: clean 224, every attack and the certified radius 80 of 256 (the first ones). */
  static Map<String, boolean[]> base() {
    Map<String, boolean[]> m = new HashMap<>();
    m.put(PairedEstimates.CLEAN, PairedEstimates.firstSet(N, 224));
    for (Object[] a : PairedEstimates.ATTACKS) {
      m.put(PairedEstimates.key(a), PairedEstimates.firstSet(N, 80));
    }
    m.put(PairedEstimates.CERTIFIED, PairedEstimates.firstSet(N, 80));
    return m;
  }

  /** The base's PGD-L2 outcomes with {@code lost} of its robust samples broken and {@code gained} others robust. */
  static Map<String, boolean[]> pgdMoved(int lost, int gained) {
    return moved(base(), PGD, lost, gained);
  }

  /** These outcomes with {@code lost} of the key's passing samples (the first 80) failing and {@code gained} others passing. */
  static Map<String, boolean[]> moved(Map<String, boolean[]> m, String key, int lost, int gained) {
    boolean[] b = m.get(key).clone();
    for (int i = 0; i < lost; i++) {
      b[i] = false;
    }
    for (int i = 0; i < gained; i++) {
      b[100 + i] = true;
    }
    Map<String, boolean[]> out = new HashMap<>(m);
    out.put(key, b);
    return out;
  }

  static Verdict judge(Estimate before, Estimate now, Policy p) {
    VersionSummary b = VersionSummary.of(before).withVerdict(new Verdict("m", before.version(), Verdict.PASS, List.of(), null,
        null, "now"));
    return new VerdictPolicy(p).decide("m", VersionSummary.of(now), b, Baselines.LAST_PASS);
  }

  static Check check(Verdict v, String name) {
    return v.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(name
        + " missing: " + v.checks()));
  }

  @Test
  void aDropAboveTheThresholdWithinSamplingNoisePasses() {
    // 10 lost, 2 gained: −3.1 points, WARN by the threshold; p = 79/4096 = 0.019 ≥ 0.01
    Estimate v1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    Estimate v2 = PairedEstimates.estimate("m", 2, 10, pgdMoved(10, 2), true, PairedEstimates.SAMPLES_SHA);
    Verdict v = judge(v1, v2, Policy.defaults());
    Check c = check(v, "robust-accuracy:" + PGD);
    assertEquals(Verdict.PASS, c.status(), c.message());
    assertEquals(McNemar.EXACT, c.test());
    assertEquals(79.0 / 4096, c.pValue(), 1e-15);
    assertEquals(10, c.discordantLost());
    assertEquals(2, c.discordantGained());
    assertTrue(c.message().contains("10 lost, 2 gained") && c.message().contains("within sampling noise"), c.message());
    assertEquals(Verdict.PASS, v.verdict(), v.checks().toString());
    // the unchanged checks are paired too, with nothing discordant
    Check clean = check(v, "clean-accuracy");
    assertEquals(McNemar.EXACT, clean.test());
    assertEquals(1.0, clean.pValue());
    assertEquals(0, clean.discordantLost());
  }

  @Test
  void aSignificantDropAboveTheThresholdWarnsOrFails() {
    Estimate v1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    // 12 lost, 0 gained: −4.7 points, p = 2^-12 below 0.01/5 (Holm over the 5 paired checks) → WARN
    Check warn = check(judge(v1, PairedEstimates.estimate("m", 2, 10, pgdMoved(12, 0), true, PairedEstimates.SAMPLES_SHA),
        Policy.defaults()), "robust-accuracy:" + PGD);
    assertEquals(Verdict.WARN, warn.status(), warn.message());
    assertEquals(Math.pow(2, -12), warn.pValue(), 1e-18);
    // 12 lost, 2 gained: −3.9 points, p = (C(14,12)+C(14,13)+C(14,14))/2^14 = 106/16384 = 0.0065: below 0.01 alone,
    // not below 0.01/5 → PASS
    Check noise = check(judge(v1, PairedEstimates.estimate("m", 2, 10, pgdMoved(12, 2), true, PairedEstimates.SAMPLES_SHA),
        Policy.defaults()), "robust-accuracy:" + PGD);
    assertEquals(Verdict.PASS, noise.status(), noise.message());
    assertEquals(106.0 / 16384, noise.pValue(), 1e-15);
    assertTrue(noise.message().contains("≥ 0.002 (α=0.01 over 5 paired tests, Holm)"), noise.message());
    // 26 lost, 0 gained: −10.2 points, p = 2^-26 → FAIL
    Check fail = check(judge(v1, PairedEstimates.estimate("m", 2, 10, pgdMoved(26, 0), true, PairedEstimates.SAMPLES_SHA),
        Policy.defaults()), "robust-accuracy:" + PGD);
    assertEquals(Verdict.FAIL, fail.status(), fail.message());
    assertEquals(Math.pow(2, -26), fail.pValue(), 1e-20);
    // significant (at 0.1) but below the threshold: 4 lost, 0 gained, p = 1/16, −1.6 points < 2 → PASS
    Check small = check(judge(v1, PairedEstimates.estimate("m", 2, 10, pgdMoved(4, 0), true, PairedEstimates.SAMPLES_SHA),
        Policy.defaults().withSignificance(new SignificancePolicy(0.1, SignificancePolicy.VERDICT))), "robust-accuracy:" + PGD);
    assertEquals(Verdict.PASS, small.status(), small.message());
    assertEquals(1.0 / 16, small.pValue(), 1e-15);
  }

  @Test
  void withoutASignificanceLevelTheThresholdsAloneDecideAndThePValueIsReported() {
    Estimate v1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    Estimate v2 = PairedEstimates.estimate("m", 2, 10, pgdMoved(10, 2), true, PairedEstimates.SAMPLES_SHA);
    Check c = check(judge(v1, v2, Policy.defaults().withSignificance(new SignificancePolicy(null, SignificancePolicy.VERDICT))), "robust-accuracy:" + PGD);
    assertEquals(Verdict.WARN, c.status());
    assertEquals(79.0 / 4096, c.pValue(), 1e-15);
  }

  @Test
  void withoutOutcomesOrOnOtherSamplesTheOldUnpairedRuleApplies() {
    Map<String, boolean[]> moved = pgdMoved(10, 2);
    Estimate paired1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    Estimate bare1 = PairedEstimates.estimate("m", 1, 10, base(), false, PairedEstimates.SAMPLES_SHA);
    Estimate paired2 = PairedEstimates.estimate("m", 2, 10, moved, true, PairedEstimates.SAMPLES_SHA);
    Estimate bare2 = PairedEstimates.estimate("m", 2, 10, moved, false, PairedEstimates.SAMPLES_SHA);
    Estimate other2 = PairedEstimates.estimate("m", 2, 10, moved, true, "6".repeat(64));
    Map<String, String> why = Map.of(
        "no per-sample outcomes in v1", "baseline bare",
        "no per-sample outcomes in this version", "current bare",
        "probed on other samples", "other samples");
    for (Estimate[] pair : List.of(new Estimate[] {bare1, paired2}, new Estimate[] {paired1, bare2},
        new Estimate[] {paired1, other2})) {
      Check c = check(judge(pair[0], pair[1], Policy.defaults()), "robust-accuracy:" + PGD);
      assertEquals(Verdict.WARN, c.status(), c.message());
      assertEquals(McNemar.UNPAIRED, c.test());
      assertNull(c.pValue());
      assertNull(c.discordantLost());
      assertTrue(why.keySet().stream().anyMatch(w -> c.message().contains("unpaired: " + w)), c.message());
    }
  }

  @Test
  void outcomeBitsThatContradictTheReportedAccuracyAreNotUsed() {
    Estimate v1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    Estimate v2 = PairedEstimates.estimate("m", 2, 10, pgdMoved(10, 2), true, PairedEstimates.SAMPLES_SHA);
    // v2 claims PGD-L2 0.25 but its bits say 72/256: the bits are dropped, the check is unpaired
    Probes p = v2.probes();
    List<Probes.AttackResult> attacks = p.attacks().stream().map(a -> a.attack().equals("pgd") && a.norm().equals("l2")
        ? new Probes.AttackResult(a.attack(), a.norm(), a.eps(), null, null, 0.25, 0.1) : a).toList();
    Estimate lying = v2.withProbes(new Probes(p.dataset(), p.samples(), p.cleanAccuracy(), p.noiseAccuracy(), attacks,
        p.certified(), null, 1.0, p.outcomes()));
    Check c = check(judge(v1, lying, Policy.defaults()), "robust-accuracy:" + PGD);
    assertEquals(McNemar.UNPAIRED, c.test(), c.message());
    assertTrue(c.message().contains("no per-sample outcomes of this check in this version"), c.message());
    // malformed bits (wrong length) are dropped the same way
    SampleOutcomes o = v2.probes().outcomes();
    SampleOutcomes shortBits = new SampleOutcomes(o.encoding(), o.samples(), o.samplesSha256(),
        OutcomeBits.encode(new boolean[8]), o.attacks(), o.certified());
    VersionSummary s = VersionSummary.of(v2.withProbes(v2.probes().withOutcomes(shortBits)));
    assertNull(s.outcomes().clean());
    assertNotNull(s.outcomes().robust().get(PGD));
  }

  @Test
  void onlyTheGlobalCertificatesOutcomesArePaired() {
    // one radius certified three ways (global 80, pairwise 90, local 100 of 256): the verdict compares the global one
    Estimate e = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    Probes p = e.probes();
    SampleOutcomes o = p.outcomes();
    List<Probes.CertifiedAccuracy> certified = List.of(p.certified().get(0),
        new Probes.CertifiedAccuracy("l2", 0.1, 90 / 256.0, "pairwise"), new Probes.CertifiedAccuracy("l2", 0.1, 100 / 256.0, "local"));
    List<SampleOutcomes.CertifiedOutcomes> bits = List.of(o.certified().get(0),
        new SampleOutcomes.CertifiedOutcomes("l2", 0.1, "pairwise", OutcomeBits.encode(PairedEstimates.firstSet(N, 90))),
        new SampleOutcomes.CertifiedOutcomes("l2", 0.1, "local", OutcomeBits.encode(PairedEstimates.firstSet(N, 100))));
    Estimate three = e.withProbes(new Probes(p.dataset(), p.samples(), p.cleanAccuracy(), p.noiseAccuracy(), p.attacks(),
        certified, null, 1.0, new SampleOutcomes(o.encoding(), o.samples(), o.samplesSha256(), o.clean(), o.attacks(), bits)));
    VersionSummary s = VersionSummary.of(three);
    assertEquals(80 / 256.0, s.certifiedAccuracy().get(PairedEstimates.CERTIFIED));
    assertEquals(o.certified().get(0).certified(), s.outcomes().certified().get(PairedEstimates.CERTIFIED));
    assertEquals(1, s.outcomes().certified().size());
  }

  @Test
  void theReferenceComparisonIsPairedToo() {
    Estimate v1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    // −6.3 points against the reference (WARN at 5): 18 lost, 2 gained is significant (p ≈ 2e-4) → WARN
    Estimate v2 = PairedEstimates.estimate("m", 2, 10, pgdMoved(18, 2), true, PairedEstimates.SAMPLES_SHA);
    VersionSummary ref = VersionSummary.of(v1).withVerdict(new Verdict("m", 1, Verdict.PASS, List.of(), null, null, "now"));
    Verdict v = new VerdictPolicy(Policy.defaults()).decide("m", VersionSummary.of(v2),
        new Baselines(null, null, ref, Baselines.BEST_PASS, List.of()));
    Check c = check(v, "reference-robust-accuracy:" + PGD);
    assertEquals(Verdict.WARN, c.status(), c.message());
    assertEquals(McNemarTest.exact(18, 2), c.pValue(), 1e-15);
    assertEquals(VerdictPolicy.REFERENCE, c.baselineKind());
  }

  @Test
  void holmStepsDownOverTheVerdictsPairedChecks() {
    Estimate v1 = PairedEstimates.estimate("m", 1, 10, base(), true, PairedEstimates.SAMPLES_SHA);
    String fgsm = "fgsm/l2/2.0";
    // PGD-L2 12 lost (p = 2^-12 < 0.01/5), FGSM 9 lost (p = 2^-9 = 0.00195 < 0.01/4): both significant, both WARN
    Verdict both = judge(v1, PairedEstimates.estimate("m", 2, 10, moved(pgdMoved(12, 0), fgsm, 9, 0), true,
        PairedEstimates.SAMPLES_SHA), Policy.defaults());
    assertEquals(Verdict.WARN, check(both, "robust-accuracy:" + PGD).status());
    assertEquals(Verdict.WARN, check(both, "robust-accuracy:" + fgsm).status());
    // FGSM 10 lost, 1 gained (p = 12/2048 = 0.0059 ≥ 0.01/4): the step-down stops there, FGSM passes
    Verdict one = judge(v1, PairedEstimates.estimate("m", 2, 10, moved(pgdMoved(12, 0), fgsm, 10, 1), true,
        PairedEstimates.SAMPLES_SHA), Policy.defaults());
    assertEquals(Verdict.WARN, check(one, "robust-accuracy:" + PGD).status());
    Check f = check(one, "robust-accuracy:" + fgsm);
    assertEquals(12.0 / 2048, f.pValue(), 1e-15);
    assertEquals(Verdict.PASS, f.status(), f.message());
    assertTrue(f.message().contains("≥ 0.0025 (α=0.01 over 5 paired tests, Holm)"), f.message());
  }

  @Test
  void significanceIsAPolicyField() throws IOException {
    assertEquals(new SignificancePolicy(0.01, "verdict"), Policy.defaults().significance());
    assertEquals(new SignificancePolicy(0.05, "check"), Policy.load(Files.writeString(tmp.resolve("a.json"),
        "{\"significance\": 0.05, \"significanceScope\": \"check\"}")).significance());
    assertNull(Policy.load(Files.writeString(tmp.resolve("b.json"), "{\"significance\": null}")).significance().alpha());
    assertEquals(SignificancePolicy.defaults(),
        Policy.load(Files.writeString(tmp.resolve("c.json"), "{\"cleanDropWarn\": 0.02}")).significance());
    for (String bad : List.of("0", "1.5", "\"x\"", "-0.1")) {
      IOException e = assertThrows(IOException.class,
          () -> Policy.load(Files.writeString(tmp.resolve("bad.json"), "{\"significance\": " + bad + "}")));
      assertTrue(e.getMessage().contains("significance"), e.getMessage());
    }
    IOException scope = assertThrows(IOException.class,
        () -> Policy.load(Files.writeString(tmp.resolve("scope.json"), "{\"significanceScope\": \"family\"}")));
    assertTrue(scope.getMessage().contains("significanceScope"), scope.getMessage());
  }

  @Test
  void onlyVersionsThatCanBeBaselinesKeepTheirOutcomes() {
    Policy p = Policy.defaults().withReference(new ReferencePolicy(1.2, 1.4, 0.05, 0.1, 0.05, 0.1, 0.03, 0.06, 3, 30.0));
    List<VersionSummary> history = new java.util.ArrayList<>();
    for (int k = 1; k <= 8; k++) {
      Verdict.Status verdict = k == 7 ? Verdict.WARN : Verdict.PASS;
      history.add(VersionSummary.of(PairedEstimates.estimate("m", k, 10, base(), true, PairedEstimates.SAMPLES_SHA))
          .withVerdict(new Verdict("m", k, verdict, List.of(), null, null, "now")));
    }
    // window of 3: v6 and v8 (PASS among the last 3), the last PASS v8, and the pinned v2; not the WARN v7
    List<VersionSummary> kept = new OutcomeRetention(p).apply(history, 8L, 2L);
    List<Long> with = kept.stream().filter(v -> v.outcomes() != null).map(VersionSummary::version).toList();
    assertEquals(List.of(2L, 6L, 8L), with);
  }
}
