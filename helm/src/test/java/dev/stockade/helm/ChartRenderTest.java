package dev.stockade.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.helm.ChartRendering.Rendered;
import dev.stockade.operator.config.OperatorConfig;
import dev.stockade.operator.install.InstallerDaemonSet;
import dev.stockade.operator.policy.PolicyObjects;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartRenderTest {

    private final Rendered defaults = ChartRendering.renderDefaults();

    @Test
    void imagesAndVersionAreTheBuildsOwn() throws Exception {
        JsonNode container = operatorContainer(defaults);
        JsonNode chart = ChartRendering.YAML.readTree(Build.chart().resolve("Chart.yaml").toFile());

        assertEquals(Build.operatorImage(), container.path("image").asText());
        assertEquals(Build.installerImage(), env(container, "STOCKADE_INSTALLER_IMAGE").path("value").asText());
        assertEquals(Build.version(), chart.path("appVersion").asText(), "Chart.yaml appVersion");
        assertEquals(Build.version(), chart.path("version").asText(), "Chart.yaml version");
    }

    @Test
    void operatorRunsNonRootOnAReadOnlyRootWithoutPrivileges() {
        JsonNode pod = defaults.get("Deployment", "stockade-operator").path("spec").path("template").path("spec");
        JsonNode container = operatorContainer(defaults);
        JsonNode security = container.path("securityContext");

        assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean());
        assertEquals("RuntimeDefault", pod.path("securityContext").path("seccompProfile").path("type").asText());
        assertTrue(security.path("runAsNonRoot").asBoolean());
        assertTrue(security.path("readOnlyRootFilesystem").asBoolean());
        assertFalse(security.path("allowPrivilegeEscalation").asBoolean(true));
        assertEquals(List.of("ALL"), texts(security.path("capabilities").path("drop")));
        assertTrue(security.path("capabilities").path("add").isMissingNode());
        assertFalse(security.path("privileged").asBoolean(false));
        assertEquals("RuntimeDefault", security.path("seccompProfile").path("type").asText());
        assertEquals("/tmp", container.path("volumeMounts").get(0).path("mountPath").asText());
        assertTrue(pod.path("volumes").get(0).has("emptyDir"), "/tmp must be an emptyDir: " + pod.path("volumes"));
        assertFalse(pod.path("hostPID").asBoolean(false));
        assertFalse(pod.path("hostNetwork").asBoolean(false));
    }

    @Test
    void operatorKnowsItsNamespaceInstallerAccountAndHealthEndpoints() {
        JsonNode container = operatorContainer(defaults);

        assertEquals("metadata.namespace", env(container, "POD_NAMESPACE").path("valueFrom").path("fieldRef").path("fieldPath").asText());
        assertEquals("stockade-installer", env(container, "STOCKADE_INSTALLER_SERVICE_ACCOUNT").path("value").asText());
        assertEquals(8080, container.path("ports").get(0).path("containerPort").asInt());
        assertEquals("/q/health/live", container.path("livenessProbe").path("httpGet").path("path").asText());
        assertEquals("/q/health/ready", container.path("readinessProbe").path("httpGet").path("path").asText());
        assertEquals("stockade-operator",
                defaults.get("Deployment", "stockade-operator").path("spec").path("template").path("spec").path("serviceAccountName").asText());
    }

    @Test
    void namesAreTheOperatorsDefaults() throws NoSuchMethodException {
        String installerAccount = OperatorConfig.Installer.class.getMethod("serviceAccount").getAnnotation(WithDefault.class).value();
        String namespace = OperatorConfig.class.getMethod("namespace").getAnnotation(WithDefault.class).value();

        assertEquals(installerAccount, defaults.get("ServiceAccount", installerAccount).path("metadata").path("name").asText());
        assertEquals(namespace, ChartRendering.NAMESPACE, "manifests/install.yaml installs into the operator's default namespace");
    }

    @Test
    void operatorSettingsDefaultToTheOperatorsOwn() throws NoSuchMethodException {
        JsonNode container = operatorContainer(defaults);
        String concurrency = OperatorConfig.class.getMethod("nodeWriteConcurrency").getAnnotation(WithDefault.class).value();
        String removalTimeout = OperatorConfig.class.getMethod("removalTimeout").getAnnotation(WithDefault.class).value();

        assertEquals(concurrency, env(container, "STOCKADE_NODE_WRITE_CONCURRENCY").path("value").asText());
        assertEquals(Duration.parse(removalTimeout), removalTimeoutOf(container));
    }

    /** A duration as the operator's configuration reads it (Quarkus: ISO-8601, a number with ms, s, m, h or d, or whole seconds). */
    private static Duration asOperatorReadsIt(String value) {
        return new DurationConverter().convert(value);
    }

    /** The operator container's removal timeout as the operator reads its variable. */
    private static Duration removalTimeoutOf(JsonNode container) {
        return asOperatorReadsIt(env(container, "STOCKADE_REMOVAL_TIMEOUT").path("value").asText());
    }

    @Test
    void installerAccountHasOnlyNodeEventAndMetricsReviewRights() {
        ObjectNode account = defaults.get("ServiceAccount", "stockade-installer");
        ObjectNode role = defaults.get("ClusterRole", "stockade-installer");
        ObjectNode binding = defaults.get("ClusterRoleBinding", "stockade-installer");

        assertEquals(ChartRendering.NAMESPACE, account.path("metadata").path("namespace").asText());
        assertEquals(List.of(
                        new RbacRules.Grant("", "nodes", "get"), new RbacRules.Grant("", "nodes", "list"),
                        new RbacRules.Grant("", "nodes", "watch"), new RbacRules.Grant("", "nodes", "patch"),
                        new RbacRules.Grant("", "events", "create"), new RbacRules.Grant("", "events", "patch"),
                        // Its /metrics checks the scraper's token and right to get /metrics.
                        new RbacRules.Grant("authentication.k8s.io", "tokenreviews", "create"),
                        new RbacRules.Grant("authorization.k8s.io", "subjectaccessreviews", "create")),
                List.copyOf(RbacRules.grants(role.path("rules"))));
        assertEquals("stockade-installer", binding.path("roleRef").path("name").asText());
        JsonNode subject = binding.path("subjects").get(0);
        assertEquals("stockade-installer", subject.path("name").asText());
        assertEquals(ChartRendering.NAMESPACE, subject.path("namespace").asText());
    }

    @Test
    void metricsServiceByDefaultAndNoServiceMonitorOrPolicy() {
        ObjectNode service = defaults.get("Service", "stockade-operator-metrics");

        assertEquals("http", service.path("spec").path("ports").get(0).path("targetPort").asText());
        assertEquals(defaults.get("Deployment", "stockade-operator").path("spec").path("selector").path("matchLabels"),
                service.path("spec").path("selector"));
        assertEquals(List.of(), defaults.ofKind("ServiceMonitor"));
        assertEquals(List.of(), defaults.ofKind("PrometheusRule"));
        assertEquals(List.of(), defaults.ofKind("SandboxPolicy"));
        assertEquals(List.of("stockade-operator-metrics"), defaults.ofKind("Service").stream()
                .map(s -> s.path("metadata").path("name").asText()).toList(), "the node Service is off by default");
    }

    @Test
    void metricsReaderRoleGrantsOnlyGetOnMetricsAndIsBoundToTheListedAccounts() {
        JsonNode rules = defaults.get("ClusterRole", "stockade-metrics-reader").path("rules");

        assertEquals(1, rules.size());
        assertEquals(List.of("/metrics"), texts(rules.get(0).path("nonResourceURLs")));
        assertEquals(List.of("get"), texts(rules.get(0).path("verbs")));
        assertTrue(defaults.ofKind("ClusterRoleBinding").stream()
                .noneMatch(b -> "stockade-metrics-reader".equals(b.path("metadata").path("name").asText())));

        Rendered bound = ChartRendering.render(Map.of(
                "metrics.node.readers[0].name", "prometheus-k8s", "metrics.node.readers[0].namespace", "monitoring"));
        ObjectNode binding = bound.get("ClusterRoleBinding", "stockade-metrics-reader");
        assertEquals("stockade-metrics-reader", binding.path("roleRef").path("name").asText());
        assertEquals("ClusterRole", binding.path("roleRef").path("kind").asText());
        assertEquals(1, binding.path("subjects").size());
        JsonNode subject = binding.path("subjects").get(0);
        assertEquals(List.of("ServiceAccount", "prometheus-k8s", "monitoring"),
                List.of(subject.path("kind").asText(), subject.path("name").asText(), subject.path("namespace").asText()));
    }

    @Test
    void nodeServiceAndServiceMonitorScrapeEveryInstallerOverHttpsWithATokenAndTheNodeLabel() {
        Rendered custom = ChartRendering.render(Map.of(
                "metrics.serviceMonitor.enabled", true,
                "metrics.node.service.enabled", true,
                "metrics.node.serviceMonitor.enabled", true,
                "metrics.node.serviceMonitor.labels.release", "kube-prometheus"));
        ObjectNode service = custom.get("Service", "stockade-node");
        ObjectNode monitor = custom.get("ServiceMonitor", "stockade-node");
        JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
        JsonNode port = service.path("spec").path("ports").get(0);

        assertEquals("None", service.path("spec").path("clusterIP").asText(), "headless: every installer pod is a target");
        assertEquals(Map.of(PolicyObjects.NAME_LABEL, InstallerDaemonSet.COMPONENT),
                ChartRendering.YAML.convertValue(service.path("spec").path("selector"), Map.class),
                "the Service selects the pods of the operator's installer DaemonSets");
        assertEquals(List.of("metrics", "9465", "metrics"),
                List.of(port.path("name").asText(), port.path("port").asText(), port.path("targetPort").asText()));
        assertEquals(ChartRendering.NAMESPACE, service.path("metadata").path("namespace").asText());
        monitor.path("spec").path("selector").path("matchLabels").properties().forEach(label ->
                assertEquals(label.getValue(), service.path("metadata").path("labels").path(label.getKey()), label.getKey()));
        assertEquals(List.of(ChartRendering.NAMESPACE), texts(monitor.path("spec").path("namespaceSelector").path("matchNames")));
        assertEquals("kube-prometheus", monitor.path("metadata").path("labels").path("release").asText());
        assertEquals(1, monitor.path("spec").path("endpoints").size());
        assertEquals("metrics", endpoint.path("port").asText());
        assertEquals("/metrics", endpoint.path("path").asText());
        assertEquals("https", endpoint.path("scheme").asText());
        assertTrue(endpoint.path("tlsConfig").path("insecureSkipVerify").asBoolean());
        assertEquals(PrometheusFilesTest.TOKEN_FILE, endpoint.path("bearerTokenFile").asText());
        assertTrue(endpoint.path("honorLabels").asBoolean());
        JsonNode relabeling = endpoint.path("relabelings").get(0);
        assertEquals(List.of("__meta_kubernetes_pod_node_name"), texts(relabeling.path("sourceLabels")));
        assertEquals("node", relabeling.path("targetLabel").asText());
        // The operator's ServiceMonitor does not select the node Service, nor the node's the operator's.
        assertEquals(List.of("stockade-operator-metrics"), selectedServices(custom, custom.get("ServiceMonitor", "stockade-operator")));
        assertEquals(List.of("stockade-node"), selectedServices(custom, monitor));
    }

    @Test
    void prometheusRuleCarriesTheRulesFileVerbatim() throws Exception {
        Rendered custom = ChartRendering.render(Map.of(
                "metrics.prometheusRule.enabled", true, "metrics.prometheusRule.labels.role", "alert-rules"));
        ObjectNode rule = custom.get("PrometheusRule", "stockade");
        JsonNode file = ChartRendering.YAML.readTree(Build.repositoryRoot().resolve(PrometheusFilesTest.RULES).toFile());

        assertEquals(ChartRendering.NAMESPACE, rule.path("metadata").path("namespace").asText());
        assertEquals("alert-rules", rule.path("metadata").path("labels").path("role").asText());
        assertEquals(file, rule.path("spec"), "spec is the rules file's groups, untemplated");
        assertTrue(rule.path("spec").toString().contains("{{ $labels.node }}"), "Prometheus' templates are left alone");

        // Installed elsewhere, the runbooks' kubectl commands name the release's namespace.
        String elsewhere = ChartRendering.template("sandboxing", Map.of("metrics.prometheusRule.enabled", true));
        String rules = new Rendered(ChartRendering.parse(elsewhere)).get("PrometheusRule", "stockade").path("spec").toString();
        assertTrue(rules.contains("kubectl -n sandboxing logs deploy/stockade-operator") && !rules.contains("-n stockade-system"), rules);
    }

    @Test
    void nonDefaultValuesReachTheObjects() {
        Rendered custom = ChartRendering.render(Map.of(
                "image", "registry.example/stockade/operator:9.9.9",
                "installer.image", "registry.example/stockade/installer:9.9.9",
                "replicas", 2,
                "metrics.serviceMonitor.enabled", true,
                "examplePolicy.enabled", true,
                "runAsUser", "null",
                "nodeWriteConcurrency", 8,
                "removalTimeout", "30m"));
        JsonNode deployment = custom.get("Deployment", "stockade-operator");
        JsonNode container = operatorContainer(custom);
        ObjectNode monitor = custom.get("ServiceMonitor", "stockade-operator");
        ObjectNode policy = custom.get("SandboxPolicy", "untrusted");

        assertEquals(2, deployment.path("spec").path("replicas").asInt());
        assertEquals("registry.example/stockade/operator:9.9.9", container.path("image").asText());
        assertEquals("registry.example/stockade/installer:9.9.9", env(container, "STOCKADE_INSTALLER_IMAGE").path("value").asText());
        assertEquals("8", env(container, "STOCKADE_NODE_WRITE_CONCURRENCY").path("value").asText());
        assertEquals(Duration.ofMinutes(30), removalTimeoutOf(container));
        assertTrue(deployment.path("spec").path("template").path("spec").path("securityContext").path("runAsUser").isMissingNode());
        assertEquals("http-metrics", monitor.path("spec").path("endpoints").get(0).path("port").asText());
        assertEquals("/q/metrics", monitor.path("spec").path("endpoints").get(0).path("path").asText());
        assertEquals(custom.get("Service", "stockade-operator-metrics").path("metadata").path("labels").path("app.kubernetes.io/name"),
                monitor.path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/name"));
        assertEquals("sandboxed", policy.path("spec").path("runtimeClasses").get(0).path("name").asText());
    }

    @Test
    void schemaRejectsAWrongTypeNamingTheValue() {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("replicas", "two")));

        assertTrue(error.getMessage().contains("/replicas") && error.getMessage().contains("want integer"), error.getMessage());
    }

    @Test
    void aRemovalTimeoutInWholeSecondsReachesTheOperatorAsSeconds() {
        JsonNode container = operatorContainer(ChartRendering.render(Map.of("removalTimeout", 600)));

        assertEquals(Duration.ofMinutes(10), removalTimeoutOf(container));
    }

    @Test
    void removalTimeoutTakesTheDurationsTheOperatorReadsAndRefusesWhatItCannotRead() {
        Map<String, Duration> read = new LinkedHashMap<>();
        read.put("PT10M", Duration.ofMinutes(10));
        read.put("pt10m", Duration.ofMinutes(10));
        read.put("PT1,5S", Duration.ofMillis(1500));
        read.put("P1DT2H", Duration.ofHours(26));
        read.put("10M", Duration.ofMinutes(10));
        read.put("1h30m", Duration.ofMinutes(90));
        read.put("90s", Duration.ofSeconds(90));
        read.put("1.5s", Duration.ofMillis(1500));
        read.put("1,5s", Duration.ofMillis(1500));
        read.put("500ms", Duration.ofMillis(500));
        read.put("2d", Duration.ofDays(2));
        read.put("600", Duration.ofMinutes(10));
        read.forEach((value, expected) -> {
            JsonNode container = operatorContainer(ChartRendering.render(Map.of("removalTimeout", value)));
            assertEquals(expected, removalTimeoutOf(container), value);
        });

        // What the operator cannot read either (it would stop at start): the chart refuses it first.
        for (String unreadable : List.of("30m1h", "1.5h", "1d2h", "PT1.5M", "0.5ms", "PT0.0000000001S", "99999999999999999999")) {
            assertThrows(IllegalArgumentException.class, () -> asOperatorReadsIt(unreadable), unreadable);
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("removalTimeout", unreadable)), unreadable);
            assertTrue(refused.getMessage().contains("/removalTimeout") && refused.getMessage().contains("such as PT10M"), refused.getMessage());
        }
        // Not even the schema's own message passes for a duration.
        IllegalStateException message = assertThrows(IllegalStateException.class, () -> ChartRendering.template(ChartRendering.NAMESPACE,
                Map.of("removalTimeout", "a duration such as PT10M, 10m, 1h30m, 90s, 500ms, 2d or whole seconds (600)")));
        assertTrue(message.getMessage().contains("/removalTimeout"), message.getMessage());
    }

    @Test
    void unsetOperatorSettingsLeaveTheOperatorsOwnDefaults() {
        // null, as an upgrade with --reuse-values from a chart without these values also leaves them:
        // an empty variable would stop the operator at start.
        JsonNode container = operatorContainer(ChartRendering.render(Map.of("nodeWriteConcurrency", "null", "removalTimeout", "null")));

        List<String> names = StreamSupport.stream(container.path("env").spliterator(), false).map(e -> e.path("name").asText()).toList();

        assertFalse(names.contains("STOCKADE_NODE_WRITE_CONCURRENCY") || names.contains("STOCKADE_REMOVAL_TIMEOUT"), names.toString());
        assertTrue(names.contains("STOCKADE_INSTALLER_IMAGE"), names.toString());
    }

    @Test
    void schemaRejectsOperatorSettingsTheOperatorWouldRefuseAtStart() {
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("nodeWriteConcurrency", 0)));
        IllegalStateException words = assertThrows(IllegalStateException.class,
                () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("removalTimeout", "ten minutes")));
        List<IllegalStateException> zeros = Stream.<Object>of(0, "0", "0s", "PT0S", "P0D")
                .map(zero -> assertThrows(IllegalStateException.class,
                        () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("removalTimeout", zero))))
                .toList();

        assertTrue(none.getMessage().contains("/nodeWriteConcurrency"), none.getMessage());
        // The key and what to write, not the syntax's regular expression.
        assertTrue(words.getMessage().contains("/removalTimeout") && words.getMessage().contains("such as PT10M, 10m"), words.getMessage());
        assertFalse(words.getMessage().contains("[0-9]"), words.getMessage());
        zeros.forEach(zero -> assertTrue(zero.getMessage().contains("/removalTimeout")
                && (zero.getMessage().contains("more than zero") || zero.getMessage().contains("minimum")), zero.getMessage()));
    }

    @Test
    void schemaRejectsAnUnknownValue() {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("replica", 2)));

        assertTrue(error.getMessage().contains("replica"), error.getMessage());
    }

    @Test
    void nodeServiceMonitorWithoutNodeServiceFailsWithWhatToDo() {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> ChartRendering.template(ChartRendering.NAMESPACE, Map.of("metrics.node.serviceMonitor.enabled", true)));

        assertTrue(error.getMessage().contains("set metrics.node.service.enabled=true"), error.getMessage());
    }

    @Test
    void serviceMonitorWithoutServiceFailsWithWhatToDo() {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> ChartRendering.template(ChartRendering.NAMESPACE,
                        Map.of("metrics.service.enabled", false, "metrics.serviceMonitor.enabled", true)));

        assertTrue(error.getMessage().contains("set metrics.service.enabled=true"), error.getMessage());
    }

    static JsonNode operatorContainer(Rendered rendered) {
        JsonNode containers = rendered.get("Deployment", "stockade-operator").path("spec").path("template").path("spec").path("containers");
        assertEquals(1, containers.size(), "one container in the operator pod");
        return containers.get(0);
    }

    static JsonNode env(JsonNode container, String name) {
        return StreamSupport.stream(container.path("env").spliterator(), false)
                .filter(e -> name.equals(e.path("name").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the operator container has no env " + name + ": " + container.path("env")));
    }

    /** Names of the rendered Services whose labels a ServiceMonitor's selector matches. */
    private static List<String> selectedServices(Rendered rendered, JsonNode monitor) {
        JsonNode matchLabels = monitor.path("spec").path("selector").path("matchLabels");
        return rendered.ofKind("Service").stream()
                .filter(service -> matchLabels.properties().stream().allMatch(label ->
                        label.getValue().equals(service.path("metadata").path("labels").path(label.getKey()))))
                .map(service -> service.path("metadata").path("name").asText())
                .toList();
    }

    static List<String> texts(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    @Test
    void theInstallersNodeWritesAreGuardedForItsOwnAccountUnlessTurnedOff() {
        ObjectNode policy = defaults.get("ValidatingAdmissionPolicy", "stockade-installer-node-writes");
        assertEquals("Fail", policy.path("spec").path("failurePolicy").asText());
        assertEquals("request.userInfo.username == 'system:serviceaccount:" + ChartRendering.NAMESPACE + ":stockade-installer'",
                policy.path("spec").path("matchConditions").get(0).path("expression").asText());
        assertEquals("stockade-installer-node-writes", defaults.get("ValidatingAdmissionPolicyBinding", "stockade-installer-node-writes")
                .path("spec").path("policyName").asText());

        Rendered off = ChartRendering.render(Map.of("installer.restrictNodeWrites", "false"));
        assertTrue(off.ofKind("ValidatingAdmissionPolicy").isEmpty() && off.ofKind("ValidatingAdmissionPolicyBinding").isEmpty());
    }
}
