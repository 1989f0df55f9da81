package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.NodeStatus.NodePhase;
import io.fabric8.kubernetes.api.model.Node;

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

    public static NodeStatus removing(String node, String message) {
        return new NodeStatus(node, NodePhase.Removing, message, null);
    }

    private NodePhases() {
    }
}
