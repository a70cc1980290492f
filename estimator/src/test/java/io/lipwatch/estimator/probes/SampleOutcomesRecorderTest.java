package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.OutcomeBits;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.SampleOutcomes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.lipwatch.estimator.snapshot.Sha256;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * A real probe run records its per-sample outcomes in the estimate: the bits are the run's own per-sample detail, count
 * the reported accuracies, name the probed samples by their hash, and the estimate stays schema-valid.
 */
class SampleOutcomesRecorderTest {
  @Test
  void aProbeRunCarriesItsPerSampleOutcomes() throws Exception {
    MultiLayerNetwork net = Fixtures.mlp(7, 12, 16, 4, Activation.TANH);
    ProbeSet all = Fixtures.labelledBy(net, Fixtures.uniformSet("uniform", 80, List.of(12), 4, 0.2, 0.8, 3), 0.1, 5);
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(61).withNoiseSigmas(List.of())
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 0.3), AttackSpec.pgd(Norm.LINF, 0.05, 10, 0.0125)))
        .withCertifiedEps(List.of(0.01, 0.05)).withMinPerturbation(null);
    double lip = 4.0; // any positive bound: the certified bits follow the runner's margin rule with it
    ProbeResult r = ProbeRunner.run(net, all, cfg, lip);
    Probes p = r.probes();
    SampleOutcomes o = p.outcomes();
    assertEquals(SampleOutcomes.BITS_LE_BASE64, o.encoding());
    assertEquals(61, o.samples());
    assertEquals(61, p.samples());
    // the identity covers exactly the samples probed, in order
    assertEquals(Sha256.hex(ProbeSetCodec.encode(all.head(61))), o.samplesSha256());
    assertNotEquals(Sha256.hex(ProbeSetCodec.encode(all.head(60))), o.samplesSha256());
    boolean[] clean = OutcomeBits.decode(o.clean(), 61);
    assertArrayEquals(r.detail().correct(), clean);
    assertEquals(p.cleanAccuracy(), count(clean) / 61.0, 1e-12);
    assertEquals(2, o.attacks().size());
    for (int a = 0; a < 2; a++) {
      SampleOutcomes.AttackOutcomes ao = o.attacks().get(a);
      Probes.AttackResult ar = p.attacks().get(a);
      assertEquals(List.of(ar.attack(), ar.norm(), ar.eps()), List.of(ao.attack(), ao.norm(), ao.eps()));
      boolean[] robust = OutcomeBits.decode(ao.robust(), 61);
      assertArrayEquals(r.detail().attacks().get(a).robust(), robust);
      assertEquals(ar.robustAccuracy(), count(robust) / 61.0, 1e-12);
    }
    assertEquals(2, o.certified().size());
    for (int k = 0; k < 2; k++) {
      boolean[] cert = OutcomeBits.decode(o.certified().get(k).certified(), 61);
      // ground truth: correct and margin > √2·L·ε, from the run's own margins
      double need = Math.sqrt(2) * lip * o.certified().get(k).eps();
      for (int i = 0; i < 61; i++) {
        assertEquals(clean[i] && r.detail().margins()[i] > need, cert[i], "sample " + i);
      }
      assertEquals(p.certified().get(k).accuracy(), count(cert) / 61.0, 1e-12);
      assertEquals(p.certified().get(k).method(), o.certified().get(k).method());
    }
    // 61 samples: 8 bytes, 12 base64 characters per bit string
    assertEquals(12, o.clean().length());

    Estimate e = new Estimate("m", 1, "a".repeat(64), "2026-12-01T00:00:00Z",
        new Architecture("MultiLayerNetwork", 3, 100, List.of(12L), 4),
        LipschitzBounds.of(List.of(new UpperBound("autolip", lip, true, 0.01)), List.of()), p, List.of(), 0.1, null);
    JsonNode json = EstimateJson.mapper().readTree(EstimateJson.toBytes(e));
    try (InputStream in = getClass().getResourceAsStream("/schema/estimate.schema.json")) {
      assertEquals(Set.of(), JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in).validate(json));
    }
    // and it reads back as it was written
    assertEquals(o, EstimateJson.fromBytes(EstimateJson.toBytes(e)).probes().outcomes());
  }

  static int count(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return k;
  }
}
