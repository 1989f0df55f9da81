package dev.stockade.installer.report;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.installer.FakeHostAccess;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.installer.InstallerMain;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installer's command line against the fabric8 mock API server (CRUD mode) and a fake
 * containerd host tree: what an admin would see on the Node object.
 */
@EnableKubernetesMockClient(crud = true)
class NodeReportingTest {

    static final String NODE = "pool-node-1";
    static final String POLICY = "untrusted-code";

    KubernetesClient client;
    KubernetesMockServer server;

    @TempDir
    Path directory;

    FakeHostAccess host;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void createNodeAndHost() throws Exception {
        client.nodes().resource(new NodeBuilder()
                .withNewMetadata()
                    .withName(NODE)
                    .addToLabels("kubernetes.io/hostname", NODE)
                    .addToLabels(Stockade.POOL_LABEL, POLICY)
                    .addToAnnotations("node.alpha.kubernetes.io/ttl", "0")
                .endMetadata()
                .build()).create();
        host = new FakeHostAccess(directory);
        host.write("/etc/containerd/config.toml", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"pause:3.9\"\n");
    }

    private int installer(String... args) {
        Map<String, String> environment = new HashMap<>(host.environment());
        environment.put(InstallerEnvironment.POLICY, POLICY);
        environment.put(InstallerEnvironment.NODE_NAME, NODE);
        // A fresh client to the same mock server: the command closes the one it is given.
        return InstallerMain.run(List.of(args), environment, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                () -> new KubernetesClientBuilder().withConfig(client.getConfiguration()).build());
    }

    private Node node() {
        return client.nodes().withName(NODE).get();
    }

    private NodeRuntimeStatus status() throws Exception {
        String annotation = node().getMetadata().getAnnotations().get(Stockade.RUNTIME_STATUS_ANNOTATION);
        assertNotNull(annotation, "status annotation missing: " + node().getMetadata().getAnnotations());
        return NodeRuntimeStatus.fromJson(annotation);
    }

    @Test
    void successfulInstallLabelsTheNodeReadyAndAnnotatesVersionHandlersAndProfileHashes() throws Exception {
        assertEquals(0, installer("install"), err.toString());

        Node node = node();
        assertEquals(POLICY, node.getMetadata().getLabels().get(Stockade.RUNTIME_READY_LABEL));
        assertEquals(POLICY, node.getMetadata().getLabels().get(Stockade.POOL_LABEL), "the operator's label is untouched");
        assertEquals(NODE, node.getMetadata().getLabels().get("kubernetes.io/hostname"));
        assertEquals("0", node.getMetadata().getAnnotations().get("node.alpha.kubernetes.io/ttl"));
        NodeRuntimeStatus status = status();
        assertEquals(NodeRuntimeStatus.Phase.Ready, status.phase());
        assertEquals(POLICY, status.policy());
        assertEquals("0.1.0-test", status.version());
        assertEquals(List.of("stockade-untrusted", "stockade-strict"), status.handlers());
        assertEquals(Profiles.hash(Files.readString(host.profileSource().resolve("strict.json"))), status.profileHashes().get("strict"));
        assertEquals(Profiles.hash(Files.readString(host.profileSource().resolve("untrusted.json"))), status.profileHashes().get("untrusted"));
    }

    @Test
    void unchangedReinstallDoesNotWriteTheNode() throws Exception {
        assertEquals(0, installer("install"), err.toString());
        int requestsBefore = server.getRequestCount();

        assertEquals(0, installer("install"), err.toString());

        assertEquals(requestsBefore + 1, server.getRequestCount(), "one GET of the node, no PATCH");
        assertEquals("GET", server.getLastRequest().getMethod());
    }

    @Test
    void failedInstallTakesTheReadyLabelAwayAndSaysWhyInTheAnnotation() throws Exception {
        assertEquals(0, installer("install"), err.toString());
        host.write("/etc/containerd/config.toml", "version = 2\n[plugins\n");

        assertEquals(1, installer("install"));

        assertFalse(node().getMetadata().getLabels().containsKey(Stockade.RUNTIME_READY_LABEL));
        NodeRuntimeStatus status = status();
        assertEquals(NodeRuntimeStatus.Phase.Failed, status.phase());
        assertTrue(status.message().contains("/etc/containerd/config.toml"), status.message());
        assertTrue(err.toString().contains("/etc/containerd/config.toml is not valid TOML"), err.toString());
    }

    @Test
    void nodeThatNeverInstalledGetsNoReadyLabelOnlyTheReason() throws Exception {
        Files.delete(host.profileSource().resolve("strict.json"));

        assertEquals(1, installer("install"));

        assertFalse(node().getMetadata().getLabels().containsKey(Stockade.RUNTIME_READY_LABEL));
        NodeRuntimeStatus status = status();
        assertEquals(NodeRuntimeStatus.Phase.Failed, status.phase());
        assertTrue(status.message().contains("strict.json"), status.message());
    }

    @Test
    void uninstallRemovesOnlyTheInstallersLabelAndAnnotation() {
        assertEquals(0, installer("install"), err.toString());

        assertEquals(0, installer("uninstall"), err.toString());

        Node node = node();
        assertFalse(node.getMetadata().getLabels().containsKey(Stockade.RUNTIME_READY_LABEL));
        assertFalse(node.getMetadata().getAnnotations().containsKey(Stockade.RUNTIME_STATUS_ANNOTATION));
        assertEquals(POLICY, node.getMetadata().getLabels().get(Stockade.POOL_LABEL));
        assertEquals("0", node.getMetadata().getAnnotations().get("node.alpha.kubernetes.io/ttl"));
    }

    @Test
    void nodeMissingFromTheApiServerIsAClearFailure() {
        client.nodes().withName(NODE).delete();

        assertEquals(1, installer("install"));

        assertTrue(err.toString().contains("node " + NODE + " (NODE_NAME) does not exist"), err.toString());
    }

}
