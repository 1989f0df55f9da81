package dev.stockade.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stockade.helm.ChartRendering.Rendered;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed OLM bundle has the layout and ClusterServiceVersion that OLM (registry+v1) requires. */
class OlmBundleTest {

    /** Semantic version 2.0, as OLM parses spec.version. */
    private static final Pattern SEMVER = Pattern.compile(
            "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    /** Kinds a registry+v1 bundle may carry besides the CSV and CRDs. */
    private static final Set<String> BUNDLE_KINDS = Set.of("ClusterServiceVersion", "CustomResourceDefinition", "Service",
            "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
            "PrometheusRule", "ServiceMonitor", "PodDisruptionBudget", "PriorityClass", "VerticalPodAutoscaler",
            "ConsoleYAMLSample", "ConsoleQuickStart", "ConsoleCLIDownload", "ConsoleLink");

    private final Path bundle = GeneratedFiles.path(GeneratedFiles.BUNDLE);
    private final JsonNode csv = yaml(bundle.resolve("manifests/stockade.clusterserviceversion.yaml"));

    @Test
    void annotationsNameTheBundleLayoutPackageAndChannels() throws IOException {
        JsonNode annotations = yaml(bundle.resolve("metadata/annotations.yaml")).path("annotations");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("operators.operatorframework.io.bundle.mediatype.v1", "registry+v1");
        expected.put("operators.operatorframework.io.bundle.manifests.v1", "manifests/");
        expected.put("operators.operatorframework.io.bundle.metadata.v1", "metadata/");
        expected.put("operators.operatorframework.io.bundle.package.v1", GeneratedFiles.PACKAGE);
        expected.put("operators.operatorframework.io.bundle.channels.v1", "alpha");
        expected.put("operators.operatorframework.io.bundle.channel.default.v1", "alpha");

        expected.forEach((key, value) -> assertEquals(value, annotations.path(key).asText(), "metadata/annotations.yaml " + key));
        String channels = annotations.path("operators.operatorframework.io.bundle.channels.v1").asText();
        assertTrue(List.of(channels.split(",")).contains(annotations.path("operators.operatorframework.io.bundle.channel.default.v1").asText()),
                "the default channel must be one of the channels");
        String dockerfile = Build.read(GeneratedFiles.path("manifests/olm/bundle.Dockerfile"));
        expected.forEach((key, value) -> assertTrue(dockerfile.contains("LABEL " + key + "=" + value),
                "bundle.Dockerfile must carry the label " + key + "=" + value));
        try (Stream<Path> entries = Files.list(bundle)) {
            assertEquals(Set.of("manifests", "metadata"), entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @Test
    void everyManifestIsAKindTheBundleFormatAllows() throws IOException {
        try (Stream<Path> files = Files.list(bundle.resolve("manifests"))) {
            List<Path> manifests = files.toList();
            for (Path manifest : manifests) {
                assertTrue(BUNDLE_KINDS.contains(yaml(manifest).path("kind").asText()), manifest + " is not a bundle kind");
            }
            assertEquals(1, manifests.stream().filter(m -> "ClusterServiceVersion".equals(yaml(m).path("kind").asText())).count(),
                    "a bundle has exactly one ClusterServiceVersion");
        }
    }

    @Test
    void csvIdentifiesAndDescribesTheOperator() {
        String version = csv.path("spec").path("version").asText();
        String name = csv.path("metadata").path("name").asText();

        assertEquals("operators.coreos.com/v1alpha1", csv.path("apiVersion").asText());
        assertTrue(SEMVER.matcher(version).matches(), "spec.version must be semver: " + version);
        assertEquals(GeneratedFiles.PACKAGE + "-operator.v" + version, name);
        assertTrue(DNS_SUBDOMAIN.matcher(name).matches(), "metadata.name must be a DNS subdomain: " + name);
        assertFalse(csv.path("spec").path("displayName").asText().isBlank());
        assertTrue(csv.path("spec").path("description").asText().length() > 200, "spec.description tells users what it does");
        assertFalse(csv.path("spec").path("provider").path("name").asText().isBlank());
        assertFalse(csv.path("spec").path("maintainers").isEmpty());
        assertEquals(Build.operatorImage(), csv.path("metadata").path("annotations").path("containerImage").asText());
    }

    @Test
    void onlyAllNamespacesIsSupported() {
        Map<String, Boolean> modes = new LinkedHashMap<>();
        csv.path("spec").path("installModes").forEach(m -> modes.put(m.path("type").asText(), m.path("supported").asBoolean()));

        assertEquals(Map.of("OwnNamespace", false, "SingleNamespace", false, "MultiNamespace", false, "AllNamespaces", true), modes,
                "the operator watches cluster-scoped policies and nodes: only AllNamespaces fits");
    }

    @Test
    void ownsTheCrdShippedInTheBundle() {
        JsonNode crd = yaml(bundle.resolve("manifests/sandboxpolicies.stockade.dev.crd.yaml"));
        JsonNode owned = csv.path("spec").path("customresourcedefinitions").path("owned");
        JsonNode storedVersion = StreamSupport.stream(crd.path("spec").path("versions").spliterator(), false)
                .filter(v -> v.path("storage").asBoolean()).findFirst().orElseThrow();

        assertEquals(1, owned.size());
        assertEquals(crd.path("metadata").path("name").asText(), owned.get(0).path("name").asText());
        assertEquals(crd.path("spec").path("names").path("plural").asText() + "." + crd.path("spec").path("group").asText(),
                owned.get(0).path("name").asText());
        assertEquals(crd.path("spec").path("names").path("kind").asText(), owned.get(0).path("kind").asText());
        assertEquals(storedVersion.path("name").asText(), owned.get(0).path("version").asText());
        assertFalse(owned.get(0).path("displayName").asText().isBlank());
        assertFalse(owned.get(0).path("description").asText().isBlank());
    }

    @Test
    void almExamplesAreTheSamplePoliciesOfTheOwnedKind() throws IOException {
        JsonNode examples = new ObjectMapper().readTree(csv.path("metadata").path("annotations").path("alm-examples").asText());
        JsonNode owned = csv.path("spec").path("customresourcedefinitions").path("owned").get(0);

        assertEquals(GeneratedFiles.SAMPLES.size(), examples.size());
        for (int i = 0; i < examples.size(); i++) {
            assertEquals(yaml(GeneratedFiles.path(GeneratedFiles.SAMPLES.get(i))), examples.get(i), GeneratedFiles.SAMPLES.get(i));
            assertEquals(owned.path("kind").asText(), examples.get(i).path("kind").asText());
            assertEquals("stockade.dev/" + owned.path("version").asText(), examples.get(i).path("apiVersion").asText());
        }
    }

    @Test
    void installStrategyIsTheChartsDeploymentAndRbac() {
        Rendered chart = GeneratedFiles.olmRendering();
        JsonNode strategy = csv.path("spec").path("install");
        JsonNode deployments = strategy.path("spec").path("deployments");
        JsonNode pod = deployments.get(0).path("spec").path("template").path("spec");

        assertEquals("deployment", strategy.path("strategy").asText());
        assertEquals(1, deployments.size());
        assertEquals(chart.get("Deployment", "stockade-operator").path("spec"), deployments.get(0).path("spec"));
        assertEquals(rules(chart.get("ClusterRole", "stockade-operator")), rules(permission("clusterPermissions", "stockade-operator")));
        assertEquals(rules(chart.get("Role", "stockade-operator")), rules(permission("permissions", "stockade-operator")));
        assertTrue(rules(permission("clusterPermissions", "stockade-installer")).containsAll(rules(chart.get("ClusterRole", "stockade-installer"))));
        assertEquals(permission("clusterPermissions", "stockade-operator").path("serviceAccountName").asText(),
                pod.path("serviceAccountName").asText());
        assertEquals("stockade-installer",
                ChartRenderTest.env(pod.path("containers").get(0), "STOCKADE_INSTALLER_SERVICE_ACCOUNT").path("value").asText());
        assertTrue(pod.path("securityContext").path("runAsUser").isMissingNode(), "OpenShift assigns the UID");
    }

    @Test
    void relatedImagesListBothImagesForDisconnectedInstalls() {
        Map<String, String> images = new LinkedHashMap<>();
        csv.path("spec").path("relatedImages").forEach(i -> images.put(i.path("name").asText(), i.path("image").asText()));

        assertEquals(Map.of("stockade-operator", Build.operatorImage(), "stockade-installer", Build.installerImage()), images);
    }

    private JsonNode permission(String field, String serviceAccount) {
        return StreamSupport.stream(csv.path("spec").path("install").path("spec").path(field).spliterator(), false)
                .filter(p -> serviceAccount.equals(p.path("serviceAccountName").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the CSV has no " + field + " for " + serviceAccount));
    }

    /** Resource-name rules (the OpenShift SCC) are compared as text; the rest as single grants. */
    private static Set<String> rules(JsonNode holder) {
        Set<String> result = new TreeSet<>();
        for (JsonNode rule : holder.path("rules")) {
            if (rule.has("resourceNames")) {
                result.add(rule.toString());
            } else {
                RbacRules.grants(ChartRendering.YAML.createArrayNode().add(rule)).forEach(g -> result.add(g.toString()));
            }
        }
        return result;
    }

    private static JsonNode yaml(Path file) {
        return GeneratedFiles.readYaml(Build.read(file));
    }
}
