package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import io.fabric8.kubernetes.api.model.Node;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.stockade.operator.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NodePhasesTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    @Test
    void aLeavingNodeSaysHowLongTheRemovalHasWaited() {
        Node node = node("n1", Map.of(Stockade.POOL_LABEL, "sandbox"));

        assertEquals(new NodeStatus("n1", NodePhase.Removing, "waiting for the installer to uninstall", null),
                NodePhases.removing(node, "sandbox", null, TIMEOUT));
        assertEquals("waiting for the installer to uninstall (24s of 600s)",
                NodePhases.removing(node, "sandbox", Duration.ofSeconds(24), TIMEOUT).message());
    }

    @Test
    void theInstallersReasonForNotUninstallingYetReachesThePolicysStatus() {
        Node node = withStatus(new NodeRuntimeStatus("sandbox", NodeRuntimeStatus.Phase.Failed, null, List.of("stockade-s"), null,
                "2 container(s) still run through Stockade's handlers [stockade-s]"));

        assertEquals("waiting for the installer to uninstall (24s of 600s): 2 container(s) still run through Stockade's handlers [stockade-s]",
                NodePhases.removing(node, "sandbox", Duration.ofSeconds(24), TIMEOUT).message());
    }

    @Test
    void anotherPolicysOrAHealthyStatusAddsNothing() {
        for (NodeRuntimeStatus status : List.of(
                new NodeRuntimeStatus("other", NodeRuntimeStatus.Phase.Failed, null, null, null, "not ours"),
                new NodeRuntimeStatus("sandbox", NodeRuntimeStatus.Phase.Removing, null, null, null, "uninstalling"))) {
            assertEquals("waiting for the installer to uninstall (1s of 600s)",
                    NodePhases.removing(withStatus(status), "sandbox", Duration.ofSeconds(1), TIMEOUT).message(), status.toString());
        }
    }

    private static Node withStatus(NodeRuntimeStatus status) {
        Node node = node("n1", Map.of(Stockade.POOL_LABEL, "sandbox"));
        node.getMetadata().setAnnotations(Map.of(Stockade.RUNTIME_STATUS_ANNOTATION, status.toJson()));
        return node;
    }
}
