package dev.stockade.installer.report;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import dev.stockade.installer.FakeHostAccess;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.installer.InstallerMain;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DaemonSet's mode: install, report readiness on /readyz, pick up a profile change without
 * restarting the container runtime, and uninstall when the operator requests removal.
 */
@EnableKubernetesMockClient(crud = true)
class RunModeTest {

    static final String NODE = "pool-node-2";
    static final String POLICY = "untrusted-code";

    KubernetesClient client;

    @TempDir
    Path directory;

    @Test
    void reporterInstallsFollowsProfileChangesAndUninstallsOnRequest() throws Exception {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).addToLabels(Stockade.POOL_LABEL, POLICY)
                .endMetadata().build()).create();
        FakeHostAccess host = new FakeHostAccess(directory);
        host.write("/etc/containerd/config.toml", "version = 2\n");
        Map<String, String> original = host.snapshot();
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Map<String, String> environment = new HashMap<>(host.environment());
        environment.put(InstallerEnvironment.POLICY, POLICY);
        environment.put(InstallerEnvironment.NODE_NAME, NODE);
        environment.put(InstallerConfig.HEALTH_PORT, Integer.toString(port));
        environment.put(InstallerConfig.RECONCILE_SECONDS, "1");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream logStream = new PrintStream(log, true, StandardCharsets.UTF_8);
        Thread agent = Thread.ofPlatform().start(() -> InstallerMain.run(List.of("run"), environment, logStream, logStream,
                () -> new KubernetesClientBuilder().withConfig(client.getConfiguration()).build()));
        try {
            HttpClient http = HttpClient.newHttpClient();
            awaitTrue("/readyz answers 200", () -> statusCode(http, port, "/readyz") == 200);
            assertEquals(200, statusCode(http, port, "/healthz"));
            assertEquals(POLICY, client.nodes().withName(NODE).get().getMetadata().getLabels().get(Stockade.RUNTIME_READY_LABEL));

            String changed = Profiles.render(new SandboxProfile(null, List.of(), null, null, null, 10L, true, null, null, null, null));
            Files.writeString(host.profileSource().resolve("strict.json"), changed);
            awaitTrue("the changed profile is reported", () -> Profiles.hash(changed).equals(status().profileHashes().get("strict")));
            assertEquals(1, host.restarts(), "a profile change does not restart the container runtime");

            client.nodes().withName(NODE).edit(node -> new NodeBuilder(node).editMetadata()
                    .addToAnnotations(Stockade.REMOVAL_REQUEST_ANNOTATION, new RemovalRequest(POLICY, Instant.now()).format())
                    .endMetadata().build());
            awaitTrue("phase Removed", () -> status().phase() == NodeRuntimeStatus.Phase.Removed);

            assertFalse(client.nodes().withName(NODE).get().getMetadata().getLabels().containsKey(Stockade.RUNTIME_READY_LABEL));
            assertEquals(503, statusCode(http, port, "/readyz"));
            assertEquals(original, host.snapshot(), "uninstall on request restores the host");
            assertEquals(2, host.restarts());

            // The operator releases the node (request, pool label and status gone) before the DaemonSet
            // removes this pod: the passes that follow must not install again.
            client.nodes().withName(NODE).edit(node -> new NodeBuilder(node).editMetadata()
                    .removeFromAnnotations(Stockade.REMOVAL_REQUEST_ANNOTATION).removeFromAnnotations(Stockade.RUNTIME_STATUS_ANNOTATION)
                    .removeFromLabels(Stockade.POOL_LABEL).endMetadata().build());
            Thread.sleep(3000);
            assertEquals(original, host.snapshot(), "a released node is not installed again");
            assertFalse(client.nodes().withName(NODE).get().getMetadata().getLabels().containsKey(Stockade.RUNTIME_READY_LABEL));
            assertTrue(client.nodes().withName(NODE).get().getMetadata().getAnnotations() == null
                    || !client.nodes().withName(NODE).get().getMetadata().getAnnotations().containsKey(Stockade.RUNTIME_STATUS_ANNOTATION),
                    "nothing reported on a released node");
        } finally {
            agent.interrupt();
            agent.join(Duration.ofSeconds(10));
        }
        assertFalse(agent.isAlive(), "the reporter stops when interrupted");
    }

    private NodeRuntimeStatus status() {
        try {
            String json = client.nodes().withName(NODE).get().getMetadata().getAnnotations().get(Stockade.RUNTIME_STATUS_ANNOTATION);
            return json == null ? new NodeRuntimeStatus(null, null, null, null, Map.of(), null) : NodeRuntimeStatus.fromJson(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static int statusCode(HttpClient http, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }
}
