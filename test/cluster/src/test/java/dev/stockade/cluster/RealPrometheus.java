package dev.stockade.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.stockade.testing.HostPrerequisites;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Prometheus, started by a test in the node's network (where pod addresses route) with the
 * chart's scrape jobs and alerting rules as shipped. Debian builds Prometheus without Kubernetes
 * service discovery (its NEWS.Debian, 1.5.0), so each job's {@code kubernetes_sd_configs} (role pod)
 * becomes a {@code file_sd_configs} file listing, from the API server, the same targets with the
 * same {@code __meta_kubernetes_pod_*} labels; the shipped relabelling, scheme, TLS and
 * honor_labels stay as they are. The token file is the test's ServiceAccount token instead of the
 * in-cluster path.
 */
final class RealPrometheus implements AutoCloseable {

    static final String SCRAPE_CONFIGS = "helm/stockade/files/prometheus/scrape-configs.yaml";
    static final String RULES = "helm/stockade/files/prometheus/stockade-rules.yaml";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI api;
    private final Path log;

    private RealPrometheus(Process process, URI api, Path log) {
        this.process = process;
        this.api = api;
        this.log = log;
    }

    /**
     * @param token a file holding a ServiceAccount token allowed to list pods and get /metrics
     * @param dir   where the configuration, the TSDB and the log go
     */
    @SuppressWarnings("unchecked")
    static RealPrometheus start(RealCluster cluster, KubernetesClient client, Path token, Path dir) throws IOException {
        Path binary = HostPrerequisites.requireExecutable("prometheus");
        Map<String, Object> shipped = YAML.readValue(cluster.repositoryPath(SCRAPE_CONFIGS).toFile(), Map.class);
        List<Map<String, Object>> jobs = new ArrayList<>();
        for (Map<String, Object> job : (List<Map<String, Object>>) shipped.get("scrape_configs")) {
            Map<String, Object> outside = new LinkedHashMap<>(job);
            if (outside.get("authorization") instanceof Map<?, ?> authorization && authorization.containsKey("credentials_file")) {
                outside.put("authorization", Map.of("credentials_file", token.toString()));
            }
            List<Map<String, Object>> targets = new ArrayList<>();
            for (Map<String, Object> sd : (List<Map<String, Object>>) outside.remove("kubernetes_sd_configs")) {
                if (!"pod".equals(sd.get("role"))) {
                    throw new AssertionError("job " + job.get("job_name") + ": this test stands in only for kubernetes_sd role pod, not " + sd);
                }
                for (String namespace : (List<String>) ((Map<String, Object>) sd.get("namespaces")).get("names")) {
                    client.pods().inNamespace(namespace).list().getItems().forEach(pod -> targets.addAll(podTargets(pod)));
                }
            }
            Path file = dir.resolve(job.get("job_name") + ".targets.json");
            JSON.writeValue(file.toFile(), targets);
            outside.put("file_sd_configs", List.of(Map.of("files", List.of(file.toString()))));
            jobs.add(outside);
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("global", Map.of("scrape_interval", "5s", "evaluation_interval", "5s"));
        config.put("rule_files", List.of(cluster.repositoryPath(RULES).toString()));
        config.put("scrape_configs", jobs);
        Path file = dir.resolve("prometheus.yml");
        YAML.writeValue(file.toFile(), config);
        Path log = cluster.logs().resolve("prometheus.log");
        String listen = cluster.nodeIp() + ":19090";
        Process process = cluster.startInNodeNetwork(List.of(binary.toString(), "--config.file=" + file,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=" + listen, "--log.level=info"), log);
        return new RealPrometheus(process, URI.create("http://" + listen + "/api/v1/"), log);
    }

    /**
     * One target per container port of a running pod, labelled as Prometheus' Kubernetes discovery
     * labels it (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#pod).
     */
    private static List<Map<String, Object>> podTargets(Pod pod) {
        List<Map<String, Object>> targets = new ArrayList<>();
        if (pod.getStatus() == null || pod.getStatus().getPodIP() == null) {
            return targets;
        }
        for (Container container : pod.getSpec().getContainers()) {
            for (ContainerPort port : Objects.requireNonNullElse(container.getPorts(), List.<ContainerPort>of())) {
                Map<String, String> labels = new TreeMap<>();
                labels.put("__meta_kubernetes_namespace", pod.getMetadata().getNamespace());
                labels.put("__meta_kubernetes_pod_name", pod.getMetadata().getName());
                labels.put("__meta_kubernetes_pod_ip", pod.getStatus().getPodIP());
                labels.put("__meta_kubernetes_pod_node_name", Objects.requireNonNullElse(pod.getSpec().getNodeName(), ""));
                labels.put("__meta_kubernetes_pod_container_name", container.getName());
                labels.put("__meta_kubernetes_pod_container_port_name", Objects.requireNonNullElse(port.getName(), ""));
                labels.put("__meta_kubernetes_pod_container_port_number", Integer.toString(port.getContainerPort()));
                Objects.requireNonNullElse(pod.getMetadata().getLabels(), Map.<String, String>of()).forEach((key, value) ->
                        labels.put("__meta_kubernetes_pod_label_" + key.replaceAll("[^a-zA-Z0-9_]", "_"), value));
                targets.add(Map.of("targets", List.of(pod.getStatus().getPodIP() + ":" + port.getContainerPort()), "labels", labels));
            }
        }
        return targets;
    }

    /** The result vector of an instant query: one map of labels (plus "value") per series; empty while Prometheus is not up. */
    List<Map<String, String>> query(String promql) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    api.resolve("query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("query " + promql + " answered " + response.statusCode() + ": " + response.body());
            }
            List<Map<String, String>> series = new ArrayList<>();
            for (JsonNode result : JSON.readTree(response.body()).path("data").path("result")) {
                Map<String, String> labels = new LinkedHashMap<>();
                result.path("metric").properties().forEach(entry -> labels.put(entry.getKey(), entry.getValue().asText()));
                labels.put("value", result.path("value").path(1).asText());
                series.add(labels);
            }
            return series;
        } catch (IOException e) {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited: " + tail(), e);
            }
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
