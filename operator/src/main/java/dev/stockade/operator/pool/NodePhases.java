package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import io.fabric8.kubernetes.api.model.Node;

import java.time.Duration;
import java.util.Map;

/** Reads a pool node's install phase from what its installer wrote on the node. */
public final class NodePhases {

    /**
     * @param desiredProfileHashes runtime class name to the hash of the profile the operator rendered;
     *                             a node is Ready only when it runs exactly these
     */
    public static NodeStatus member(Node node, String policy, Map<String, String> desiredProfileHashes) {
        String name = node.getMetadata().getName();
        NodeFence fence = NodeFence.of(node, policy);
        NodeRuntimeStatus status = fence.runtimeStatus().filter(s -> policy.equals(s.policy())).orElse(null);
        boolean readyLabel = node.getMetadata().getLabels() != null
                && policy.equals(node.getMetadata().getLabels().get(Stockade.RUNTIME_READY_LABEL));
        if (status == null) {
            return readyLabel
                    ? new NodeStatus(name, NodePhase.Installing, "ready label present but no runtime status from the installer", null)
                    : new NodeStatus(name, NodePhase.Pending, "waiting for the installer to start on the node", null);
        }
        String version = status.version();
        return switch (status.phase()) {
            case Failed -> new NodeStatus(name, NodePhase.Failed, status.message(), version);
            case Removing, Removed -> new NodeStatus(name, NodePhase.Installing, "installer is finishing an earlier removal", version);
            case Installing -> new NodeStatus(name, NodePhase.Installing, status.message(), version);
            case Ready -> {
                if (!readyLabel) {
                    yield new NodeStatus(name, NodePhase.Installing, "installer reports Ready but the node has no ready label", version);
                }
                if (status.profileHashes() == null || !status.profileHashes().equals(desiredProfileHashes)) {
                    yield new NodeStatus(name, NodePhase.Installing, "updating the node's profiles to the policy's", version);
                }
                yield new NodeStatus(name, NodePhase.Ready, status.message(), version);
            }
        };
    }

    public static NodeStatus waitingFor(String node, String holder) {
        return new NodeStatus(node, NodePhase.Pending, "waiting for policy " + holder + " to release the node", null);
    }

    /**
     * A leaving node whose installer has not uninstalled yet. {@code waited} is how long since the
     * operator asked (null: asked just now). When the installer reports that it cannot uninstall yet
     * (phase Failed for this policy, e.g. sandboxed containers still run there), its reason is added,
     * so that {@code kubectl describe sbp} says what the removal waits for.
     */
    public static NodeStatus removing(Node node, String policy, Duration waited, Duration timeout) {
        StringBuilder message = new StringBuilder("waiting for the installer to uninstall");
        if (waited != null) {
            message.append(" (").append(waited.toSeconds()).append("s of ").append(timeout.toSeconds()).append("s)");
        }
        NodeFence.of(node, policy).runtimeStatus()
                .filter(status -> policy.equals(status.policy()) && status.phase() == NodeRuntimeStatus.Phase.Failed)
                .ifPresent(status -> message.append(": ").append(status.message()));
        return new NodeStatus(node.getMetadata().getName(), NodePhase.Removing, message.toString(), null);
    }

    private NodePhases() {
    }
}
