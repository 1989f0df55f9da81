package dev.stockade.operator.benchmark;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.stockade.operator.Fixtures.node;
import static dev.stockade.operator.Fixtures.policy;
import static dev.stockade.operator.Fixtures.selectIn;
import static org.awaitility.Awaitility.await;

/**
 * Scale benchmark, not a test: 1000 nodes against the mock API server, one policy selecting 800
 * of them. Reports the time to fence the pool, to see every node ready once installers report,
 * and to release every node on deletion, with the operator's API writes per node. Run with
 * {@code ./mvnw -pl operator verify -Pbenchmark}; results go to target/scale-benchmark.txt.
 */
@Tag("benchmark")
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ScaleBenchmark {

    private static final int NODES = 1000;
    private static final int SELECTED = 800;

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry registry;

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void thousandNodes() throws IOException {
        for (int i = 0; i < NODES; i++) {
            String tier = i < SELECTED ? "untrusted" : "trusted";
            client.resource(node(String.format("node-%04d", i), Map.of("tier", tier))).create();
        }
        double writesBefore = nodeWrites();
        int requestsBefore = server.getKubernetesMockServer().getRequestCount();

        long start = System.nanoTime();
        client.resource(policy("scale", selectIn("tier", "untrusted"), "isolated")).create();
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> status() != null && status().getDesiredNodes() != null && status().getDesiredNodes() == SELECTED
                        && fencedCount() == SELECTED);
        double fenceSeconds = seconds(start);
        double fenceWrites = nodeWrites() - writesBefore;
        int fenceRequests = server.getKubernetesMockServer().getRequestCount() - requestsBefore;

        // Every installer reports at once, as after a rollout.
        long readyStart = System.nanoTime();
        for (Node node : fencedNodes()) {
            client.nodes().withName(node.getMetadata().getName()).edit(n -> {
                n.getMetadata().getLabels().put(Stockade.RUNTIME_READY_LABEL, "scale");
                n.getMetadata().setAnnotations(Map.of(Stockade.RUNTIME_STATUS_ANNOTATION, new NodeRuntimeStatus("scale",
                        NodeRuntimeStatus.Phase.Installing, "0.1.0", List.of(), Map.of(), "verifying").toJson()));
                return n;
            });
        }
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> status().getNodeStatuses().stream().filter(s -> s.phase().name().equals("Installing")).count() == SELECTED);
        double readySeconds = seconds(readyStart);

        long deleteStart = System.nanoTime();
        double writesBeforeDelete = nodeWrites();
        for (Node node : fencedNodes()) {
            client.nodes().withName(node.getMetadata().getName()).edit(n -> {
                n.getMetadata().getLabels().remove(Stockade.RUNTIME_READY_LABEL);
                n.getMetadata().setAnnotations(Map.of());
                return n;
            });
        }
        client.resources(SandboxPolicy.class).withName("scale").delete();
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> client.resources(SandboxPolicy.class).withName("scale").get() == null && fencedCount() == 0);
        double deleteSeconds = seconds(deleteStart);
        double deleteWrites = nodeWrites() - writesBeforeDelete;

        String report = String.format("""
                scale benchmark: %d nodes, %d selected, one policy, fabric8 mock API server (CRUD mode)
                fence pool:            %.1f s, %.2f node writes per pool node, %d API requests in all
                status of %d reports:  %.1f s
                delete policy:         %.1f s, %.2f node writes per pool node
                """, NODES, SELECTED, fenceSeconds, fenceWrites / SELECTED, fenceRequests, SELECTED, readySeconds,
                deleteSeconds, deleteWrites / SELECTED);
        System.out.println(report);
        Files.writeString(Path.of("target", "scale-benchmark.txt"), report);
    }

    private SandboxPolicyStatus status() {
        SandboxPolicy policy = client.resources(SandboxPolicy.class).withName("scale").get();
        return policy == null ? null : policy.getStatus();
    }

    private List<Node> fencedNodes() {
        return client.nodes().withLabel(Stockade.POOL_LABEL, "scale").list().getItems();
    }

    private long fencedCount() {
        return fencedNodes().stream().filter(n -> n.getSpec().getTaints() != null && n.getSpec().getTaints().stream()
                .anyMatch(t -> Stockade.SANDBOX_TAINT_KEY.equals(t.getKey()))).count();
    }

    private double nodeWrites() {
        return registry.counter("stockade.node.writes").count();
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
