package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import io.fabric8.kubernetes.api.model.Node;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static dev.stockade.operator.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NodeRemovalTest {

    private static final Instant ASKED = Instant.parse("2026-11-30T01:00:00Z");
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Test
    void aNodeWithoutTheInstallersKeysIsReleasedAtOnce() {
        Node node = node("n1", Map.of(Stockade.POOL_LABEL, "sandbox"));

        assertEquals(new NodeRemoval.Step(NodeRemoval.Action.RELEASE, null), NodeRemoval.next(node, "sandbox", ASKED, TIMEOUT));
    }

    @Test
    void anInstalledNodeIsAskedFirstThenWaitedForUntilTheTimeoutThenForced() {
        Node installed = node("n1", Map.of(Stockade.POOL_LABEL, "sandbox", Stockade.RUNTIME_READY_LABEL, "sandbox"));
        assertEquals(NodeRemoval.Action.REQUEST_REMOVAL, NodeRemoval.next(installed, "sandbox", ASKED, TIMEOUT).action());

        Node asked = withAnnotation(installed, Stockade.REMOVAL_REQUEST_ANNOTATION, new RemovalRequest("sandbox", ASKED).format());
        assertEquals(new NodeRemoval.Step(NodeRemoval.Action.WAIT, Duration.ofSeconds(299)),
                NodeRemoval.next(asked, "sandbox", ASKED.plusSeconds(299), TIMEOUT));
        assertEquals(NodeRemoval.Action.FORCE_RELEASE, NodeRemoval.next(asked, "sandbox", ASKED.plus(TIMEOUT), TIMEOUT).action());
    }

    @Test
    void anotherPolicysRemovalRequestDoesNotCount() {
        Node asked = withAnnotation(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox", Stockade.RUNTIME_READY_LABEL, "sandbox")),
                Stockade.REMOVAL_REQUEST_ANNOTATION, new RemovalRequest("other", ASKED).format());

        assertEquals(NodeRemoval.Action.REQUEST_REMOVAL, NodeRemoval.next(asked, "sandbox", ASKED.plus(TIMEOUT), TIMEOUT).action());
    }

    @Test
    void anInstallerThatReportsRemovedLetsTheNodeGo() {
        Node removed = withAnnotation(node("n1", Map.of(Stockade.POOL_LABEL, "sandbox")), Stockade.RUNTIME_STATUS_ANNOTATION,
                new NodeRuntimeStatus("sandbox", NodeRuntimeStatus.Phase.Removed, null, null, null, "uninstalled").toJson());

        assertEquals(NodeRemoval.Action.RELEASE, NodeRemoval.next(removed, "sandbox", ASKED, TIMEOUT).action());
    }

    @Test
    void eachStepComesWithThePatchThatCarriesItOut() {
        Node installed = node("n1", Map.of(Stockade.POOL_LABEL, "sandbox", Stockade.RUNTIME_READY_LABEL, "sandbox"));
        installed.getMetadata().setResourceVersion("7");
        NodePatcher.Decision<NodeRemoval.Step> ask = NodeRemoval.nextWithPatch(installed, "sandbox", ASKED, TIMEOUT);
        assertEquals(NodeRemoval.Action.REQUEST_REMOVAL, ask.decision().action());
        assertEquals(NodeFence.of(installed, "sandbox").requestRemoval(ASKED), ask.patch());

        Node asked = withAnnotation(installed, Stockade.REMOVAL_REQUEST_ANNOTATION, new RemovalRequest("sandbox", ASKED).format());
        assertEquals(java.util.Optional.empty(), NodeRemoval.nextWithPatch(asked, "sandbox", ASKED.plusSeconds(1), TIMEOUT).patch());

        NodePatcher.Decision<NodeRemoval.Step> forced = NodeRemoval.nextWithPatch(asked, "sandbox", ASKED.plus(TIMEOUT), TIMEOUT);
        assertEquals(NodeRemoval.Action.FORCE_RELEASE, forced.decision().action());
        assertEquals(NodeFence.of(asked, "sandbox").release(true), forced.patch());
        assertTrue(forced.patch().orElseThrow().toString().contains(Stockade.RUNTIME_READY_LABEL.replace("/", "~1")),
                "the installer's ready label goes too: " + forced.patch());
    }

    private static Node withAnnotation(Node node, String key, String value) {
        Map<String, String> annotations = new HashMap<>();
        if (node.getMetadata().getAnnotations() != null) {
            annotations.putAll(node.getMetadata().getAnnotations());
        }
        annotations.put(key, value);
        node.getMetadata().setAnnotations(annotations);
        return node;
    }
}
