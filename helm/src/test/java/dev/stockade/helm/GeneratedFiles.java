package dev.stockade.helm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import dev.stockade.helm.ChartRendering.Rendered;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The files derived from one source of truth each: the chart's CRD copy and example policy (from
 * crds/ and manifests/samples/), manifests/install.yaml (the chart rendered with default values),
 * the OLM bundle (the chart's Deployment and RBAC, the CRD, the samples, csv-base.yaml) and
 * manifests/prometheus/ (the chart's alerting rules and scrape jobs).
 */
final class GeneratedFiles {

    static final String REGENERATE_COMMAND = "manifests/regenerate";
    static final String CRD = "crds/sandboxpolicies.stockade.dev-v1.yml";
    static final List<String> SAMPLES = List.of("manifests/samples/minimal.yaml", "manifests/samples/two-runtime-classes.yaml");
    static final String INSTALL = "manifests/install.yaml";
    static final String BUNDLE = "manifests/olm/bundle/";
    static final String CSV = BUNDLE + "manifests/stockade.clusterserviceversion.yaml";
    static final String BUNDLE_CRD = BUNDLE + "manifests/sandboxpolicies.stockade.dev.crd.yaml";
    static final String BUNDLE_METRICS_SERVICE = BUNDLE + "manifests/stockade-operator-metrics_v1_service.yaml";
    static final String PACKAGE = "stockade";
    static final String CHART_PROMETHEUS = "helm/stockade/files/prometheus/";
    static final String PROMETHEUS = "manifests/prometheus/";
    static final List<String> PROMETHEUS_FILES = List.of("stockade-rules.yaml", "scrape-configs.yaml");

    private static final ObjectMapper YAML_WRITER = YAMLMapper.builder(YAMLFactory.builder()
                    .stringQuotingChecker(new QuoteWhatReadsAsAnotherType())
                    .build())
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .build();

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Quotes every string that Kubernetes' or OLM's YAML reader (sigs.k8s.io/yaml: go-yaml, YAML
     * 1.1) would take as another type: an environment variable's "32", but also "0x20", "0O17",
     * "1e3", "on", "~" or "2026-12-01". SnakeYAML's YAML 1.1 resolver decides, with go-yaml's extra
     * integers (strconv.ParseInt base 0: 0o and upper-case prefixes); Jackson's own checker quotes
     * only its reserved words (true, y, null…) and strings with special characters.
     */
    private static final class QuoteWhatReadsAsAnotherType extends StringQuotingChecker.Default {
        private static final Resolver YAML_1_1 = new Resolver();
        private static final Pattern GO_PREFIXED_INTEGER = Pattern.compile("[-+]?0[bBoOxX][0-9a-fA-F_]+");

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value)
                    || !Tag.STR.equals(YAML_1_1.resolve(NodeId.scalar, value, true))
                    || GO_PREFIXED_INTEGER.matcher(value).matches();
        }
    }

    /** Path relative to the repository root → the content it must have. */
    static Map<String, String> expected() {
        Map<String, String> files = new LinkedHashMap<>();
        String crd = source(CRD);
        files.put("helm/stockade/crds/sandboxpolicies.stockade.dev-v1.yml", crd);
        files.put("helm/stockade/files/example-policy.yaml", source(SAMPLES.getFirst()));
        files.put(INSTALL, installManifest(crd));
        files.put(BUNDLE_CRD, crd);
        Rendered forOlm = olmRendering();
        files.put(BUNDLE_METRICS_SERVICE, yaml(withoutNamespace(forOlm.get("Service", "stockade-operator-metrics"))));
        files.put(CSV, yaml(clusterServiceVersion(forOlm)));
        for (String prometheusFile : PROMETHEUS_FILES) {
            files.put(PROMETHEUS + prometheusFile, prometheusCopy(prometheusFile));
        }
        return files;
    }

    /** For a Prometheus without the Prometheus Operator: the chart's rules and scrape jobs, with a line saying whence. */
    private static String prometheusCopy(String file) {
        String source = CHART_PROMETHEUS + file;
        return "# A copy of " + source + ", written by " + REGENERATE_COMMAND + "; edit that file.\n" + source(source);
    }

    static String installManifest(String crd) {
        return """
                # Stockade %s: the operator, its CRD and RBAC, for kubectl apply -f manifests/install.yaml
                # Generated from the Helm chart helm/stockade (default values, namespace stockade-system) by
                # %s. Do not edit: change the chart and regenerate.
                ---
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: %s
                  labels:
                    app.kubernetes.io/part-of: stockade
                    # The installer pods the operator starts here are privileged (hostPID, the host's /).
                    pod-security.kubernetes.io/enforce: privileged
                ---
                """.formatted(Build.version(), REGENERATE_COMMAND, ChartRendering.NAMESPACE)
                + crd
                + ChartRendering.template(ChartRendering.NAMESPACE, Map.of());
    }

    /** The chart as OLM installs it: no fixed UID, since OpenShift assigns one per namespace. */
    static Rendered olmRendering() {
        return ChartRendering.render(Map.of("runAsUser", "null"));
    }

    static ObjectNode clusterServiceVersion(Rendered chart) {
        ObjectNode base = (ObjectNode) readYaml(source("manifests/olm/csv-base.yaml"));
        String version = Build.version().toLowerCase(Locale.ROOT);
        JsonNode crd = readYaml(source(CRD));
        JsonNode deployment = chart.get("Deployment", "stockade-operator");

        ObjectNode csv = JsonNodeFactory.instance.objectNode();
        csv.set("apiVersion", base.get("apiVersion"));
        csv.set("kind", base.get("kind"));
        ObjectNode metadata = csv.putObject("metadata");
        metadata.put("name", PACKAGE + "-operator.v" + version);
        ObjectNode annotations = metadata.putObject("annotations");
        annotations.setAll((ObjectNode) base.path("metadata").path("annotations"));
        annotations.put("containerImage", Build.operatorImage());
        annotations.put("alm-examples", almExamples());

        ObjectNode spec = csv.putObject("spec");
        spec.setAll((ObjectNode) base.get("spec"));
        spec.put("version", version);
        spec.putObject("customresourcedefinitions").putArray("owned").add(ownedCrd(crd));
        ObjectNode install = spec.putObject("install");
        install.put("strategy", "deployment");
        ObjectNode strategy = install.putObject("spec");
        ObjectNode deploymentEntry = strategy.putArray("deployments").addObject();
        deploymentEntry.put("name", deployment.path("metadata").path("name").asText());
        deploymentEntry.set("label", deployment.path("metadata").path("labels"));
        deploymentEntry.set("spec", deployment.get("spec"));
        ArrayNode clusterPermissions = strategy.putArray("clusterPermissions");
        clusterPermissions.add(permission("stockade-operator", chart.get("ClusterRole", "stockade-operator")));
        ObjectNode installer = permission("stockade-installer", chart.get("ClusterRole", "stockade-installer"));
        // OpenShift admits privileged pods only for accounts that may use the privileged SCC.
        ((ArrayNode) installer.get("rules")).addObject()
                .<ObjectNode>set("apiGroups", array("security.openshift.io"))
                .<ObjectNode>set("resources", array("securitycontextconstraints"))
                .<ObjectNode>set("resourceNames", array("privileged"))
                .set("verbs", array("use"));
        clusterPermissions.add(installer);
        strategy.putArray("permissions").add(permission("stockade-operator", chart.get("Role", "stockade-operator")));
        ArrayNode relatedImages = spec.putArray("relatedImages");
        relatedImages.addObject().put("name", "stockade-operator").put("image", Build.operatorImage());
        relatedImages.addObject().put("name", "stockade-installer").put("image", Build.installerImage());
        return csv;
    }

    private static ObjectNode ownedCrd(JsonNode crd) {
        JsonNode crdSpec = crd.path("spec");
        ObjectNode owned = JsonNodeFactory.instance.objectNode();
        owned.put("name", crd.path("metadata").path("name").asText());
        owned.put("version", crdSpec.path("versions").get(0).path("name").asText());
        owned.put("kind", crdSpec.path("names").path("kind").asText());
        owned.put("displayName", "Sandbox Policy");
        owned.put("description", "A sandboxed node pool: which nodes, how they are fenced, and the runtime classes"
                + " that route untrusted pods to them.");
        ArrayNode resources = owned.putArray("resources");
        resources.addObject().put("kind", "DaemonSet").put("name", "").put("version", "v1");
        resources.addObject().put("kind", "ConfigMap").put("name", "").put("version", "v1");
        resources.addObject().put("kind", "RuntimeClass").put("name", "").put("version", "v1");
        resources.addObject().put("kind", "Node").put("name", "").put("version", "v1");
        return owned;
    }

    private static String almExamples() {
        ArrayNode examples = JsonNodeFactory.instance.arrayNode();
        SAMPLES.forEach(sample -> examples.add(readYaml(source(sample))));
        try {
            return JSON.writeValueAsString(examples);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode permission(String serviceAccount, JsonNode role) {
        ObjectNode permission = JsonNodeFactory.instance.objectNode();
        permission.put("serviceAccountName", serviceAccount);
        permission.set("rules", role.get("rules").deepCopy());
        return permission;
    }

    private static ObjectNode withoutNamespace(ObjectNode object) {
        ObjectNode copy = object.deepCopy();
        ((ObjectNode) copy.get("metadata")).remove("namespace");
        return copy;
    }

    private static ArrayNode array(String... values) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (String value : values) {
            array.add(value);
        }
        return array;
    }

    static JsonNode readYaml(String text) {
        try {
            return ChartRendering.YAML.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("YAML does not parse: " + e.getMessage(), e);
        }
    }

    static String yaml(JsonNode node) {
        try {
            return "# Generated by " + REGENERATE_COMMAND + "; do not edit.\n" + YAML_WRITER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String source(String relative) {
        return Build.read(Build.repositoryRoot().resolve(relative));
    }

    static Path path(String relative) {
        return Build.repositoryRoot().resolve(relative);
    }

    private GeneratedFiles() {
    }
}
