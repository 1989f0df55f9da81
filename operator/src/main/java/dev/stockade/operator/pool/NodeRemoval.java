package dev.stockade.operator.pool;

import dev.stockade.api.status.RemovalRequest;
import io.fabric8.kubernetes.api.model.Node;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The next step for a node leaving a policy's pool, in the removal handshake of
 * {@link dev.stockade.api.Stockade#REMOVAL_REQUEST_ANNOTATION}: the installer uninstalls first,
 * then the operator removes its taint and pool label. Pure: the caller applies the step, deciding
 * again on the node it reads back after a 409 ({@link NodePatcher#decideAndApply}).
 */
public final class NodeRemoval {

    public enum Action {
        /** Nothing of the installer's is on the node (it never ran, or it is done): release now. */
        RELEASE,
        /** Ask the installer to uninstall, and wait. */
        REQUEST_REMOVAL,
        /** Asked {@link Step#waited()} ago; still within the removal timeout. */
        WAIT,
        /**
         * The installer did not answer within the timeout (its pod is gone or stuck): release the
         * node with the installer's keys, and warn that the host may keep leftovers.
         */
        FORCE_RELEASE
    }

    /** @param waited time since the operator asked the installer; null unless {@link Action#WAIT} */
    public record Step(Action action, Duration waited) {
    }

    /**
     * @param node    the node as last read (the informer's copy, or the one read back after a 409)
     * @param policy  the policy releasing it
     * @param now     the decision time
     * @param timeout how long an installer may take ({@code stockade.removal-timeout})
     */
    public static Step next(Node node, String policy, Instant now, Duration timeout) {
        NodeFence fence = NodeFence.of(node, policy);
        if (!fence.hasInstallerFootprint()) {
            return new Step(Action.RELEASE, null);
        }
        Optional<RemovalRequest> requested = fence.ownRemovalRequest();
        if (requested.isEmpty()) {
            return new Step(Action.REQUEST_REMOVAL, null);
        }
        Duration waited = Duration.between(requested.get().requestedAt(), now);
        if (waited.compareTo(timeout) >= 0) {
            return new Step(Action.FORCE_RELEASE, null);
        }
        return new Step(Action.WAIT, waited);
    }

    /**
     * {@link #next} and the node patch that carries the step out ({@link NodeFence}): release,
     * force-release (with the installer's keys) or the removal request; none for {@link Action#WAIT}.
     */
    public static NodePatcher.Decision<Step> nextWithPatch(Node node, String policy, Instant now, Duration timeout) {
        Step step = next(node, policy, now, timeout);
        NodeFence fence = NodeFence.of(node, policy);
        return new NodePatcher.Decision<>(step, switch (step.action()) {
            case RELEASE, FORCE_RELEASE -> fence.release(step.action() == Action.FORCE_RELEASE);
            case REQUEST_REMOVAL -> fence.requestRemoval(now);
            case WAIT -> Optional.empty();
        });
    }

    private NodeRemoval() {
    }
}
