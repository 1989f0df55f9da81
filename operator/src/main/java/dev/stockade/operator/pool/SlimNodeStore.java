package dev.stockade.operator.pool;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;

/**
 * The node informer's cache, holding each Node without what the operator never reads: its status
 * (conditions, addresses, images, capacity: most of a real node's size), its managed fields and
 * every spec field but the taints. Labels and annotations stay whole, because a node patch is
 * computed against them ({@link dev.stockade.api.node.NodePatch}). At 5000 nodes this is the
 * difference between a cache of a few MiB and one of hundreds.
 */
public final class SlimNodeStore extends BasicItemStore<Node> {

    public SlimNodeStore() {
        super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public Node put(String key, Node node) {
        return super.put(key, slim(node));
    }

    /** The node with only its identity, labels, annotations and taints. */
    public static Node slim(Node node) {
        return new NodeBuilder()
                .withNewMetadata()
                    .withName(node.getMetadata().getName())
                    .withUid(node.getMetadata().getUid())
                    .withResourceVersion(node.getMetadata().getResourceVersion())
                    .withCreationTimestamp(node.getMetadata().getCreationTimestamp())
                    .withDeletionTimestamp(node.getMetadata().getDeletionTimestamp())
                    .withLabels(node.getMetadata().getLabels())
                    .withAnnotations(node.getMetadata().getAnnotations())
                .endMetadata()
                .withNewSpec()
                    .withTaints(node.getSpec() == null ? null : node.getSpec().getTaints())
                .endSpec()
                .build();
    }
}
