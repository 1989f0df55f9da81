package dev.stockade.e2e;

import com.marcnuri.helm.Helm;
import dev.stockade.api.Stockade;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

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
 * Tier 4, the way a user installs: the built images side-loaded into k3s, the Helm chart installed
 * (so the operator runs in-cluster with the chart's RBAC), a policy applied. Checks the node is
 * fenced, the RuntimeClass published, the installer pod scheduled onto the pool past the taint, and
 * that deleting the policy leaves the node clean.
 *
 * <p>Not checked: the node becoming ready and a sandboxed pod running. In k3s inside Docker the
 * container runtime is part of the k3s process that is the container's PID 1, so the installer
 * cannot restart it. Needs a Docker engine; without one JUnit reports it as skipped. It has not
 * run on the project's machines (none has Docker).
 */
@Testcontainers(disabledWithoutDocker = true)
class ChartOnK3sTest {

    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));

    private static final String NAMESPACE = "stockade-system";

    private static KubernetesClient client;

    @BeforeAll
    static void installTheChart() throws Exception {
        for (Path image : List.of(Clusters.repository().resolve("operator/image/target/stockade-operator-image.tar"),
                Clusters.repository().resolve("runtime-installer/target/stockade-installer-image.tar"))) {
            String inContainer = "/tmp/" + image.getFileName();
            K3S.copyFileToContainer(MountableFile.forHostPath(image), inContainer);
            var imported = K3S.execInContainer("ctr", "-n", "k8s.io", "images", "import", inContainer);
            assertEquals(0, imported.getExitCode(), imported.getStderr());
        }
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml())).build();
        client.resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE)
                .addToLabels("pod-security.kubernetes.io/enforce", "privileged").endMetadata().build()).serverSideApply();

        Path kubeconfig = Files.createTempFile("k3s", ".yaml");
        Files.writeString(kubeconfig, K3S.getKubeConfigYaml());
        new Helm(Clusters.repository().resolve("helm/stockade"))
                .install()
                .withKubeConfig(kubeconfig)
                .withName("stockade")
                .withNamespace(NAMESPACE)
                .set("image", System.getProperty("stockade.operator.image"))
                .set("installer.image", System.getProperty("stockade.installer.image"))
                .set("imagePullPolicy", "Never")
                .waitReady()
                .call();
    }

    @Test
    void policyFencesTheNodeSchedulesTheInstallerAndIsCleanedUpOnDelete() throws IOException {
        String nodeName = client.nodes().list().getItems().getFirst().getMetadata().getName();
        GenericKubernetesResource policy = Clusters.policy("e2e-chart", Map.of(
                "nodeSelector", Map.of("matchLabels", Map.of("kubernetes.io/hostname", nodeName)),
                "installer", Map.of("imagePullPolicy", "Never"),
                "runtimeClasses", List.of(Map.of("name", "sandboxed"))));
        client.genericKubernetesResources(Clusters.POLICIES).resource(policy).create();

        await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> {
            Node node = client.nodes().withName(nodeName).get();
            assertEquals("e2e-chart", node.getMetadata().getLabels().get(Stockade.POOL_LABEL));
            assertTrue(node.getSpec().getTaints().stream().anyMatch(t -> Stockade.SANDBOX_TAINT_KEY.equals(t.getKey())));
            RuntimeClass runtimeClass = client.resources(RuntimeClass.class).withName("sandboxed").get();
            assertNotNull(runtimeClass);
            List<Pod> installers = client.pods().inNamespace(NAMESPACE)
                    .withLabel("stockade.dev/policy", "e2e-chart").list().getItems();
            assertTrue(installers.stream().anyMatch(p -> nodeName.equals(p.getSpec().getNodeName())),
                    "the installer pod is scheduled on the tainted pool node");
        });

        client.genericKubernetesResources(Clusters.POLICIES).withName("e2e-chart").delete();
        await().atMost(Duration.ofMinutes(5)).untilAsserted(() -> Clusters.assertClean(client, nodeName, "sandboxed"));
    }

}
