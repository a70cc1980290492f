package io.lipwatch.monitor.verdict;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lipwatch.estimator.estimate.OutcomeBits;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.SampleOutcomes;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the monitor keeps of an estimate's per-sample outcomes ({@code probes.outcomes}), keyed like the figures of
 * {@link VersionSummary}: the bits of the clean check, of every attack and of every certified radius, and the identity
 * of the samples they index. Only entries whose bits agree with the accuracy the estimate reports are kept, so a paired
 * comparison always tests the drop the check reports.
 *
 * @param dataset       the probe set's name
 * @param samples       how many samples the bits cover
 * @param samplesSha256 identity of the probed samples (name, shape, range, labels, inputs, in order)
 * @param clean         clean-correctness bits, or null
 * @param robust        robust bits per attack key ({@code attack/norm/eps})
 * @param certified     certified bits per radius key ({@code norm/eps})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PairedOutcomes(String dataset, int samples, String samplesSha256, String clean, Map<String, String> robust,
    Map<String, String> certified) {

  private static final String GLOBAL = "global";

  public PairedOutcomes {
    robust = robust == null ? Map.of() : Map.copyOf(robust);
    certified = certified == null ? Map.of() : Map.copyOf(certified);
  }

  /** The outcomes of an estimate's probes, or null when it has none (or none that can be read). */
  public static PairedOutcomes of(Probes p) {
    SampleOutcomes o = p == null ? null : p.outcomes();
    if (o == null || !SampleOutcomes.BITS_LE_BASE64.equals(o.encoding()) || o.samples() <= 0 || o.samples() != p.samples()
        || o.samplesSha256() == null || !o.samplesSha256().matches("[0-9a-f]{64}")) {
      return null;
    }
    int n = o.samples();
    String clean = agrees(o.clean(), n, p.cleanAccuracy()) ? o.clean() : null;
    Map<String, String> robust = new TreeMap<>();
    if (p.attacks() != null) {
      for (SampleOutcomes.AttackOutcomes a : o.attacks()) {
        String key = VersionSummary.robustKey(a.attack(), a.norm(), a.eps());
        p.attacks().stream().filter(r -> VersionSummary.robustKey(r.attack(), r.norm(), r.eps()).equals(key)).findFirst()
            .filter(r -> agrees(a.robust(), n, r.robustAccuracy())).ifPresent(r -> robust.put(key, a.robust()));
      }
    }
    Map<String, String> certified = new TreeMap<>();
    // entry k is the outcomes of probes.certified[k]; verdicts compare the global certificate only (the first entry at
    // a radius; pairwise and local ones name their method)
    if (p.certified() != null && p.certified().size() == o.certified().size()) {
      for (int k = 0; k < o.certified().size(); k++) {
        SampleOutcomes.CertifiedOutcomes c = o.certified().get(k);
        Probes.CertifiedAccuracy r = p.certified().get(k);
        boolean global = c.method() == null || GLOBAL.equals(c.method());
        if (global && c.norm().equals(r.norm()) && c.eps() == r.eps() && agrees(c.certified(), n, r.accuracy())) {
          certified.putIfAbsent(VersionSummary.certifiedKey(r.norm(), r.eps()), c.certified());
        }
      }
    }
    return new PairedOutcomes(p.dataset(), n, o.samplesSha256(), clean, robust, certified);
  }

  /** True when the bits decode for n samples and count the reported accuracy. */
  private static boolean agrees(String bits, int n, double accuracy) {
    try {
      boolean[] b = OutcomeBits.decode(bits, n);
      int k = 0;
      for (boolean x : b) {
        k += x ? 1 : 0;
      }
      return Math.abs(k - accuracy * n) < 1e-6;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The bits of one check (family and key as in {@link VersionSummary}), or null. */
  String bits(Family family, String key) {
    return switch (family) {
      case CLEAN -> clean;
      case ROBUST -> robust.get(key);
      case CERTIFIED -> certified.get(key);
    };
  }

  /** The kinds of accuracy check. */
  enum Family { CLEAN, ROBUST, CERTIFIED }

  /**
   * The two versions' outcomes of one check when they can be paired, else why not (for the check's message).
   *
   * @param base    the baseline's outcomes of the check, or null
   * @param current this version's, or null
   * @param why     why they cannot be paired, or null when they can
   */
  record Pairing(boolean[] base, boolean[] current, String why) {
    boolean paired() {
      return why == null;
    }

    static Pairing of(VersionSummary current, VersionSummary base, Family family, String key) {
      PairedOutcomes c = current.outcomes();
      PairedOutcomes b = base.outcomes();
      if (b == null) {
        return unpaired("no per-sample outcomes in v" + base.version());
      }
      if (c == null) {
        return unpaired("no per-sample outcomes in this version");
      }
      if (c.samples() != b.samples() || !c.samplesSha256().equals(b.samplesSha256())) {
        return unpaired(String.format("probed on other samples (%s, %d samples, vs %s, %d samples)", c.dataset(),
            c.samples(), b.dataset(), b.samples()));
      }
      String cb = c.bits(family, key);
      String bb = b.bits(family, key);
      if (cb == null || bb == null) {
        return unpaired("no per-sample outcomes of this check in " + (bb == null ? "v" + base.version() : "this version"));
      }
      return new Pairing(OutcomeBits.decode(bb, b.samples()), OutcomeBits.decode(cb, c.samples()), null);
    }

    private static Pairing unpaired(String why) {
      return new Pairing(null, null, why);
    }
  }
}
