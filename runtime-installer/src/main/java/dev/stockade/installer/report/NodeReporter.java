package dev.stockade.installer.report;

import dev.stockade.api.Stockade;
import dev.stockade.api.node.NodePatch;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.util.Map;
import java.util.Optional;

/**
 * Reports the node through the API server: the ready label {@code stockade.dev/runtime-ready}
 * and the status annotation {@code stockade.dev/runtime-status}, the only two keys the installer
 * writes and the only ones it removes. Writes are JSON patches touching just those keys (the
 * node's other labels and annotations belong to others), and only when the value changes. The
 * patch is built by {@link NodePatch}, as the operator's are.
 */
public final class NodeReporter {

    private static final int ATTEMPTS = 5;

    private final KubernetesClient client;
    private final String nodeName;

    public NodeReporter(KubernetesClient client, String nodeName) {
        this.client = client;
        this.nodeName = nodeName;
    }

    /** Verified: ready label and status. */
    public void ready(NodeRuntimeStatus status) {
        write(Optional.of(status.policy()), Optional.of(status.toJson()));
    }

    /** Not (or no longer) usable: the ready label goes first, the status says why. */
    public void notReady(NodeRuntimeStatus status) {
        write(Optional.empty(), Optional.of(status.toJson()));
    }

    /** Removes both keys (uninstall that nobody asked to report on). */
    public void clear() {
        write(Optional.empty(), Optional.empty());
    }

    /**
     * What the operator says about this node, from one read: the pool it is in
     * ({@code stockade.dev/pool}) and a removal request, each absent when the node has none.
     */
    public record Assignment(Optional<String> pool, Optional<RemovalRequest> removalRequest) {
    }

    public Assignment assignment() {
        Node node = node();
        Map<String, String> labels = node.getMetadata().getLabels();
        Map<String, String> annotations = node.getMetadata().getAnnotations();
        return new Assignment(Optional.ofNullable(labels == null ? null : labels.get(Stockade.POOL_LABEL)),
                RemovalRequest.parse(annotations == null ? null : annotations.get(Stockade.REMOVAL_REQUEST_ANNOTATION)));
    }

    /**
     * Sets or removes the two keys, guarded by the node's resourceVersion ({@link NodePatch}); when
     * another writer (the kubelet, the operator) changed the node in between, reads it again and
     * recomputes.
     */
    private void write(Optional<String> readyLabel, Optional<String> statusAnnotation) {
        for (int attempt = 1; ; attempt++) {
            Node node = node();
            NodePatch patch = NodePatch.of(node.getMetadata().getResourceVersion(), node.getMetadata().getLabels(),
                    node.getMetadata().getAnnotations(), node.getSpec() == null ? null : node.getSpec().getTaints());
            readyLabel.ifPresentOrElse(value -> patch.setLabel(Stockade.RUNTIME_READY_LABEL, value),
                    () -> patch.removeLabel(Stockade.RUNTIME_READY_LABEL));
            statusAnnotation.ifPresentOrElse(value -> patch.setAnnotation(Stockade.RUNTIME_STATUS_ANNOTATION, value),
                    () -> patch.removeAnnotation(Stockade.RUNTIME_STATUS_ANNOTATION));
            Optional<String> json = patch.toJson();
            if (json.isEmpty()) {
                return;
            }
            try {
                client.nodes().resource(node).patch(PatchContext.of(PatchType.JSON), json.get());
                return;
            } catch (KubernetesClientException e) {
                // 409: another writer since our read; 422: a key the patch removes is already gone.
                if ((e.getCode() != 409 && e.getCode() != 422) || attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private Node node() {
        Node node = client.nodes().withName(nodeName).get();
        if (node == null) {
            throw new KubernetesClientException("node " + nodeName + " (NODE_NAME) does not exist in the API server");
        }
        return node;
    }
}
