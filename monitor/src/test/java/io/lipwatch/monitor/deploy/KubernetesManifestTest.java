package io.lipwatch.monitor.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import com.fasterxml.jackson.databind.JsonNode;
import io.lipwatch.estimator.testing.Required;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/k8s/base: parsed with Jackson YAML and checked, and rendered with `kubectl kustomize` (Debian package
 * kubernetes-client; without kubectl that test fails under CI=true and is skipped otherwise).
 */
class KubernetesManifestTest {
  private static final Path ROOT = DeployFiles.repoRoot();
  private static final Path BASE = ROOT.resolve("deploy/k8s/base");
  private static final Map<String, Integer> PORTS = Map.of("estimator", 9465, "monitor", 9464, "trainer", 9466);
  private static final String PART_OF = "app.kubernetes.io/part-of";
  /** The fields of a Kustomization that Debian's kubectl (1.20, kustomize v2.0.3) accepts; it rejects any other. */
  private static final Set<String> KUSTOMIZE_V2_FIELDS = Set.of("apiVersion", "kind", "resources", "bases", "namespace",
      "namePrefix", "nameSuffix", "commonLabels", "commonAnnotations", "patchesStrategicMerge", "patchesJson6902",
      "configMapGenerator", "secretGenerator", "generatorOptions", "vars", "images", "crds", "configurations",
      "generators", "transformers", "inventory");

