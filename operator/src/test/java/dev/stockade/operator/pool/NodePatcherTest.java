package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.stockade.operator.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's node writes against the fabric8 mock server answering as a real API server does
 * when the informer's copy is stale: 409 to the guarded patch, then the newer node on a read.
 */
@EnableKubernetesMockClient
class NodePatcherTest {

    private static final Instant NOW = Instant.parse("2026-12-01T01:00:00Z");

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void aLeaverWhoseInstallerShowsOnlyAfterAConflictIsAskedToUninstallNotReleased() throws InterruptedException {
        // Cached before the installer's ready label arrived: "never installed", so release at once.
        Node cached = withVersion(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox")), "10");
        Node live = withVersion(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox", Stockade.RUNTIME_READY_LABEL, "sandbox")), "11");
        server.expect().patch().withPath("/api/v1/nodes/n1").andReturn(409, conflict()).once();
        server.expect().get().withPath("/api/v1/nodes/n1").andReturn(200, live).once();
        server.expect().patch().withPath("/api/v1/nodes/n1").andReturn(200, live).once();

        NodePatcher.Outcome<NodeRemoval.Step> outcome = new NodePatcher(client, new SimpleMeterRegistry())
                .decideAndApply(cached, node -> NodeRemoval.nextWithPatch(node, "sandbox", NOW, Duration.ofMinutes(10)));

        assertEquals(NodeRemoval.Action.REQUEST_REMOVAL, outcome.decision().action());
        List<String> patches = patchBodies();
        assertEquals(2, patches.size(), patches.toString());
        assertTrue(patches.get(0).contains("\"op\":\"remove\",\"path\":\"/metadata/labels/" + escaped(Stockade.POOL_LABEL) + "\""),
                "the first patch, from the cache, released: " + patches.get(0));
        assertTrue((patches.get(1).contains(Stockade.REMOVAL_REQUEST_ANNOTATION) || patches.get(1).contains(escaped(Stockade.REMOVAL_REQUEST_ANNOTATION)))
                        && !patches.get(1).contains("\"remove\""),
                "the second, from the node read back, asks the installer and keeps the pool label: " + patches.get(1));
    }

    @Test
    void aNodeAnotherPolicyLabelledMeanwhileIsNotFenced() throws InterruptedException {
        Node cached = withVersion(node("n1", Map.of()), "10");
        Node live = withVersion(node("n1", Map.of(Stockade.POOL_LABEL, "older")), "11");
        server.expect().patch().withPath("/api/v1/nodes/n1").andReturn(409, conflict()).once();
        server.expect().get().withPath("/api/v1/nodes/n1").andReturn(200, live).once();

        NodePatcher.Outcome<java.util.Optional<String>> outcome = new NodePatcher(client, new SimpleMeterRegistry())
                .decideAndApply(cached, node -> NodeFence.unlessHeld(node, "younger", "NoSchedule"));

        assertEquals(java.util.Optional.of("older"), outcome.decision(), "decided on the node read back");
        assertEquals("older", outcome.node().orElseThrow().getMetadata().getLabels().get(Stockade.POOL_LABEL));
        assertEquals(1, patchBodies().size(), "no second patch");
    }

    private List<String> patchBodies() throws InterruptedException {
        List<String> bodies = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            if ("PATCH".equals(request.getMethod())) {
                bodies.add(request.getBody().readUtf8());
            }
        }
        return bodies;
    }

    private static String escaped(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static Node withVersion(Node node, String resourceVersion) {
        return new NodeBuilder(node).editMetadata().withResourceVersion(resourceVersion).endMetadata().build();
    }

    private static io.fabric8.kubernetes.api.model.Status conflict() {
        return new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(409).withReason("Conflict")
                .withMessage("the object has been modified; please apply your changes to the latest version and try again").build();
    }
}
