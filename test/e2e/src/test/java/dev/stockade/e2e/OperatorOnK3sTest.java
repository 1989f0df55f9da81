package dev.stockade.e2e;

import dev.stockade.api.Stockade;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tier 4: the packaged operator against a real API server (k3s). Checks what the mock API server
 * cannot: the CRD's schema and defaults (taint effect), the real semantics of the node patches and
 * watches. It runs with k3s's admin credentials, so it does not check the operator's RBAC. Needs a
 * Docker engine; without one JUnit reports it as skipped (there is none on the project's CI machines).
 */
@Testcontainers(disabledWithoutDocker = true)
class OperatorOnK3sTest {

    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));


    private static Process operator;
    private static KubernetesClient client;
    private static Path operatorLog;

    @BeforeAll
    static void startOperator() throws IOException {
        Path kubeconfig = Files.createTempFile("k3s", ".yaml");
        Files.writeString(kubeconfig, K3S.getKubeConfigYaml());
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml())).build();
        try (FileInputStream crd = new FileInputStream(Clusters.repository().resolve("crds/sandboxpolicies.stockade.dev-v1.yml").toFile())) {
            client.load(crd).serverSideApply();
        }
        client.resource(new NamespaceBuilder().withNewMetadata().withName("stockade-system").endMetadata().build()).serverSideApply();

        Path app = Clusters.repository().resolve("operator/target/quarkus-app/quarkus-run.jar");
        operatorLog = Files.createTempFile("stockade-operator", ".log");
        ProcessBuilder command = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", app.toString())
                .redirectErrorStream(true)
                .redirectOutput(operatorLog.toFile());
        command.environment().putAll(Map.of(
                "KUBECONFIG", kubeconfig.toString(),
                "POD_NAMESPACE", "stockade-system",
                "QUARKUS_HTTP_PORT", "0"));
        operator = command.start();
    }

    @AfterAll
    static void stopOperator() throws IOException {
        if (operator != null) {
            operator.destroy();
            System.out.println(Files.readString(operatorLog));
        }
    }

    @Test
    void policyFencesTheNodeCreatesTheRuntimeClassAndLeavesNoTraceWhenDeleted() {
        String nodeName = client.nodes().list().getItems().getFirst().getMetadata().getName();
        GenericKubernetesResource policy = Clusters.policy("e2e", Map.of(
                "nodeSelector", Map.of("matchExpressions", List.of(Map.of(
                        "key", "kubernetes.io/hostname", "operator", "In", "values", List.of(nodeName)))),
                "runtimeClasses", List.of(Map.of("name", "sandboxed", "overhead", Map.of("memory", "16Mi")))));
        client.genericKubernetesResources(Clusters.POLICIES).resource(policy).create();

        await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> {
            Node node = client.nodes().withName(nodeName).get();
            assertEquals("e2e", node.getMetadata().getLabels().get(Stockade.POOL_LABEL));
            assertTrue(node.getSpec().getTaints().stream().anyMatch(t -> Stockade.SANDBOX_TAINT_KEY.equals(t.getKey())
                    && "e2e".equals(t.getValue()) && "NoSchedule".equals(t.getEffect())), "taint with the defaulted effect");
            RuntimeClass runtimeClass = client.resources(RuntimeClass.class).withName("sandboxed").get();
            assertNotNull(runtimeClass);
            assertEquals("stockade-sandboxed", runtimeClass.getHandler());
        });

        client.genericKubernetesResources(Clusters.POLICIES).withName("e2e").delete();
        await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> Clusters.assertClean(client, nodeName, "sandboxed"));
    }

}