  private static List<JsonNode> documents() {
    JsonNode k = DeployFiles.readYaml(BASE.resolve("kustomization.yaml"));
    List<JsonNode> docs = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path f = BASE.resolve(r.asText());
      assertTrue(Files.isRegularFile(f), "kustomization resource missing: " + f);
      docs.addAll(DeployFiles.readYamlDocuments(f));
    }
    return docs;
  }

  private static Map<String, JsonNode> byKindAndName(List<JsonNode> docs) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode d : docs) {
      assertFalse(d.path("apiVersion").asText().isBlank(), "document without apiVersion: " + d);
      out.put(d.path("kind").asText() + "/" + d.path("metadata").path("name").asText(), d);
    }
    return out;
  }

  @Test
  void deploymentsHaveBootstrapScrapeAnnotationsResourcesAndProbes() {
    Map<String, JsonNode> all = byKindAndName(documents());
    for (var e : PORTS.entrySet()) {
      String name = "lipwatch-" + e.getKey();
      JsonNode dep = all.get("Deployment/" + name);
      assertTrue(dep != null, "no Deployment " + name);
      JsonNode tpl = dep.path("spec").path("template");
      // prometheus-k8s.yml keeps pods by this label: it must be on the pod template, not only on the Deployment
      assertEquals("lipwatch", tpl.path("metadata").path("labels").path(PART_OF).asText(), name + " pod template " + PART_OF);
      JsonNode ann = tpl.path("metadata").path("annotations");
      assertEquals("true", ann.path("prometheus.io/scrape").asText(), name);
      assertEquals(e.getValue().toString(), ann.path("prometheus.io/port").asText(), name);
      assertEquals("/metrics", ann.path("prometheus.io/path").asText(), name);
      JsonNode c = tpl.path("spec").path("containers").path(0);
      assertEquals(e.getValue().intValue(), c.path("ports").path(0).path("containerPort").asInt(), name);
      assertTrue(c.path("args").toString().contains("$(LIPWATCH_BOOTSTRAP)"), name + " args must use $(LIPWATCH_BOOTSTRAP)");
      boolean fromConfigMap = false;
      for (JsonNode env : c.path("env")) {
        fromConfigMap |= "LIPWATCH_BOOTSTRAP".equals(env.path("name").asText())
            && "lipwatch-kafka".equals(env.path("valueFrom").path("configMapKeyRef").path("name").asText());
      }
      assertTrue(fromConfigMap, name + ": LIPWATCH_BOOTSTRAP must come from ConfigMap lipwatch-kafka");
      JsonNode req = c.path("resources").path("requests");
      assertFalse(req.path("cpu").asText().isBlank() || req.path("memory").asText().isBlank(), name + " needs resource requests");
      assertFalse(c.path("resources").path("limits").path("memory").asText().isBlank(), name + " needs a memory limit");
      for (String p : List.of("livenessProbe", "readinessProbe")) {
        assertEquals("/healthz", c.path(p).path("httpGet").path("path").asText(), name + " " + p);
        assertEquals(e.getValue().intValue(), c.path(p).path("httpGet").path("port").asInt(), name + " " + p);
      }
      // the Service selects the pods and exposes the metrics port
      JsonNode svc = all.get("Service/" + name);
      assertTrue(svc != null, "no Service " + name);
      JsonNode labels = tpl.path("metadata").path("labels");
      svc.path("spec").path("selector").fields().forEachRemaining(
          s -> assertEquals(s.getValue().asText(), labels.path(s.getKey()).asText(), name + " selector " + s.getKey()));
      assertEquals(e.getValue().intValue(), svc.path("spec").path("ports").path(0).path("port").asInt(), name);
    }
    assertTrue(all.containsKey("Job/lipwatch-topics"), "no topics Job");
  }

  @Test
  void kustomizationUsesOnlyFieldsDebiansKubectlKnows() {
    JsonNode k = DeployFiles.readYaml(BASE.resolve("kustomization.yaml"));
    k.fieldNames().forEachRemaining(f -> assertTrue(KUSTOMIZE_V2_FIELDS.contains(f),
        "kustomization.yaml field '" + f + "' is unknown to kubectl 1.20's kustomize (Debian kubernetes-client)"));
  }

  /** Debian's promtool lacks Kubernetes discovery, so deploy/k8s/prometheus-k8s.yml is checked here by structure. */
  @Test
  void prometheusK8sScrapeConfigKeepsTheLipwatchPods() {
    JsonNode cfg = DeployFiles.readYaml(ROOT.resolve("deploy/k8s/prometheus-k8s.yml"));
    JsonNode job = cfg.path("scrape_configs").path(0);
    assertTrue(job.path("job_name").asText().startsWith("lipwatch-"), "LipwatchServiceDown selects up{job=~\"lipwatch-.*\"}");
    assertEquals("pod", job.path("kubernetes_sd_configs").path(0).path("role").asText());
    String relabel = job.path("relabel_configs").toString();
    assertTrue(relabel.contains("__meta_kubernetes_pod_label_app_kubernetes_io_part_of"), relabel);
    assertTrue(relabel.contains("__meta_kubernetes_pod_annotation_prometheus_io_port"), relabel);
  }

  @Test
  void kubectlKustomizeRendersTheBase(@TempDir Path tmp) throws Exception {
    Path kubectl = Required.tool("kubectl", "kubernetes-client");
    DeployFiles.Result r = DeployFiles.run(ROOT, Duration.ofMinutes(2), List.of(kubectl.toString(), "kustomize", "deploy/k8s/base"));
    assertEquals(0, r.exitCode(), "kubectl kustomize deploy/k8s/base failed:\n" + r.output());
    Path out = tmp.resolve("rendered.yaml");
    Files.writeString(out, r.output());
    List<JsonNode> docs = DeployFiles.readYamlDocuments(out);
    Set<String> kinds = new TreeSet<>();
    String configMap = null;
    for (JsonNode d : docs) {
      kinds.add(d.path("kind").asText());
      assertEquals("lipwatch", d.path("metadata").path("labels").path(PART_OF).asText(), d.path("metadata").toString());
      if (d.path("spec").has("template")) {
        assertEquals("lipwatch", d.path("spec").path("template").path("metadata").path("labels").path(PART_OF).asText(),
            "pod template of " + d.path("metadata").path("name").asText());
      }
      if ("ConfigMap".equals(d.path("kind").asText())) {
        configMap = d.path("metadata").path("name").asText();
        assertEquals("kafka:9092", d.path("data").path("LIPWATCH_BOOTSTRAP").asText());
      }
    }
    assertEquals(Set.of("ConfigMap", "Deployment", "Job", "Service"), kinds);
    assertTrue(configMap != null && configMap.startsWith("lipwatch-kafka-"), "generated ConfigMap: " + configMap);
    // every reference was rewritten to the generated (hash-suffixed) name
    String refs = r.output();
    assertFalse(refs.contains("name: lipwatch-kafka\n"), "an unrewritten ConfigMap reference is left");
    assertTrue(refs.contains("image: lipwatch:local"), "image transformer not applied");
  }
}
