package dev.stockade.operator.pool;

import dev.stockade.api.Stockade;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The minimal JSON patch (RFC 6902) that moves one node to the state a policy wants, touching only
 * the keys and taints that policy owns. Every patch carries the resourceVersion the change was
 * computed from, so the API server refuses it with 409 Conflict when someone else wrote the node
 * in between (taints are one atomic list on the node) and the caller recomputes from a fresh read.
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
        this.labels = new HashMap<>(orEmpty(node.getMetadata().getLabels()));
        this.annotations = new HashMap<>(orEmpty(node.getMetadata().getAnnotations()));
        this.taints = node.getSpec() == null || node.getSpec().getTaints() == null
                ? new ArrayList<>() : new ArrayList<>(node.getSpec().getTaints());
    }

    public static NodeFence of(Node node, String policy) {
        return new NodeFence(node, policy);
    }

    /** Pool label and taint in place, no pending removal request. */
    public Optional<List<Map<String, Object>>> fence(String taintEffect) {
        Map<String, String> newLabels = new HashMap<>(labels);
        newLabels.put(Stockade.POOL_LABEL, policy);
        Map<String, String> newAnnotations = new HashMap<>(annotations);
        if (ownRemovalRequest().isPresent()) {
            newAnnotations.remove(Stockade.REMOVAL_REQUEST_ANNOTATION);
        }
        List<Taint> newTaints = new ArrayList<>(taints.stream().filter(t -> !isOwnTaint(t)).toList());
        Taint wanted = new TaintBuilder().withKey(Stockade.SANDBOX_TAINT_KEY).withValue(policy).withEffect(taintEffect).build();
        // Keep the taint where it was (and its timeAdded) when it is already right.
        List<Taint> existing = taints.stream().filter(this::isOwnTaint).toList();
        if (existing.size() == 1 && taintEffect.equals(existing.getFirst().getEffect())) {
            newTaints = taints;
        } else {
            newTaints.add(wanted);
        }
        return patch(newLabels, newAnnotations, newTaints);
    }

    /** Asks the node's installer to uninstall (see {@link Stockade#REMOVAL_REQUEST_ANNOTATION}). */
    public Optional<List<Map<String, Object>>> requestRemoval(Instant now) {
        if (ownRemovalRequest().isPresent()) {
            return Optional.empty();
        }
        Map<String, String> newAnnotations = new HashMap<>(annotations);
        newAnnotations.put(Stockade.REMOVAL_REQUEST_ANNOTATION, new RemovalRequest(policy, now).format());
        return patch(labels, newAnnotations, taints);
    }

    /**
     * Removes everything this policy put on the node. With {@code includingInstallerKeys} it also
     * removes the installer's ready label and status annotation, for when the installer cannot
     * (it never ran, or did not answer a removal request in time).
     */
    public Optional<List<Map<String, Object>>> release(boolean includingInstallerKeys) {
        Map<String, String> newLabels = new HashMap<>(labels);
        newLabels.remove(Stockade.POOL_LABEL, policy);
        Map<String, String> newAnnotations = new HashMap<>(annotations);
        if (ownRemovalRequest().isPresent()) {
            newAnnotations.remove(Stockade.REMOVAL_REQUEST_ANNOTATION);
        }
        if (includingInstallerKeys || installerReportsRemoved()) {
            newLabels.remove(Stockade.RUNTIME_READY_LABEL, policy);
            if (runtimeStatus().map(status -> policy.equals(status.policy())).orElse(false)) {
                newAnnotations.remove(Stockade.RUNTIME_STATUS_ANNOTATION);
            }
        }
        List<Taint> newTaints = taints.stream().filter(t -> !isOwnTaint(t)).toList();
        return patch(newLabels, newAnnotations, newTaints);
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

    private Optional<List<Map<String, Object>>> patch(Map<String, String> newLabels,
                                                      Map<String, String> newAnnotations,
                                                      List<Taint> newTaints) {
        List<Map<String, Object>> ops = new ArrayList<>();
        mapOps("/metadata/labels", labels, newLabels, ops);
        mapOps("/metadata/annotations", annotations, newAnnotations, ops);
        if (!newTaints.equals(taints)) {
            // "add" sets the member whether or not the server has one (an empty list may be absent).
            ops.add(op("add", "/spec/taints", newTaints));
        }
        if (ops.isEmpty()) {
            return Optional.empty();
        }
        ops.addFirst(op("replace", "/metadata/resourceVersion", node.getMetadata().getResourceVersion()));
        return Optional.of(ops);
    }

    private static void mapOps(String path, Map<String, String> before, Map<String, String> after,
                               List<Map<String, Object>> ops) {
        if (before.equals(after)) {
            return;
        }
        if (before.isEmpty()) {
            // The server may not have the map at all, and a per-key add needs its parent.
            ops.add(op("add", path, new LinkedHashMap<>(after)));
            return;
        }
        for (Map.Entry<String, String> entry : before.entrySet()) {
            if (!after.containsKey(entry.getKey())) {
                ops.add(op("remove", path + "/" + escape(entry.getKey()), null));
            }
        }
        for (Map.Entry<String, String> entry : after.entrySet()) {
            if (!Objects.equals(before.get(entry.getKey()), entry.getValue())) {
                ops.add(op("add", path + "/" + escape(entry.getKey()), entry.getValue()));
            }
        }
    }

    private static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> operation = new LinkedHashMap<>();
        operation.put("op", op);
        operation.put("path", path);
        if (!"remove".equals(op)) {
            operation.put("value", value);
        }
        return operation;
    }

    /** JSON pointer escaping (RFC 6901): label keys contain '/'. */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static Map<String, String> orEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }
}
