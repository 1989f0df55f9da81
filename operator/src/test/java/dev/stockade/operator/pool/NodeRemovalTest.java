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
