package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.node.NodePatch;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The minimal node patch ({@link NodePatch}) that moves one node to the state a policy wants,
 * touching only the keys and taints that policy owns. The patch is guarded by the resourceVersion
 * it was computed from, so a concurrent writer makes it fail with 409 and the caller recomputes.
 */
public final class NodeFence {

    private final Node node;
    private final String policy;
    private final Map<String, String> labels;
    private final Map<String, String> annotations;
    private final List<Taint> taints;

    private NodeFence(Node node, String policy) {
        this.node = node;
        this.policy = policy;
        this.labels = orEmpty(node.getMetadata().getLabels());
        this.annotations = orEmpty(node.getMetadata().getAnnotations());
        this.taints = node.getSpec() == null || node.getSpec().getTaints() == null
                ? List.of() : List.copyOf(node.getSpec().getTaints());
    }

    public static NodeFence of(Node node, String policy) {
        return new NodeFence(node, policy);
    }

    /** Pool label and taint in place, no pending removal request. */
    public Optional<List<Map<String, Object>>> fence(String taintEffect) {
        NodePatch patch = patch().setLabel(Stockade.POOL_LABEL, policy);
        if (ownRemovalRequest().isPresent()) {
            patch.removeAnnotation(Stockade.REMOVAL_REQUEST_ANNOTATION);
        }
        // Keep the taint where it was (and its timeAdded) when it is already right.
        List<Taint> existing = taints.stream().filter(this::isOwnTaint).toList();
        if (existing.size() != 1 || !taintEffect.equals(existing.getFirst().getEffect())) {
            List<Taint> newTaints = new ArrayList<>(taints.stream().filter(t -> !isOwnTaint(t)).toList());
            newTaints.add(new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue(policy).withEffect(taintEffect).build());
            patch.taints(newTaints);
        }
        return patch.operations();
    }

    /**
     * {@link #fence} for {@code policy}, unless another policy's pool label is on the node: then no
     * patch, and that policy as the decision (the node is that policy's until it releases it).
     */
    public static NodePatcher.Decision<Optional<String>> unlessHeld(Node node, String policy, String taintEffect) {
        Optional<String> holder = PoolAssignment.otherHolder(node, policy);
        return new NodePatcher.Decision<>(holder, holder.isPresent() ? Optional.empty() : of(node, policy).fence(taintEffect));
    }

    /** Asks the node's installer to uninstall (see {@link Stockade#REMOVAL_REQUEST_ANNOTATION}). */
    public Optional<List<Map<String, Object>>> requestRemoval(Instant now) {
        if (ownRemovalRequest().isPresent()) {
            return Optional.empty();
        }
        return patch().setAnnotation(Stockade.REMOVAL_REQUEST_ANNOTATION, new RemovalRequest(policy, now).format()).operations();
    }

    /**
     * Removes everything this policy put on the node. With {@code includingInstallerKeys} it also
     * removes the installer's ready label and status annotation, for when the installer cannot
     * (it never ran, or did not answer a removal request in time).
     */
    public Optional<List<Map<String, Object>>> release(boolean includingInstallerKeys) {
        NodePatch patch = patch().removeLabel(Stockade.POOL_LABEL, policy);
        if (ownRemovalRequest().isPresent()) {
            patch.removeAnnotation(Stockade.REMOVAL_REQUEST_ANNOTATION);
        }
        if (includingInstallerKeys || installerReportsRemoved()) {
            patch.removeLabel(Stockade.RUNTIME_READY_LABEL, policy);
            if (runtimeStatus().map(status -> policy.equals(status.policy())).orElse(false)) {
                patch.removeAnnotation(Stockade.RUNTIME_STATUS_ANNOTATION);
            }
        }
        return patch.taints(taints.stream().filter(t -> !isOwnTaint(t)).toList()).operations();
    }
    /** Whether the installer has left anything of this policy on the node that it must undo. */
    public boolean hasInstallerFootprint() {
        if (policy.equals(labels.get(Stockade.RUNTIME_READY_LABEL))) {
            return true;
        }
        return runtimeStatus()
                .filter(status -> policy.equals(status.policy()))
                .map(status -> status.phase() != NodeRuntimeStatus.Phase.Removed)
                .orElse(false);
    }

    public Optional<RemovalRequest> ownRemovalRequest() {
        return RemovalRequest.parse(annotations.get(Stockade.REMOVAL_REQUEST_ANNOTATION))
                .filter(request -> policy.equals(request.policy()));
    }

    public Optional<NodeRuntimeStatus> runtimeStatus() {
        String json = annotations.get(Stockade.RUNTIME_STATUS_ANNOTATION);
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(NodeRuntimeStatus.fromJson(json));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private boolean installerReportsRemoved() {
        return runtimeStatus()
                .filter(status -> policy.equals(status.policy()))
                .map(status -> status.phase() == NodeRuntimeStatus.Phase.Removed)
                .orElse(false);
    }

    private boolean isOwnTaint(Taint taint) {
        return Stockade.SANDBOX_TAINT_KEY.equals(taint.getKey()) && policy.equals(taint.getValue());
    }

    private NodePatch patch() {
        return NodePatch.of(node.getMetadata().getResourceVersion(), labels, annotations, taints);
    }

    private static Map<String, String> orEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }
}
