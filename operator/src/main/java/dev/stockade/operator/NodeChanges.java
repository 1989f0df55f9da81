package dev.stockade.operator;

import io.fabric8.kubernetes.api.model.Node;

import java.util.Objects;

/**
 * Kubelets update their node's status every few seconds; only changes to labels, annotations and
 * taints can move a node between pools or change its install phase, so only those wake policies.
 */
final class NodeChanges {

    static boolean concernsStockade(Node updated, Node previous) {
        return !Objects.equals(updated.getMetadata().getLabels(), previous.getMetadata().getLabels())
                || !Objects.equals(updated.getMetadata().getAnnotations(), previous.getMetadata().getAnnotations())
                || !Objects.equals(taints(updated), taints(previous));
    }

    private static Object taints(Node node) {
        return node.getSpec() == null ? null : node.getSpec().getTaints();
    }

    private NodeChanges() {
    }
}
