package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The {@code probes.outcomes} block: what happened to each probe sample, so that two versions probed on the same
 * samples can be compared sample by sample (a paired test) rather than by their accuracies alone. Each entry is an
 * {@link OutcomeBits} string over the samples in probe-set order.
 *
 * @param encoding      {@link #BITS_LE_BASE64}
 * @param samples       how many samples the bits cover (= {@code probes.samples})
 * @param samplesSha256 SHA-256 of the probed samples in the {@code lipwatch.probesets} binary form (name, shape, value
 *                      range, labels and inputs, in order): two estimates are paired only when these agree
 * @param clean         bit i: sample i is classified correctly
 * @param attacks       per attack of {@code probes.attacks}: bit i, sample i is correct and no attack iterate broke it
 * @param certified     per entry of {@code probes.certified}, in the same order: bit i, sample i is certified at that
 *                      radius by that entry's method
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SampleOutcomes(String encoding, int samples, String samplesSha256, String clean, List<AttackOutcomes> attacks,
    List<CertifiedOutcomes> certified) {
  public static final String BITS_LE_BASE64 = "bits-le-base64";

  public SampleOutcomes {
    attacks = attacks == null ? List.of() : List.copyOf(attacks);
    certified = certified == null ? List.of() : List.copyOf(certified);
  }

  /** Robust outcomes of one attack, named like its {@code probes.attacks} entry. */
  public record AttackOutcomes(String attack, String norm, double eps, String robust) {}

  /** Certified outcomes at one radius by one method (null: global), named like its {@code probes.certified} entry. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CertifiedOutcomes(String norm, double eps, String method, String certified) {}
}
