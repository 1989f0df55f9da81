package dev.stockade.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The chart's Prometheus files (files/prometheus/): the alerting rules pass promtool's check and its
 * unit tests (src/test/resources/prometheus/stockade-rules.test.yaml, a case that fires and one that
 * stays quiet for every alert), and the plain scrape jobs pass promtool's config check in a minimal
 * prometheus.yml. promtool comes from Debian's prometheus package (test/host-packages.txt); without
 * it these tests are skipped, except in CI (CI=true), where they fail.
 */
class PrometheusFilesTest {

    static final String RULES = "helm/stockade/files/prometheus/stockade-rules.yaml";
    static final String SCRAPE_CONFIGS = "helm/stockade/files/prometheus/scrape-configs.yaml";
    static final String RULE_TESTS = "helm/src/test/resources/prometheus/stockade-rules.test.yaml";
    static final String TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    private static final Set<String> SEVERITIES = Set.of("warning", "critical");
    private static final Pattern JOB_MATCHER = Pattern.compile("job=\"([^\"]+)\"");

    private final JsonNode rules = yaml(RULES);
    private final JsonNode ruleTests = yaml(RULE_TESTS);
    private final JsonNode scrapeConfigs = yaml(SCRAPE_CONFIGS);

    @Test
    void promtoolFindsTheRulesValid() {
        Result result = promtool("check", "rules", path(RULES).toString());

        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("SUCCESS: " + alerts().size() + " rules found"), result.output());
    }

    @Test
    void promtoolUnitTestsOfEveryAlertPass() {
        Result result = promtool("test", "rules", path(RULE_TESTS).toString());

        assertEquals(0, result.exitCode(), result.output());
        // A rule_files entry that matches nothing is only a warning, and every quiet case would pass.
        assertFalse(result.output().contains("WARNING"), result.output());
        assertTrue(result.output().contains("SUCCESS"), result.output());
    }

    @Test
    void everyAlertHasACaseThatFiresAndOneThatStaysQuiet() {
        Set<String> fires = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (JsonNode test : ruleTests.path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                (check.path("exp_alerts").isEmpty() ? quiet : fires).add(check.path("alertname").asText());
            }
        }
        Set<String> alerts = new TreeSet<>(alerts().keySet());

        assertEquals(alerts, fires, "alerts without a case in " + RULE_TESTS + " where they fire");
        assertEquals(alerts, quiet, "alerts without a case in " + RULE_TESTS + " where they stay quiet");
    }

    @Test
    void everyAlertHasASeveritySummaryAndRunbook() {
        assertFalse(alerts().isEmpty());
        alerts().forEach((name, rule) -> {
            assertTrue(SEVERITIES.contains(rule.path("labels").path("severity").asText()), name + ": labels.severity " + SEVERITIES);
            String summary = rule.path("annotations").path("summary").asText();
            // The one alert without labels (absent()) is about the operator's Deployment.
            assertTrue(summary.contains("{{ $labels.") || summary.contains("Stockade operator"),
                    name + ": the summary names the object it is about: " + summary);
            assertFalse(rule.path("annotations").path("runbook").asText().isBlank(), name + ": annotations.runbook");
            assertEquals(Set.of("summary", "runbook"), fieldNames(rule.path("annotations")), name + ": annotations");
        });
        assertEquals("critical", alerts().get("StockadeSandboxEscapeAttempt").path("labels").path("severity").asText());
        assertTrue(alerts().get("StockadeSandboxEscapeAttempt").path("for").isMissingNode(),
                "an escape attempt is reported at once, without a for");
    }

    @Test
    void theJobsTheRulesReadAreTheScrapeJobsAndTheChartsServices() {
        Set<String> ruleJobs = new TreeSet<>();
        alerts().values().forEach(rule -> {
            Matcher job = JOB_MATCHER.matcher(rule.path("expr").asText());
            while (job.find()) {
                ruleJobs.add(job.group(1));
            }
        });
        Set<String> scrapeJobs = new TreeSet<>();
        scrapeConfigs.path("scrape_configs").forEach(job -> scrapeJobs.add(job.path("job_name").asText()));
        ChartRendering.Rendered chart = ChartRendering.render(Map.of("metrics.node.service.enabled", true));

        assertEquals(Set.of("stockade-node", "stockade-operator-metrics"), ruleJobs);
        assertEquals(ruleJobs, scrapeJobs, SCRAPE_CONFIGS + " job names");
        // A ServiceMonitor's job label is its Service's name.
        ruleJobs.forEach(job -> chart.get("Service", job));
    }

    @Test
    void scrapeJobsFindTheOperatorAndTheInstallersInTheirNamespace() {
        JsonNode operator = job("stockade-operator-metrics");
        JsonNode node = job("stockade-node");

        for (JsonNode job : List.of(operator, node)) {
            JsonNode discovery = job.path("kubernetes_sd_configs");
            assertEquals(1, discovery.size(), job.toString());
            assertEquals("pod", discovery.get(0).path("role").asText());
            assertEquals(List.of(ChartRendering.NAMESPACE), ChartRenderTest.texts(discovery.get(0).path("namespaces").path("names")));
        }
        assertEquals("/q/metrics", operator.path("metrics_path").asText());
        assertEquals("stockade-operator;http", keep(operator).path("regex").asText());
        assertEquals("/metrics", node.path("metrics_path").asText());
        assertEquals("stockade-installer;metrics", keep(node).path("regex").asText());
        for (JsonNode keep : List.of(keep(operator), keep(node))) {
            assertEquals(List.of("__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_container_port_name"),
                    ChartRenderTest.texts(keep.path("source_labels")));
        }
        assertEquals("https", node.path("scheme").asText());
        assertTrue(node.path("tls_config").path("insecure_skip_verify").asBoolean(), "the installer's certificate is self-signed");
        assertEquals(TOKEN_FILE, node.path("authorization").path("credentials_file").asText());
        assertTrue(node.path("honor_labels").asBoolean(), "tripwire series keep the sandboxed pod's namespace, pod and container");
        assertTrue(StreamSupport.stream(node.path("relabel_configs").spliterator(), false).anyMatch(r ->
                        ChartRenderTest.texts(r.path("source_labels")).equals(List.of("__meta_kubernetes_pod_node_name"))
                                && "node".equals(r.path("target_label").asText())),
                "the node job labels every series with node: " + node.path("relabel_configs"));
    }

    /**
     * Debian builds Prometheus without Kubernetes service discovery (NEWS.Debian, 1.5.0+ds-1), so its
     * promtool refuses kubernetes_sd_configs: there, that block alone is swapped for a static target
     * (the test above checks it). The token file exists only in a pod, so a stand-in is named instead.
     */
    @Test
    void promtoolFindsAMinimalPrometheusConfigWithTheScrapeJobsAndRulesValid(@TempDir Path directory) throws IOException {
        Path token = Files.writeString(directory.resolve("token"), "stand-in\n");
        boolean kubernetesDiscovery = promtoolHasKubernetesDiscovery(directory);
        ObjectNode config = ChartRendering.YAML.createObjectNode();
        config.putObject("global").put("scrape_interval", "30s");
        config.putArray("rule_files").add(path(RULES).toString());
        ArrayNode jobs = scrapeConfigs.path("scrape_configs").deepCopy();
        for (JsonNode job : jobs) {
            JsonNode authorization = job.path("authorization");
            if (authorization.has("credentials_file")) {
                assertEquals(TOKEN_FILE, authorization.path("credentials_file").asText());
                ((ObjectNode) authorization).put("credentials_file", token.toString());
            }
            if (!kubernetesDiscovery) {
                ((ObjectNode) job).remove("kubernetes_sd_configs");
                ((ObjectNode) job).putArray("static_configs").addObject().putArray("targets").add("192.0.2.1:9465");
            }
        }
        config.set("scrape_configs", jobs);
        Path prometheusYml = directory.resolve("prometheus.yml");
        ChartRendering.YAML.writeValue(prometheusYml.toFile(), config);

        Result result = promtool("check", "config", prometheusYml.toString());

        assertEquals(0, result.exitCode(), result.output() + "\n" + Files.readString(prometheusYml));
        assertTrue(result.output().contains("SUCCESS: 1 rule files found"), result.output());
        assertTrue(result.output().contains("SUCCESS: " + alerts().size() + " rules found"), result.output());
    }

    private static boolean promtoolHasKubernetesDiscovery(Path directory) throws IOException {
        Path probe = Files.writeString(directory.resolve("probe.yml"), """
                scrape_configs:
                  - job_name: probe
                    kubernetes_sd_configs:
                      - role: pod
                """);
        Result result = promtool("check", "config", "--syntax-only", probe.toString());
        if (result.exitCode() != 0 && !result.output().contains("field kubernetes_sd_configs not found")) {
            fail("promtool refused a minimal Kubernetes discovery config for another reason: " + result.output());
        }
        return result.exitCode() == 0;
    }

    /** Alert name → rule, in the file's order. */
    private Map<String, JsonNode> alerts() {
        Map<String, JsonNode> alerts = new LinkedHashMap<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                assertTrue(rule.has("alert"), RULES + " holds alerting rules only: " + rule);
                alerts.put(rule.path("alert").asText(), rule);
            }
        }
        return alerts;
    }

    private JsonNode job(String name) {
        return StreamSupport.stream(scrapeConfigs.path("scrape_configs").spliterator(), false)
                .filter(j -> name.equals(j.path("job_name").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(SCRAPE_CONFIGS + " has no job " + name));
    }

    private static JsonNode keep(JsonNode job) {
        List<JsonNode> keeps = StreamSupport.stream(job.path("relabel_configs").spliterator(), false)
                .filter(r -> "keep".equals(r.path("action").asText()))
                .toList();
        assertEquals(1, keeps.size(), job.path("job_name").asText() + " keeps its targets with one rule");
        return keeps.getFirst();
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> names = new LinkedHashSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    record Result(int exitCode, String output) {
    }

    static Result promtool(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(promtoolExecutable().toString());
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in 60 s: " + output);
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    private static Path promtoolExecutable() {
        Optional<Path> found = Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "promtool"))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty()) {
            String missing = "promtool is not on the PATH; install Debian's prometheus package (test/install-host-packages"
                    + " installs test/host-packages.txt)";
            if ("true".equals(System.getenv("CI"))) {
                fail(missing);
            }
            Assumptions.abort(missing + "; skipped outside CI");
        }
        return found.get();
    }

    private static Path path(String relative) {
        return Build.repositoryRoot().resolve(relative);
    }

    private static JsonNode yaml(String relative) {
        return GeneratedFiles.readYaml(Build.read(path(relative)));
    }
}
